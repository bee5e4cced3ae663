package view_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/cloudmap/cloudmap"
)

func TestView_GetInstancesHealthStatus(t *testing.T) {
	f := shop(t)
	cases := []struct {
		name string
		in   *cloudmap.GetInstancesHealthStatusInput
		want string
		code string
	}{
		{"all of a checked service", &cloudmap.GetInstancesHealthStatusInput{ServiceId: "srv-cart"}, "map[a:HEALTHY b:HEALTHY c:UNHEALTHY]", "<nil>"},
		{"by ARN", &cloudmap.GetInstancesHealthStatusInput{ServiceId: "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-cart", Instances: []string{"c"}}, "map[c:UNHEALTHY]", "<nil>"},
		{"listed instances", &cloudmap.GetInstancesHealthStatusInput{ServiceId: "srv-cart", Instances: []string{"c", "a", "c"}}, "map[a:HEALTHY c:UNHEALTHY]", "<nil>"},
		{"no health check", &cloudmap.GetInstancesHealthStatusInput{ServiceId: "srv-plain"}, "map[p:UNKNOWN q:UNKNOWN]", "<nil>"},
		{"checked, no status yet", &cloudmap.GetInstancesHealthStatusInput{ServiceId: "srv-probe"}, "map[x:UNKNOWN]", "<nil>"},
		{"nil input", nil, "", cloudmap.ErrInvalidInput},
		{"no service ID", &cloudmap.GetInstancesHealthStatusInput{}, "", cloudmap.ErrInvalidInput},
		{"unknown service", &cloudmap.GetInstancesHealthStatusInput{ServiceId: "srv-nope"}, "", cloudmap.ErrServiceNotFound},
		{"ARN of another account", &cloudmap.GetInstancesHealthStatusInput{ServiceId: "arn:aws:servicediscovery:us-east-1:999999999999:service/srv-cart"}, "", cloudmap.ErrServiceNotFound},
		{"unknown instance", &cloudmap.GetInstancesHealthStatusInput{ServiceId: "srv-cart", Instances: []string{"a", "ghost"}}, "", cloudmap.ErrInstanceNotFound},
		{"max results too big", &cloudmap.GetInstancesHealthStatusInput{ServiceId: "srv-cart", MaxResults: 101}, "", cloudmap.ErrInvalidInput},
		{"bad token", &cloudmap.GetInstancesHealthStatusInput{ServiceId: "srv-cart", NextToken: "!!!"}, "", cloudmap.ErrInvalidInput},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := f.view.GetInstancesHealthStatus(t.Context(), c.in)
			if got := code(err); got != c.code {
				t.Fatalf("error %s (%v), want %s", got, err, c.code)
			}
			if err != nil {
				return
			}
			if got := fmt.Sprint(out.Status); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
			if out.NextToken != "" {
				t.Errorf("NextToken %q on a single page", out.NextToken)
			}
		})
	}
}

func TestView_GetInstancesHealthStatus_Pages(t *testing.T) {
	var ops []op
	var all []string
	for i := range 250 {
		id := fmt.Sprintf("i-%03d", i)
		all = append(all, id)
		ops = append(ops, inst("srv", id, "k=v"), health("srv", id, cloudmap.Healthy))
	}
	f := newFixture(t, []op{httpNS("ns", "n"), svc("srv", "ns", "s", "custom")}, ops)
	listed := []string{"i-249", "i-001", "i-100", "i-101", "i-050"}
	cases := []struct {
		name      string
		instances []string
		max       int32
		pages     []int
		want      []string
	}{
		{"default page size", nil, 0, []int{100, 100, 50}, all},
		{"max results 100", nil, 100, []int{100, 100, 50}, all},
		{"max results 1", nil, 1, slices.Repeat([]int{1}, 250), all},
		{"listed, two per page", listed, 2, []int{2, 2, 1}, []string{"i-001", "i-050", "i-100", "i-101", "i-249"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			var pages []int
			in := &cloudmap.GetInstancesHealthStatusInput{ServiceId: "srv", Instances: c.instances, MaxResults: c.max}
			for range 300 {
				out, err := f.view.GetInstancesHealthStatus(t.Context(), in)
				if err != nil {
					t.Fatal(err)
				}
				pages = append(pages, len(out.Status))
				got = append(got, slices.Sorted(maps.Keys(out.Status))...)
				if out.NextToken == "" {
					break
				}
				in.NextToken = out.NextToken
			}
			if !slices.Equal(pages, c.pages) {
				t.Errorf("page sizes %v, want %v", pages, c.pages)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got %d instances %v…, want %d", len(got), got[:min(5, len(got))], len(c.want))
			}
		})
	}
}

func TestView_HealthTargets(t *testing.T) {
	f := shop(t)
	got := fmt.Sprint(f.view.HealthTargets())
	want := "[{srv-probe x {HTTP / 1} 10.0.0.1 80 UNKNOWN /}]"
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	ch := f.view.Notify()
	f.commit(inst("srv-probe", "y", "AWS_INSTANCE_IPV4=10.0.0.2", "AWS_INSTANCE_PORT=81"), health("srv-probe", "y", cloudmap.Unhealthy))
	<-ch
	got = fmt.Sprint(f.view.HealthTargets())
	want = "[{srv-probe x {HTTP / 1} 10.0.0.1 80 UNKNOWN /} {srv-probe y {HTTP / 1} 10.0.0.2 81 UNHEALTHY /}]"
	if got != want {
		t.Errorf("after a registration got %s, want %s", got, want)
	}
	// A service that drops its health check is no longer a target.
	f.commit(svc("srv-probe", "ns-shop", "probe", ""))
	if got := f.view.HealthTargets(); len(got) != 0 {
		t.Errorf("after removing the check got %v, want none", got)
	}
}

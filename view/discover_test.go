package view_test

import (
	"fmt"
	"testing"

	"github.com/cloudmap/cloudmap"
)

// shopSetup is the population of the shop fixture: a custom-checked
// service cart (a, b healthy; c unhealthy), an unchecked service plain
// (p, q) and an HTTP-checked service probe (x with no health record yet).
var shopSetup = [][]op{
	{httpNS("ns-shop", "shop")},
	{svc("srv-cart", "ns-shop", "cart", "custom"), svc("srv-plain", "ns-shop", "plain", ""), svc("srv-probe", "ns-shop", "probe", "http")},
	{inst("srv-cart", "a", "stage=prod", "zone=a"), health("srv-cart", "a", cloudmap.Healthy)},
	{inst("srv-cart", "b", "stage=prod", "zone=b"), health("srv-cart", "b", cloudmap.Healthy)},
	{inst("srv-cart", "c", "stage=dev", "zone=a"), health("srv-cart", "c", cloudmap.Unhealthy)},
	{inst("srv-plain", "p", "stage=prod"), inst("srv-plain", "q", "stage=dev")},
	{inst("srv-probe", "x", "AWS_INSTANCE_IPV4=10.0.0.1", "AWS_INSTANCE_PORT=80")},
}

func shop(t *testing.T) *fixture { return newFixture(t, shopSetup...) }

// memShop is shop on the in-memory store, for the tests that run in a
// testing/synctest bubble: a store with real I/O (bolt's files, etcd's
// sockets) cannot run in one.
func memShop(t *testing.T) *fixture {
	f, _ := newMemFixture(t, shopSetup...)
	return f
}

func TestView_DiscoverInstances_Filters(t *testing.T) {
	f := shop(t)
	cases := []struct {
		name, svc string
		health    cloudmap.HealthStatusFilter
		q, opt    map[string]string
		want      string
	}{
		{"default is healthy", "cart", "", nil, nil, "a,b"},
		{"healthy", "cart", cloudmap.FilterHealthy, nil, nil, "a,b"},
		{"unhealthy", "cart", cloudmap.FilterUnhealthy, nil, nil, "c"},
		{"all", "cart", cloudmap.FilterAll, nil, nil, "a,b,c"},
		{"healthy or else all, some healthy", "cart", cloudmap.FilterHealthyOrElseAll, nil, nil, "a,b"},
		{"healthy or else all, none healthy among matches", "cart", cloudmap.FilterHealthyOrElseAll, map[string]string{"stage": "dev"}, nil, "c"},
		{"healthy, none healthy among matches", "cart", cloudmap.FilterHealthy, map[string]string{"stage": "dev"}, nil, ""},
		{"query one pair", "cart", cloudmap.FilterAll, map[string]string{"zone": "a"}, nil, "a,c"},
		{"query every pair must match", "cart", cloudmap.FilterAll, map[string]string{"zone": "a", "stage": "dev"}, nil, "c"},
		{"query missing key", "cart", cloudmap.FilterAll, map[string]string{"nokey": ""}, nil, ""},
		{"optional applies", "cart", "", map[string]string{"stage": "prod"}, map[string]string{"zone": "b"}, "b"},
		{"optional ignored when nothing matches", "cart", "", map[string]string{"stage": "prod"}, map[string]string{"zone": "nowhere"}, "a,b"},
		{"optional ignored when only unhealthy match", "cart", "", nil, map[string]string{"zone": "a", "stage": "dev"}, "a,b"},
		{"optional alone", "cart", cloudmap.FilterAll, nil, map[string]string{"zone": "a"}, "a,c"},
		{"no health check ignores unhealthy filter", "plain", cloudmap.FilterUnhealthy, nil, nil, "p,q"},
		{"no health check ignores healthy filter", "plain", cloudmap.FilterHealthy, nil, nil, "p,q"},
		{"no health check, query", "plain", "", map[string]string{"stage": "dev"}, nil, "q"},
		{"checked without status is not healthy", "probe", "", nil, nil, ""},
		{"checked without status is unhealthy-filtered", "probe", cloudmap.FilterUnhealthy, nil, nil, "x"},
		{"checked without status falls open", "probe", cloudmap.FilterHealthyOrElseAll, nil, nil, "x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := f.discover(&cloudmap.DiscoverInstancesInput{NamespaceName: "shop", ServiceName: c.svc,
				HealthStatus: c.health, QueryParameters: c.q, OptionalParameters: c.opt})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(out); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestView_DiscoverInstances_Summary(t *testing.T) {
	f := shop(t)
	cases := []struct {
		svc  string
		want string
	}{
		{"cart", "[{a shop cart HEALTHY map[stage:prod zone:a]} {b shop cart HEALTHY map[stage:prod zone:b]} {c shop cart UNHEALTHY map[stage:dev zone:a]}]"},
		{"plain", "[{p shop plain UNKNOWN map[stage:prod]} {q shop plain UNKNOWN map[stage:dev]}]"},
	}
	for _, c := range cases {
		out, err := f.discover(&cloudmap.DiscoverInstancesInput{NamespaceName: "shop", ServiceName: c.svc, HealthStatus: cloudmap.FilterAll})
		if err != nil {
			t.Fatal(err)
		}
		sortSummaries(out.Instances)
		if got := fmt.Sprint(out.Instances); got != c.want {
			t.Errorf("%s: got %s, want %s", c.svc, got, c.want)
		}
		if out.InstancesRevision == 0 {
			t.Errorf("%s: InstancesRevision is 0", c.svc)
		}
	}
}

func sortSummaries(s []cloudmap.HttpInstanceSummary) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j].InstanceId < s[i].InstanceId {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

func TestView_DiscoverInstances_Errors(t *testing.T) {
	f := newFixture(t,
		[]op{httpNS("ns-h", "Http.Name"), dnsNS("ns-d", "Example.Local", cloudmap.NamespaceDNSPrivate)},
		[]op{svc("srv-h", "ns-h", "Web", ""), svc("srv-d", "ns-d", "Api", "")},
	)
	cases := []struct {
		name string
		in   *cloudmap.DiscoverInstancesInput
		want string
	}{
		{"nil input", nil, cloudmap.ErrInvalidInput},
		{"no namespace name", &cloudmap.DiscoverInstancesInput{ServiceName: "Web"}, cloudmap.ErrInvalidInput},
		{"no service name", &cloudmap.DiscoverInstancesInput{NamespaceName: "Http.Name"}, cloudmap.ErrInvalidInput},
		{"max results too big", &cloudmap.DiscoverInstancesInput{NamespaceName: "Http.Name", ServiceName: "Web", MaxResults: 1001}, cloudmap.ErrInvalidInput},
		{"max results negative", &cloudmap.DiscoverInstancesInput{NamespaceName: "Http.Name", ServiceName: "Web", MaxResults: -1}, cloudmap.ErrInvalidInput},
		{"bad health status", &cloudmap.DiscoverInstancesInput{NamespaceName: "Http.Name", ServiceName: "Web", HealthStatus: "SICK"}, cloudmap.ErrInvalidInput},
		{"unknown namespace", &cloudmap.DiscoverInstancesInput{NamespaceName: "nope", ServiceName: "Web"}, cloudmap.ErrNamespaceNotFound},
		{"namespace by ID is not a name", &cloudmap.DiscoverInstancesInput{NamespaceName: "ns-h", ServiceName: "Web"}, cloudmap.ErrNamespaceNotFound},
		{"HTTP namespace name is exact", &cloudmap.DiscoverInstancesInput{NamespaceName: "http.name", ServiceName: "Web"}, cloudmap.ErrNamespaceNotFound},
		{"other owner", &cloudmap.DiscoverInstancesInput{NamespaceName: "Http.Name", ServiceName: "Web", OwnerAccount: "999999999999"}, cloudmap.ErrNamespaceNotFound},
		{"unknown service", &cloudmap.DiscoverInstancesInput{NamespaceName: "Http.Name", ServiceName: "nope"}, cloudmap.ErrServiceNotFound},
		{"HTTP service name is exact", &cloudmap.DiscoverInstancesInput{NamespaceName: "Http.Name", ServiceName: "web"}, cloudmap.ErrServiceNotFound},
		{"service of another namespace", &cloudmap.DiscoverInstancesInput{NamespaceName: "Http.Name", ServiceName: "Api"}, cloudmap.ErrServiceNotFound},
		{"exact names", &cloudmap.DiscoverInstancesInput{NamespaceName: "Http.Name", ServiceName: "Web", MaxResults: 1000, OwnerAccount: "123456789012"}, "<nil>"},
		{"DNS names fold case", &cloudmap.DiscoverInstancesInput{NamespaceName: "example.LOCAL", ServiceName: "API"}, "<nil>"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.discover(c.in)
			if got := code(err); got != c.want {
				t.Errorf("got %s (%v), want %s", got, err, c.want)
			}
		})
	}
	_, err := f.view.DiscoverInstancesRevision(t.Context(), &cloudmap.DiscoverInstancesRevisionInput{NamespaceName: "Http.Name", ServiceName: "nope"})
	if got := code(err); got != cloudmap.ErrServiceNotFound {
		t.Errorf("DiscoverInstancesRevision unknown service: got %s", got)
	}
}

func TestView_DiscoverInstances_MaxResultsSpreadsFairly(t *testing.T) {
	var ops []op
	for i := range 1000 {
		ops = append(ops, inst("srv-big", fmt.Sprintf("i-%04d", i), "n="+fmt.Sprint(i%2)))
	}
	f := newFixture(t, []op{httpNS("ns-big", "big"), svc("srv-big", "ns-big", "s", "")}, ops)

	out, err := f.discover(&cloudmap.DiscoverInstancesInput{NamespaceName: "big", ServiceName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(out.Instances), 100; got != want {
		t.Errorf("default MaxResults: got %d, want %d", got, want)
	}
	out, _ = f.discover(&cloudmap.DiscoverInstancesInput{NamespaceName: "big", ServiceName: "s", MaxResults: 1000})
	if got, want := len(out.Instances), 1000; got != want {
		t.Errorf("MaxResults 1000: got %d, want %d", got, want)
	}

	cases := []struct {
		name  string
		q     map[string]string
		pool  int
		limit int32
	}{
		{"all", nil, 1000, 10},
		{"filtered", map[string]string{"n": "1"}, 500, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			const calls = 10000
			seen := map[string]int{}
			firsts := map[string]int{}
			for range calls {
				out, err := f.discover(&cloudmap.DiscoverInstancesInput{NamespaceName: "big", ServiceName: "s", MaxResults: c.limit, QueryParameters: c.q})
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Instances) != int(c.limit) {
					t.Fatalf("got %d instances, want %d", len(out.Instances), c.limit)
				}
				once := map[string]bool{}
				for _, i := range out.Instances {
					if once[i.InstanceId] {
						t.Fatalf("instance %s twice in one answer", i.InstanceId)
					}
					if c.q != nil && i.Attributes["n"] != "1" {
						t.Fatalf("instance %s does not match the query", i.InstanceId)
					}
					once[i.InstanceId] = true
					seen[i.InstanceId]++
				}
				firsts[out.Instances[0].InstanceId]++
			}
			// Each instance is expected calls*limit/pool times (100 or 140,
			// standard deviation about 10 or 12); a fair choice stays within
			// [expected*2/5, expected*2] (more than 5 deviations).
			expected := calls * int(c.limit) / c.pool
			if len(seen) != c.pool {
				t.Errorf("%d distinct instances returned, want all %d", len(seen), c.pool)
			}
			for id, n := range seen {
				if n < expected*2/5 || n > expected*2 {
					t.Errorf("instance %s returned %d times, expected about %d", id, n, expected)
				}
			}
			// The first position is shuffled too: no instance leads much more
			// than its share (calls/pool = 10 or 20).
			for id, n := range firsts {
				if n > 80 {
					t.Errorf("instance %s came first %d times out of %d", id, n, calls)
				}
			}
		})
	}
}

package acceptance_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"

	"github.com/cloudmap/cloudmap/acceptance"
)

func discover(t *testing.T, n *acceptance.Node, in *sd.DiscoverInstancesInput) *sd.DiscoverInstancesOutput {
	t.Helper()
	out, err := n.Client.DiscoverInstances(ctx, in)
	if err != nil {
		t.Fatalf("DiscoverInstances: %v", err)
	}
	return out
}

func ids(out *sd.DiscoverInstancesOutput) map[string]bool {
	m := map[string]bool{}
	for _, i := range out.Instances {
		m[aws.ToString(i.InstanceId)] = true
	}
	return m
}

func TestDiscoverInstances_Filters(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createHTTPNamespace(t, n, "shop")
	svc := createService(t, n, &sd.CreateServiceInput{Name: aws.String("cart"), NamespaceId: &nsID,
		HealthCheckCustomConfig: &types.HealthCheckCustomConfig{}})
	register(t, n, *svc.Id, "a", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1", "stage": "prod", "zone": "a"})
	register(t, n, *svc.Id, "b", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.2", "stage": "prod", "zone": "b"})
	register(t, n, *svc.Id, "c", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.3", "stage": "dev", "zone": "a",
		"AWS_INIT_HEALTH_STATUS": "UNHEALTHY"})

	base := func() *sd.DiscoverInstancesInput {
		return &sd.DiscoverInstancesInput{NamespaceName: aws.String("shop"), ServiceName: aws.String("cart")}
	}
	cases := []struct {
		name string
		mod  func(*sd.DiscoverInstancesInput)
		want string
	}{
		{"default is healthy", func(*sd.DiscoverInstancesInput) {}, "map[a:true b:true]"},
		{"all", func(in *sd.DiscoverInstancesInput) { in.HealthStatus = types.HealthStatusFilterAll }, "map[a:true b:true c:true]"},
		{"unhealthy", func(in *sd.DiscoverInstancesInput) { in.HealthStatus = types.HealthStatusFilterUnhealthy }, "map[c:true]"},
		{"query", func(in *sd.DiscoverInstancesInput) {
			in.HealthStatus = types.HealthStatusFilterAll
			in.QueryParameters = map[string]string{"zone": "a"}
		}, "map[a:true c:true]"},
		{"query and", func(in *sd.DiscoverInstancesInput) {
			in.HealthStatus = types.HealthStatusFilterAll
			in.QueryParameters = map[string]string{"zone": "a", "stage": "dev"}
		}, "map[c:true]"},
		{"optional applies", func(in *sd.DiscoverInstancesInput) {
			in.QueryParameters = map[string]string{"stage": "prod"}
			in.OptionalParameters = map[string]string{"zone": "b"}
		}, "map[b:true]"},
		{"optional ignored when nothing matches", func(in *sd.DiscoverInstancesInput) {
			in.QueryParameters = map[string]string{"stage": "prod"}
			in.OptionalParameters = map[string]string{"zone": "nowhere"}
		}, "map[a:true b:true]"},
		{"max results", func(in *sd.DiscoverInstancesInput) {
			in.HealthStatus = types.HealthStatusFilterAll
			in.MaxResults = aws.Int32(1)
		}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := base()
			c.mod(in)
			out := discover(t, n, in)
			if c.want == "" {
				if len(out.Instances) != 1 {
					t.Errorf("got %d instances, want 1", len(out.Instances))
				}
				return
			}
			if got := fmt.Sprint(ids(out)); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
			for _, i := range out.Instances {
				if aws.ToString(i.NamespaceName) != "shop" || aws.ToString(i.ServiceName) != "cart" || i.Attributes["AWS_INSTANCE_IPV4"] == "" {
					t.Errorf("summary = %+v", i)
				}
			}
		})
	}
	// All unhealthy: HEALTHY_OR_ELSE_ALL falls back to every instance.
	for _, id := range []string{"a", "b"} {
		if _, err := n.Client.UpdateInstanceCustomHealthStatus(ctx, &sd.UpdateInstanceCustomHealthStatusInput{
			ServiceId: svc.Id, InstanceId: aws.String(id), Status: types.CustomHealthStatusUnhealthy}); err != nil {
			t.Fatal(err)
		}
	}
	in := base()
	if out := discover(t, n, in); len(out.Instances) != 0 {
		t.Errorf("HEALTHY with every instance unhealthy returned %d", len(out.Instances))
	}
	in.HealthStatus = types.HealthStatusFilterHealthyOrElseAll
	if out := discover(t, n, in); len(out.Instances) != 3 {
		t.Errorf("HEALTHY_OR_ELSE_ALL returned %d, want 3", len(out.Instances))
	}
	hs, err := n.Client.GetInstancesHealthStatus(ctx, &sd.GetInstancesHealthStatusInput{ServiceId: svc.Id})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(hs.Status) != "map[a:UNHEALTHY b:UNHEALTHY c:UNHEALTHY]" {
		t.Errorf("GetInstancesHealthStatus = %v", hs.Status)
	}
}

func TestDiscoverInstances_Errors(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createHTTPNamespace(t, n, "err")
	plain := createService(t, n, &sd.CreateServiceInput{Name: aws.String("plain"), NamespaceId: &nsID})
	_, err := n.Client.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("nope"), ServiceName: aws.String("x")})
	wantErr[*types.NamespaceNotFound](t, err)
	_, err = n.Client.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("err"), ServiceName: aws.String("x")})
	wantErr[*types.ServiceNotFound](t, err)
	_, err = n.Client.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("err"), ServiceName: aws.String("plain"), MaxResults: aws.Int32(1001)})
	wantErr[*types.InvalidInput](t, err)
	_, err = n.Client.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("err"), ServiceName: aws.String("plain"), HealthStatus: "SICK"})
	wantErr[*types.InvalidInput](t, err)
	register(t, n, *plain.Id, "p", map[string]string{"k": "v"})
	_, err = n.Client.UpdateInstanceCustomHealthStatus(ctx, &sd.UpdateInstanceCustomHealthStatusInput{
		ServiceId: plain.Id, InstanceId: aws.String("p"), Status: types.CustomHealthStatusHealthy})
	wantErr[*types.CustomHealthNotFound](t, err)
	_, err = n.Client.GetInstancesHealthStatus(ctx, &sd.GetInstancesHealthStatusInput{ServiceId: plain.Id, Instances: []string{"ghost"}})
	wantErr[*types.InstanceNotFound](t, err)
	// Services without health checking ignore the filter.
	out := discover(t, n, &sd.DiscoverInstancesInput{NamespaceName: aws.String("err"), ServiceName: aws.String("plain"),
		HealthStatus: types.HealthStatusFilterUnhealthy})
	if len(out.Instances) != 1 {
		t.Errorf("no health check, UNHEALTHY filter: %d instances, want 1", len(out.Instances))
	}
}

func TestDiscoverInstances_RevisionAndReadYourWrites(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createHTTPNamespace(t, n, "rev")
	svc := createService(t, n, &sd.CreateServiceInput{Name: aws.String("s"), NamespaceId: &nsID,
		HealthCheckCustomConfig: &types.HealthCheckCustomConfig{}})
	revIn := &sd.DiscoverInstancesRevisionInput{NamespaceName: aws.String("rev"), ServiceName: aws.String("s")}
	rev := func() int64 {
		out, err := n.Client.DiscoverInstancesRevision(ctx, revIn)
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToInt64(out.InstancesRevision)
	}
	r0 := rev()
	for i := 0; i < 20; i++ {
		id := fmt.Sprintf("i-%d", i)
		register(t, n, *svc.Id, id, map[string]string{"AWS_INSTANCE_IPV4": "10.1.0.1"})
		// register waited for SUCCESS: discovery must show it now.
		out := discover(t, n, &sd.DiscoverInstancesInput{NamespaceName: aws.String("rev"), ServiceName: aws.String("s"), MaxResults: aws.Int32(1000)})
		if !ids(out)[id] {
			t.Fatalf("instance %s missing right after its operation succeeded", id)
		}
	}
	r1 := rev()
	if r1 == r0 || rev() != r1 {
		t.Errorf("revision %d -> %d (stable read %d): want a change, then stability", r0, r1, rev())
	}
	if _, err := n.Client.UpdateInstanceCustomHealthStatus(ctx, &sd.UpdateInstanceCustomHealthStatusInput{
		ServiceId: svc.Id, InstanceId: aws.String("i-0"), Status: types.CustomHealthStatusUnhealthy}); err != nil {
		t.Fatal(err)
	}
	if out := discover(t, n, &sd.DiscoverInstancesInput{NamespaceName: aws.String("rev"), ServiceName: aws.String("s"), MaxResults: aws.Int32(1000)}); ids(out)["i-0"] {
		t.Error("instance i-0 still discovered as healthy right after UpdateInstanceCustomHealthStatus")
	}
	r2 := rev()
	if r2 == r1 {
		t.Error("revision did not change with health")
	}
	deregister(t, n, *svc.Id, "i-5")
	if out := discover(t, n, &sd.DiscoverInstancesInput{NamespaceName: aws.String("rev"), ServiceName: aws.String("s"),
		HealthStatus: types.HealthStatusFilterAll, MaxResults: aws.Int32(1000)}); ids(out)["i-5"] {
		t.Error("deregistered instance still discovered")
	}
	if rev() == r2 {
		t.Error("revision did not change with deregistration")
	}
}

func TestDiscoverInstances_ConcurrentRegistration(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createHTTPNamespace(t, n, "busy")
	svc := createService(t, n, &sd.CreateServiceInput{Name: aws.String("s"), NamespaceId: &nsID})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 2000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := n.Client.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("busy"), ServiceName: aws.String("s")}); err != nil {
				t.Errorf("discover during registration: %v", err)
				return
			}
		}
	}()
	var regs sync.WaitGroup
	for w := 0; w < 4; w++ {
		regs.Add(1)
		go func(w int) {
			defer regs.Done()
			for i := 0; i < 10; i++ {
				register(t, n, *svc.Id, fmt.Sprintf("w%d-%d", w, i), map[string]string{"AWS_INSTANCE_IPV4": "10.2.0.1"})
			}
		}(w)
	}
	regs.Wait()
	close(stop)
	wg.Wait()
	out := discover(t, n, &sd.DiscoverInstancesInput{NamespaceName: aws.String("busy"), ServiceName: aws.String("s"), MaxResults: aws.Int32(1000)})
	if len(out.Instances) != 40 {
		t.Errorf("after concurrent registration: %d instances, want 40", len(out.Instances))
	}
}

func TestDiscoverInstances_ThousandFairSpread(t *testing.T) {
	if testing.Short() {
		t.Skip("registers 1,000 instances")
	}
	n := acceptance.MustStart(t)
	nsID := createHTTPNamespace(t, n, "big")
	svc := createService(t, n, &sd.CreateServiceInput{Name: aws.String("s"), NamespaceId: &nsID})
	var ops []string
	for i := 0; i < 1000; i++ {
		out, err := n.Client.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: svc.Id,
			InstanceId: aws.String(fmt.Sprintf("i-%04d", i)), Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.3.0.1"}})
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, *out.OperationId)
	}
	for _, op := range ops {
		n.WaitOperation(t, op)
	}
	in := &sd.DiscoverInstancesInput{NamespaceName: aws.String("big"), ServiceName: aws.String("s"), MaxResults: aws.Int32(1000)}
	if out := discover(t, n, in); len(out.Instances) != 1000 {
		t.Fatalf("got %d of 1000", len(out.Instances))
	}
	in.MaxResults = nil // default 100
	seen := map[string]int{}
	for i := 0; i < 100; i++ {
		out := discover(t, n, in)
		if len(out.Instances) != 100 {
			t.Fatalf("default MaxResults gave %d, want 100", len(out.Instances))
		}
		for _, s := range out.Instances {
			seen[aws.ToString(s.InstanceId)]++
		}
	}
	// 100 calls x 100 of 1000: each instance is expected 10 times; a fair
	// spread reaches nearly all of them and none dominates.
	if len(seen) < 950 {
		t.Errorf("only %d of 1000 instances ever returned in 100 calls", len(seen))
	}
	for id, c := range seen {
		if c > 40 {
			t.Errorf("instance %s returned %d times of 100", id, c)
		}
	}
}

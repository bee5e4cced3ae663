package acceptance_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/internal/testkit"
)

// switchable is an HTTP target whose status code the test flips.
func switchable(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var code atomic.Int32
	code.Store(200)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(code.Load()))
	}))
	t.Cleanup(srv.Close)
	return srv, &code
}

func hostPort(t *testing.T, url string) (string, string) {
	h, p, err := net.SplitHostPort(url[len("http://"):])
	if err != nil {
		t.Fatal(err)
	}
	return h, p
}

// eventually retries f until it returns true or 20 s pass.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	testkit.EventuallyTrue(t, what, f)
}

func TestHealth_HTTPCheckDrivesDNSAndDiscovery(t *testing.T) {
	n := acceptance.MustStart(t)
	out, err := n.Client.CreatePublicDnsNamespace(ctx, &sd.CreatePublicDnsNamespaceInput{Name: aws.String("health.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	nsID := n.WaitOperation(t, *out.OperationId).Targets["NAMESPACE"]
	svc := createService(t, n, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: &nsID,
		DnsConfig: &types.DnsConfig{RoutingPolicy: types.RoutingPolicyMultivalue,
			DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(10)}}},
		HealthCheckConfig: &types.HealthCheckConfig{Type: types.HealthCheckTypeHttp, ResourcePath: aws.String("/health"),
			FailureThreshold: aws.Int32(2)}})
	good, _ := switchable(t)
	bad, badCode := switchable(t)
	gh, gp := hostPort(t, good.URL)
	bh, bp := hostPort(t, bad.URL)
	register(t, n, *svc.Id, "good", map[string]string{"AWS_INSTANCE_IPV4": gh, "AWS_INSTANCE_PORT": gp})
	register(t, n, *svc.Id, "bad", map[string]string{"AWS_INSTANCE_IPV4": bh, "AWS_INSTANCE_PORT": bp})

	status := func(id string) types.HealthStatus {
		hs, err := n.Client.GetInstancesHealthStatus(ctx, &sd.GetInstancesHealthStatusInput{ServiceId: svc.Id, Instances: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		return hs.Status[id]
	}
	eventually(t, "both healthy", func() bool {
		return status("good") == types.HealthStatusHealthy && status("bad") == types.HealthStatusHealthy
	})
	badCode.Store(500)
	eventually(t, "bad unhealthy", func() bool { return status("bad") == types.HealthStatusUnhealthy })
	if status("good") != types.HealthStatusHealthy {
		t.Error("the good target turned unhealthy")
	}
	d, err := n.Client.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("health.example.com"), ServiceName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Instances) != 1 || aws.ToString(d.Instances[0].InstanceId) != "good" {
		t.Errorf("healthy discovery = %+v", d.Instances)
	}
	r := n.Query(t, "udp", "web.health.example.com", dns.TypeA)
	if len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != gh {
		t.Errorf("DNS with one unhealthy target = %v", r.Answer)
	}
	badCode.Store(200)
	eventually(t, "bad healthy again", func() bool { return status("bad") == types.HealthStatusHealthy })
	// A service with HealthCheckConfig takes no custom health.
	_, err = n.Client.UpdateInstanceCustomHealthStatus(ctx, &sd.UpdateInstanceCustomHealthStatusInput{
		ServiceId: svc.Id, InstanceId: aws.String("good"), Status: types.CustomHealthStatusUnhealthy})
	wantErr[*types.CustomHealthNotFound](t, err)
}

func TestHealth_ConfigRules(t *testing.T) {
	n := acceptance.MustStart(t)
	privID := createPrivateNamespace(t, n, "rules.local", 10)
	_, err := n.Client.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("x"), NamespaceId: &privID,
		HealthCheckConfig: &types.HealthCheckConfig{Type: types.HealthCheckTypeTcp}})
	wantErr[*types.InvalidInput](t, err)
	out, err := n.Client.CreatePublicDnsNamespace(ctx, &sd.CreatePublicDnsNamespaceInput{Name: aws.String("rules.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	pubID := n.WaitOperation(t, *out.OperationId).Targets["NAMESPACE"]
	bad := []*types.HealthCheckConfig{
		{Type: types.HealthCheckTypeTcp, ResourcePath: aws.String("/x")},
		{Type: types.HealthCheckTypeHttp, FailureThreshold: aws.Int32(0)},
	}
	for _, hc := range bad {
		_, err := n.Client.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("y"), NamespaceId: &pubID, HealthCheckConfig: hc,
			DnsConfig: &types.DnsConfig{DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(1)}}}})
		wantErr[*types.InvalidInput](t, err)
	}
	_, err = n.Client.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("z"), NamespaceId: &pubID,
		HealthCheckConfig: &types.HealthCheckConfig{Type: types.HealthCheckTypeTcp}, HealthCheckCustomConfig: &types.HealthCheckCustomConfig{},
		DnsConfig: &types.DnsConfig{DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(1)}}}})
	wantErr[*types.InvalidInput](t, err)
}

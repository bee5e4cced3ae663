package acceptance_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/embed"
)

func privateCheckedService(n *acceptance.Node, nsID string) (*sd.CreateServiceOutput, error) {
	return n.Client.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: &nsID,
		DnsConfig: &types.DnsConfig{RoutingPolicy: types.RoutingPolicyMultivalue,
			DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(10)}}},
		HealthCheckConfig: &types.HealthCheckConfig{Type: types.HealthCheckTypeHttp, FailureThreshold: aws.Int32(1)}})
}

func TestHealthChecksPrivate_RefusedLikeAWSByDefault(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createPrivateNamespace(t, n, "private.local", 30)
	_, err := privateCheckedService(n, nsID)
	e := wantErr[*types.InvalidInput](t, err)
	if msg := aws.ToString(e.Message); !strings.Contains(msg, "HealthCheckConfig") || !strings.Contains(msg, "private DNS namespace") {
		t.Fatalf("message %q, want it to name HealthCheckConfig and the private DNS namespace rule", msg)
	}
}

func TestHealthChecksPrivate_ProbesDriveDNS(t *testing.T) {
	n := acceptance.MustStart(t, func(c *embed.Config) { c.HealthChecksPrivate = true })
	nsID := createPrivateNamespace(t, n, "private.local", 30)
	out, err := privateCheckedService(n, nsID)
	if err != nil {
		t.Fatalf("HealthCheckConfig in a private namespace with --health-checks-private: %v", err)
	}
	good, _ := switchable(t)
	bad, badCode := switchable(t)
	gh, gp := hostPort(t, good.URL)
	bh, bp := hostPort(t, bad.URL)
	register(t, n, *out.Service.Id, "good", map[string]string{"AWS_INSTANCE_IPV4": gh, "AWS_INSTANCE_PORT": gp})
	register(t, n, *out.Service.Id, "bad", map[string]string{"AWS_INSTANCE_IPV4": bh, "AWS_INSTANCE_PORT": bp})
	badCode.Store(500)
	status := func(id string) types.HealthStatus {
		hs, err := n.Client.GetInstancesHealthStatus(ctx, &sd.GetInstancesHealthStatusInput{ServiceId: out.Service.Id, Instances: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		return hs.Status[id]
	}
	eventually(t, "bad unhealthy", func() bool { return status("bad") == types.HealthStatusUnhealthy })
	// Both targets listen on the same loopback address: one record means
	// that only the healthy instance is answered.
	r := n.Query(t, "udp", "web.private.local", dns.TypeA)
	if got := fmt.Sprint(answers(r)); got != "[web.private.local. 10 IN A "+gh+"]" {
		t.Fatalf("DNS answer %s, want only the healthy instance", got)
	}
}

// The probe-target policy is the same in private namespaces: without
// --health-check-allow, a loopback target is refused, so its instance
// turns UNHEALTHY although it answers 200.
func TestHealthChecksPrivate_SameProbeTargetPolicy(t *testing.T) {
	n := acceptance.MustStart(t, func(c *embed.Config) { c.HealthChecksPrivate, c.HealthCheckAllow = true, nil })
	nsID := createPrivateNamespace(t, n, "private.local", 30)
	out, err := privateCheckedService(n, nsID)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := switchable(t)
	gh, gp := hostPort(t, good.URL)
	register(t, n, *out.Service.Id, "local", map[string]string{"AWS_INSTANCE_IPV4": gh, "AWS_INSTANCE_PORT": gp})
	eventually(t, "the loopback target refused", func() bool {
		hs, err := n.Client.GetInstancesHealthStatus(ctx, &sd.GetInstancesHealthStatusInput{ServiceId: out.Service.Id})
		if err != nil {
			t.Fatal(err)
		}
		return hs.Status["local"] == types.HealthStatusUnhealthy
	})
}

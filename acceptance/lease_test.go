package acceptance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"

	"github.com/cloudmap/cloudmap/acceptance"
)

// TestLease_ExpiryThenDeregistration lets a 1 s lease expire: the instance
// turns UNHEALTHY, then a DEREGISTER_INSTANCE operation removes it. The
// test waits on the long-poll, not on a clock.
func TestLease_ExpiryThenDeregistration(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createHTTPNamespace(t, n, "shop")
	srv := createService(t, n, &sd.CreateServiceInput{Name: aws.String("cart"), NamespaceId: aws.String(nsID),
		HealthCheckCustomConfig: &types.HealthCheckCustomConfig{}})
	_, err := n.Client.UpdateServiceAttributes(ctx, &sd.UpdateServiceAttributesInput{ServiceId: srv.Id,
		// Two seconds UNHEALTHY before the deregistration: long enough for
		// the long-poll to answer that state even on a loaded machine.
		Attributes: map[string]string{"cloudmap.lease-seconds": "1", "cloudmap.deregister-after-seconds": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	register(t, n, *srv.Id, "a", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1"})
	in := &sd.DiscoverInstancesInput{NamespaceName: aws.String("shop"), ServiceName: aws.String("cart"),
		HealthStatus: types.HealthStatusFilterAll}
	out := discover(t, n, in)
	if len(out.Instances) != 1 || out.Instances[0].HealthStatus != types.HealthStatusHealthy {
		t.Fatalf("after registering: %+v", out.Instances)
	}
	seen := map[string]bool{}
	deadline := time.Now().Add(time.Minute)
	for len(out.Instances) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("still registered after a minute: %+v", out.Instances)
		}
		next, err := n.Client.DiscoverInstances(ctx, in, longPoll(*out.InstancesRevision, "1m"))
		if err != nil {
			t.Fatal(err)
		}
		if *next.InstancesRevision == *out.InstancesRevision {
			t.Fatalf("nothing changed within a minute: %+v", next.Instances)
		}
		for _, i := range next.Instances {
			seen[string(i.HealthStatus)] = true
		}
		out = next
	}
	if !seen["UNHEALTHY"] {
		t.Fatal("the instance was deregistered without turning UNHEALTHY first")
	}
	ops, err := n.Client.ListOperations(ctx, &sd.ListOperationsInput{Filters: []types.OperationFilter{
		{Name: types.OperationFilterNameType, Values: []string{"DEREGISTER_INSTANCE"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ops.Operations) != 1 {
		t.Fatalf("DEREGISTER_INSTANCE operations: %+v, want the lease's one", ops.Operations)
	}
}

func TestLease_BadAttributes(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createHTTPNamespace(t, n, "shop")
	custom := createService(t, n, &sd.CreateServiceInput{Name: aws.String("cart"), NamespaceId: aws.String(nsID),
		HealthCheckCustomConfig: &types.HealthCheckCustomConfig{}})
	plain := createService(t, n, &sd.CreateServiceInput{Name: aws.String("plain"), NamespaceId: aws.String(nsID)})
	cases := []struct {
		name, svc, key, value, rule string
	}{
		{"lease over a day", *custom.Id, "cloudmap.lease-seconds", "86401", "from 1 to 86400"},
		{"lease not a number", *custom.Id, "cloudmap.lease-seconds", "ten", "from 1 to 86400"},
		{"deregister over a week", *custom.Id, "cloudmap.deregister-after-seconds", "604801", "from 0 to 604800"},
		{"lease without custom health", *plain.Id, "cloudmap.lease-seconds", "10", "HealthCheckCustomConfig"},
		{"dns answers over 100", *plain.Id, "cloudmap.dns-max-answers", "101", "from 1 to 100"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := n.Client.UpdateServiceAttributes(ctx, &sd.UpdateServiceAttributesInput{ServiceId: aws.String(c.svc),
				Attributes: map[string]string{c.key: c.value}})
			e := wantErr[*types.InvalidInput](t, err)
			if msg := aws.ToString(e.Message); !strings.Contains(msg, c.key) || !strings.Contains(msg, c.rule) {
				t.Fatalf("message %q, want it to name %s and %q", msg, c.key, c.rule)
			}
		})
	}
}

// TestLease_RenewalKeepsAnInstance renews b through
// UpdateInstanceCustomHealthStatus HEALTHY after every long-poll of at most
// 200 ms while a, never renewed, expires and is deregistered; b stays.
func TestLease_RenewalKeepsAnInstance(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createHTTPNamespace(t, n, "shop")
	srv := createService(t, n, &sd.CreateServiceInput{Name: aws.String("cart"), NamespaceId: aws.String(nsID),
		HealthCheckCustomConfig: &types.HealthCheckCustomConfig{}})
	_, err := n.Client.UpdateServiceAttributes(ctx, &sd.UpdateServiceAttributesInput{ServiceId: srv.Id,
		Attributes: map[string]string{"cloudmap.lease-seconds": "3", "cloudmap.deregister-after-seconds": "0"}})
	if err != nil {
		t.Fatal(err)
	}
	register(t, n, *srv.Id, "a", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1"})
	register(t, n, *srv.Id, "b", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.2"})
	in := &sd.DiscoverInstancesInput{NamespaceName: aws.String("shop"), ServiceName: aws.String("cart"),
		HealthStatus: types.HealthStatusFilterAll}
	out := discover(t, n, in)
	renewBUntilAExpires(t, n.Client, *srv.Id, in, out)
}

// renewBUntilAExpires renews instance b of service svcID through
// UpdateInstanceCustomHealthStatus HEALTHY after every long-poll of at most
// 200 ms, until instance a (never renewed) is gone; then b must be the only
// instance, HEALTHY. A minute bounds it (a leader change restarts every
// lease): a bound, not a timed assertion.
func renewBUntilAExpires(t *testing.T, client *sd.Client, svcID string, in *sd.DiscoverInstancesInput, out *sd.DiscoverInstancesOutput) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for ids(out)["a"] {
		if time.Now().After(deadline) {
			t.Fatalf("a still registered after a minute: %+v", out.Instances)
		}
		_, err := client.UpdateInstanceCustomHealthStatus(ctx, &sd.UpdateInstanceCustomHealthStatusInput{
			ServiceId: aws.String(svcID), InstanceId: aws.String("b"), Status: types.CustomHealthStatusHealthy})
		if err != nil {
			t.Fatal(err)
		}
		if out, err = client.DiscoverInstances(ctx, in, longPoll(*out.InstancesRevision, "200ms")); err != nil {
			t.Fatal(err)
		}
	}
	if len(out.Instances) != 1 || *out.Instances[0].InstanceId != "b" || out.Instances[0].HealthStatus != types.HealthStatusHealthy {
		t.Fatalf("after a expired: %+v, want b HEALTHY", out.Instances)
	}
}

package acceptance_test

import (
	"bufio"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"

	"github.com/cloudmap/cloudmap/acceptance"
)

// cellWatch opens GET /v1/watch signed for the cell (no-auth mode: the
// access key ID is the account, the scope's region the region).
func cellWatch(t *testing.T, n *acceptance.Node, c *cell, query url.Values) *sseStream {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, n.APIURL()+"/v1/watch?"+query.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: c.account, SecretAccessKey: "secret"}, req,
		emptySHA256, "servicediscovery", c.region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("watch in %s: %d %s", c, resp.StatusCode, body(resp))
	}
	return &sseStream{t: t, resp: resp, r: bufio.NewReader(resp.Body)}
}

// Change streams and long-polls run in the caller's cell: the same names
// in another cell are other services.
func TestCells_WatchAndLongPollInTheCallersCell(t *testing.T) {
	n := acceptance.MustStart(t)
	cells := sixCells()[:2]
	a, b := cells[0], cells[1]
	populate(t, n, cells)
	ca, cb := cellClient(n, a.account, a.region), cellClient(n, b.account, b.region)
	registerIn := func(cl *sd.Client, c *cell, id string) {
		t.Helper()
		if _, err := cl.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: &c.svcID, InstanceId: aws.String(id),
			Attributes: map[string]string{"cell": c.String()}}); err != nil {
			t.Fatal(err)
		}
	}

	s := cellWatch(t, n, a, url.Values{"namespace": {"team"}, "service": {"web"}})
	if ev := s.next(); ev.name != "snapshot" || len(ev.data.Services) != 1 || !slices.Equal(instanceIDs(ev.data.Services[0].Instances), []string{"i-1"}) {
		t.Fatalf("snapshot in %s: %s %+v, want i-1 only", a, ev.name, ev.data)
	}
	registerIn(cb, b, "i-b")
	registerIn(ca, a, "i-a")
	if ev := s.next(); ev.name != "change" || !slices.Equal(instanceIDs(ev.data.Changed), []string{"i-a"}) {
		t.Fatalf("first change in %s: %s %+v, want i-a (i-b is another cell's)", a, ev.name, ev.data.watchedService)
	}

	in := &sd.DiscoverInstancesInput{NamespaceName: aws.String("team"), ServiceName: aws.String("web")}
	first, err := ca.DiscoverInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		out *sd.DiscoverInstancesOutput
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := ca.DiscoverInstances(ctx, in, longPoll(*first.InstancesRevision, "10m"))
		done <- result{out, err}
	}()
	registerIn(cb, b, "i-b2")
	registerIn(ca, a, "i-a2")
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	got := ids(r.out)
	if !got["i-a2"] || got["i-b"] || got["i-b2"] {
		t.Fatalf("long-poll in %s answered %v, want %s's instances with i-a2", a, got, a)
	}
	for _, i := range r.out.Instances {
		if i.Attributes["cell"] != a.String() {
			t.Errorf("long-poll in %s answered instance %s of %s", a, aws.ToString(i.InstanceId), i.Attributes["cell"])
		}
	}
}

// A lease in another cell than the default expires there: the instance
// turns UNHEALTHY, then its DEREGISTER_INSTANCE operation is the cell's.
func TestCells_LeaseExpiresInItsCell(t *testing.T) {
	n := acceptance.MustStart(t)
	c := sixCells()[4]
	cl := cellClient(n, c.account, c.region)
	op, err := cl.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String("shop")})
	if err != nil {
		t.Fatal(err)
	}
	nsID := acceptance.WaitOperation(t, cl, *op.OperationId).Targets["NAMESPACE"]
	srv, err := cl.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("cart"), NamespaceId: &nsID,
		HealthCheckCustomConfig: &types.HealthCheckCustomConfig{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.UpdateServiceAttributes(ctx, &sd.UpdateServiceAttributesInput{ServiceId: srv.Service.Id,
		Attributes: map[string]string{"cloudmap.lease-seconds": "1", "cloudmap.deregister-after-seconds": "0"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: srv.Service.Id, InstanceId: aws.String("a"),
		Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1"}}); err != nil {
		t.Fatal(err)
	}
	in := &sd.DiscoverInstancesInput{NamespaceName: aws.String("shop"), ServiceName: aws.String("cart"),
		HealthStatus: types.HealthStatusFilterAll}
	out, err := cl.DiscoverInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[types.HealthStatus]bool{}
	deadline := time.Now().Add(time.Minute)
	for len(out.Instances) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("still registered after a minute: %+v", out.Instances)
		}
		next, err := cl.DiscoverInstances(ctx, in, longPoll(*out.InstancesRevision, "1m"))
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range next.Instances {
			seen[i.HealthStatus] = true
		}
		out = next
	}
	if !seen[types.HealthStatusUnhealthy] {
		t.Error("the instance was deregistered without turning UNHEALTHY first")
	}
	ops, err := cl.ListOperations(ctx, &sd.ListOperationsInput{Filters: []types.OperationFilter{
		{Name: types.OperationFilterNameType, Values: []string{"DEREGISTER_INSTANCE"}}}})
	if err != nil || len(ops.Operations) != 1 {
		t.Fatalf("the cell's DEREGISTER_INSTANCE operations: %+v, %v; want the lease's one", ops, err)
	}
}

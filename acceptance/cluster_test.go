package acceptance_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/embed"
	"github.com/cloudmap/cloudmap/etcd"
	"github.com/cloudmap/cloudmap/etcd/etcdtest"
	"github.com/cloudmap/cloudmap/internal/testkit"
	"github.com/cloudmap/cloudmap/storetest/teststore"
)

// clusterTimeout bounds every wait of the cluster tests.
const clusterTimeout = 20 * time.Second

// onEtcd returns a config change that puts a node on etcd at endpoints with
// a short leader TTL and request timeout.
func onEtcd(endpoints ...string) func(*embed.Config) {
	return func(c *embed.Config) {
		c.EtcdEndpoints = endpoints
		c.EtcdPrefix = "/cloudmap/"
		c.LeaderTTL = time.Second
		c.EtcdRequestTimeout = 2 * time.Second
		c.DataDir = ""
	}
}

// startNodes starts n cloudmap nodes on the same etcd endpoints.
func startNodes(t *testing.T, n int, endpoints []string, mods ...func(*embed.Config)) []*acceptance.Node {
	t.Helper()
	nodes := make([]*acceptance.Node, n)
	for i := range nodes {
		nodes[i] = acceptance.MustStart(t, append([]func(*embed.Config){onEtcd(endpoints...)}, mods...)...)
	}
	return nodes
}

// within polls f until it returns nil or clusterTimeout passes, then fails
// with f's last error.
func within(t *testing.T, what string, f func() error) {
	t.Helper()
	testkit.Eventually(t, what, f)
}

// discoverIDs returns the instance ids DiscoverInstances (all health) on n.
func discoverIDs(n *acceptance.Node, ns, svc string) ([]string, error) {
	out, err := n.Client.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: &ns,
		ServiceName: &svc, HealthStatus: types.HealthStatusFilterAll, MaxResults: aws.Int32(1000)})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, in := range out.Instances {
		ids = append(ids, aws.ToString(in.InstanceId))
	}
	slices.Sort(ids)
	return ids, nil
}

// hasInstance says whether n discovers instance id of ns/svc.
func hasInstance(n *acceptance.Node, ns, svc, id string) error {
	ids, err := discoverIDs(n, ns, svc)
	if err != nil {
		return err
	}
	if !slices.Contains(ids, id) {
		return fmt.Errorf("%s not among %v", id, ids)
	}
	return nil
}

// hasA says whether n's DNS answers name with an A record of ip.
func hasA(n *acceptance.Node, name, ip string) error {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	c := &dns.Client{Timeout: time.Second}
	r, _, err := c.Exchange(m, n.DNSAddr())
	if err != nil {
		return err
	}
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok && a.A.String() == ip {
			return nil
		}
	}
	return fmt.Errorf("%s A: rcode %s, answers %v, want %s", name, dns.RcodeToString[r.Rcode], r.Answer, ip)
}

// submitRegister sends RegisterInstance and returns its operation id.
func submitRegister(n *acceptance.Node, svcID, id, ip string) (string, error) {
	out, err := n.Client.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: &svcID, InstanceId: &id,
		Attributes: map[string]string{"AWS_INSTANCE_IPV4": ip}})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.OperationId), nil
}

// opStatus returns the status of an operation as n reports it.
func opStatus(n *acceptance.Node, opID string) (types.OperationStatus, error) {
	out, err := n.Client.GetOperation(ctx, &sd.GetOperationInput{OperationId: &opID})
	if err != nil {
		return "", err
	}
	return out.Operation.Status, nil
}

// waitSuccess polls n until operation opID is SUCCESS; transient API errors
// (an etcd member going away) are retried until the deadline.
func waitSuccess(t *testing.T, n *acceptance.Node, opID string) {
	t.Helper()
	within(t, "operation "+opID+" SUCCESS", func() error {
		st, err := opStatus(n, opID)
		if err == nil && st != types.OperationStatusSuccess {
			err = fmt.Errorf("status %s", st)
		}
		if st == types.OperationStatusFail {
			t.Fatalf("operation %s failed", opID)
		}
		return err
	})
}

// apiError returns the HTTP status, AWS code (__type) and message of err
// (acceptance.DecodeError).
func apiError(t *testing.T, err error) (status int, code, msg string) {
	t.Helper()
	e := acceptance.DecodeError(t, err)
	return e.Status, e.Code, e.Message
}

// dnsService creates a private DNS namespace and an A-record service on n
// and returns the service id.
func dnsService(t *testing.T, n *acceptance.Node, zone, name string) string {
	t.Helper()
	nsID := createPrivateNamespace(t, n, zone, 30)
	svc := createService(t, n, &sd.CreateServiceInput{Name: &name, NamespaceId: &nsID,
		DnsConfig: &types.DnsConfig{RoutingPolicy: types.RoutingPolicyMultivalue, DnsRecords: []types.DnsRecord{
			{Type: types.RecordTypeA, TTL: aws.Int64(5)}}}})
	return aws.ToString(svc.Id)
}

// TestCluster_CrossNodeVisibility writes on each of three nodes sharing one
// etcd: the writer sees its write as soon as the operation reports SUCCESS
// (read-your-writes), the other nodes see it in discovery and DNS shortly
// after, deregistrations too.
func TestCluster_CrossNodeVisibility(t *testing.T) {
	teststore.Once(t) // etcd members of its own, not the chosen store
	nodes := startNodes(t, 3, etcdtest.Start(t))
	svcID := dnsService(t, nodes[0], "cluster.local", "web")
	for i, w := range nodes {
		id, ip := fmt.Sprintf("web-%d", i), fmt.Sprintf("10.0.0.%d", i+1)
		opID, err := submitRegister(w, svcID, id, ip)
		if err != nil {
			t.Fatalf("node %d: RegisterInstance: %v", i, err)
		}
		if op := w.WaitOperation(t, opID); op.Status != types.OperationStatusSuccess {
			t.Fatalf("node %d: register %s: %s", i, id, op.Status)
		}
		// Read-your-writes: no polling on the writer.
		if err := hasInstance(w, "cluster.local", "web", id); err != nil {
			t.Errorf("node %d after SUCCESS: discovery: %v", i, err)
		}
		if err := hasA(w, "web.cluster.local", ip); err != nil {
			t.Errorf("node %d after SUCCESS: dns: %v", i, err)
		}
		for j, r := range nodes {
			within(t, fmt.Sprintf("node %d discovers %s", j, id), func() error {
				return hasInstance(r, "cluster.local", "web", id)
			})
			within(t, fmt.Sprintf("node %d answers %s", j, ip), func() error {
				return hasA(r, "web.cluster.local", ip)
			})
		}
	}
	// A deregistration on node 1 disappears everywhere.
	deregister(t, nodes[1], svcID, "web-0")
	for j, r := range nodes {
		within(t, fmt.Sprintf("node %d forgets web-0", j), func() error {
			ids, err := discoverIDs(r, "cluster.local", "web")
			if err == nil && strings.Join(ids, ",") != "web-1,web-2" {
				err = fmt.Errorf("instances %v, want web-1,web-2", ids)
			}
			return err
		})
	}
	// Exactly one node runs the worker.
	within(t, "exactly one leader", func() error {
		if got := leaders(nodes); len(got) != 1 {
			return fmt.Errorf("leaders %v", got)
		}
		return nil
	})
}

// leaders returns the indexes of the nodes that currently lead.
func leaders(nodes []*acceptance.Node) []int {
	var got []int
	for i, n := range nodes {
		if n.Leading() {
			got = append(got, i)
		}
	}
	return got
}

// TestCluster_NodeRestartRebuildsView stops a node, writes on another, and
// starts the first again: once Start returns it serves everything from etcd.
func TestCluster_NodeRestartRebuildsView(t *testing.T) {
	teststore.Once(t) // etcd members of its own, not the chosen store
	nodes := startNodes(t, 2, etcdtest.Start(t))
	svcID := dnsService(t, nodes[0], "restart.local", "api")
	register(t, nodes[0], svcID, "before", map[string]string{"AWS_INSTANCE_IPV4": "10.1.0.1"})
	if err := nodes[1].Server.Close(); err != nil {
		t.Fatalf("close node 1: %v", err)
	}
	register(t, nodes[0], svcID, "during", map[string]string{"AWS_INSTANCE_IPV4": "10.1.0.2"})

	b := acceptance.StartConfig(t, nodes[1].Config)
	// Start returns once the view caught up with etcd: no polling.
	ids, err := discoverIDs(b, "restart.local", "api")
	if got, want := strings.Join(ids, ","), "before,during"; err != nil || got != want {
		t.Errorf("restarted node discovers %q (err %v), want %q", got, err, want)
	}
	for _, ip := range []string{"10.1.0.1", "10.1.0.2"} {
		if err := hasA(b, "api.restart.local", ip); err != nil {
			t.Errorf("restarted node dns: %v", err)
		}
	}
	// And it keeps following: a write on node 0 reaches it.
	register(t, nodes[0], svcID, "after", map[string]string{"AWS_INSTANCE_IPV4": "10.1.0.3"})
	within(t, "restarted node follows", func() error { return hasInstance(b, "restart.local", "api", "after") })
	// Writes through the restarted node work too.
	register(t, b, svcID, "via-b", map[string]string{"AWS_INSTANCE_IPV4": "10.1.0.4"})
	if err := hasInstance(b, "restart.local", "api", "via-b"); err != nil {
		t.Errorf("read-your-writes on the restarted node: %v", err)
	}
}

// TestCluster_CommitsOutsideThePrefix moves etcd's revision with commits of
// another etcd user (outside cloudmap's prefix): a request that commits
// nothing and waits for the view at etcd's current revision (an idempotent
// CreateService retry) completes, because the feed reports progress without
// events and the view advances on it.
func TestCluster_CommitsOutsideThePrefix(t *testing.T) {
	teststore.Once(t) // etcd members of its own, not the chosen store
	endpoints := etcdtest.Start(t)
	nodes := startNodes(t, 2, endpoints)
	other, err := etcd.Open(ctx, etcd.Config{Endpoints: endpoints, Prefix: "/someone-else/"})
	if err != nil {
		t.Fatalf("open a second etcd user: %v", err)
	}
	t.Cleanup(func() { other.Close() })
	nsID := createHTTPNamespace(t, nodes[0], "progress")
	in := &sd.CreateServiceInput{Name: aws.String("svc"), NamespaceId: &nsID, CreatorRequestId: aws.String("tok-1")}
	first := createService(t, nodes[0], in)
	for i := range 20 {
		if _, err := other.Update(ctx, func(tx cloudmap.Tx) error {
			return tx.Put(fmt.Sprintf("k%d", i), []byte("v"))
		}); err != nil {
			t.Fatalf("foreign commit: %v", err)
		}
	}
	for i, n := range nodes {
		again := createService(t, n, in)
		if aws.ToString(again.Id) != aws.ToString(first.Id) {
			t.Errorf("node %d: retried CreateService made %s, want %s", i, aws.ToString(again.Id), aws.ToString(first.Id))
		}
	}
	register(t, nodes[1], aws.ToString(first.Id), "i-1", map[string]string{"AWS_INSTANCE_IPV4": "10.6.0.1"})
	within(t, "node 0 discovers i-1", func() error { return hasInstance(nodes[0], "progress", "svc", "i-1") })
}

package cluster_test

import (
	"context"
	"crypto/rand"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/bench/cluster"
	"github.com/cloudmap/cloudmap/bench/discovery"
	"github.com/cloudmap/cloudmap/embed"
	"github.com/cloudmap/cloudmap/etcd/etcdtest"
)

var (
	etcdFlag = flag.String("cluster.etcd", "", "etcd endpoints (host:port,...) to use instead of an in-process member")
	txnFlag  = flag.Int("cluster.maxtxnops", 0, "the etcd servers' --max-txn-ops (0: etcd's default, 128)")
)

var ctx = context.Background()

// startNodes starts n nodes on one etcd: the -cluster.etcd endpoints under
// a fresh prefix, or an in-process member (which runs without fsync).
func startNodes(tb testing.TB, n int) []*acceptance.Node {
	tb.Helper()
	endpoints := etcdtest.Start(tb)
	if *etcdFlag != "" {
		endpoints = strings.Split(*etcdFlag, ",")
	}
	prefix := "/cloudmap-bench-" + strings.ToLower(rand.Text()[:8]) + "/"
	nodes := make([]*acceptance.Node, n)
	for i := range nodes {
		nodes[i] = acceptance.MustStart(tb, func(c *embed.Config) {
			c.EtcdEndpoints, c.EtcdPrefix, c.DataDir = endpoints, prefix, ""
			c.EtcdMaxTxnOps = *txnFlag
			c.LeaderTTL = 2 * time.Second
		})
	}
	return nodes
}

// setup creates an HTTP namespace with one service and a private DNS
// namespace through c, and returns the service id and the DNS namespace id.
func setup(tb testing.TB, c *cluster.Client) (svcID, dnsNS string) {
	tb.Helper()
	wait := func(op string, in map[string]any) string {
		var out struct{ OperationId string }
		if err := c.Do(ctx, op, in, &out); err != nil {
			tb.Fatal(err)
		}
		if err := cluster.WaitDone(ctx, c, []string{out.OperationId}, 20*time.Second); err != nil {
			tb.Fatal(err)
		}
		var got struct {
			Operation struct{ Targets map[string]string }
		}
		if err := c.Do(ctx, "GetOperation", map[string]any{"OperationId": out.OperationId}, &got); err != nil {
			tb.Fatal(err)
		}
		return got.Operation.Targets["NAMESPACE"]
	}
	ns := wait("CreateHttpNamespace", map[string]any{"Name": "bench"})
	var svc struct{ Service struct{ Id string } }
	if err := c.Do(ctx, "CreateService", map[string]any{"Name": "reg", "NamespaceId": ns}, &svc); err != nil {
		tb.Fatal(err)
	}
	dnsNS = wait("CreatePrivateDnsNamespace", map[string]any{"Name": "vis.local", "Vpc": "vpc-1"})
	return svc.Service.Id, dnsNS
}

func clients(nodes []*acceptance.Node, conns int) []*cluster.Client {
	cs := make([]*cluster.Client, len(nodes))
	for i, n := range nodes {
		cs[i] = cluster.NewClient(n.APIURL(), conns)
	}
	return cs
}

// TestVisibility checks the measuring code on a few samples: a write on
// one node shows on the other.
func TestVisibility(t *testing.T) {
	nodes := startNodes(t, 2)
	cs := clients(nodes, 4)
	_, dnsNS := setup(t, cs[0])
	res, err := cluster.Visibility(ctx, cs[0], cs[1], nodes[1].DNSAddr(), dnsNS, "vis.local", 3, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.AfterSuccess.N, 3; got != want {
		t.Errorf("samples %d, want %d", got, want)
	}
}

// TestRegister checks the load loop on a bounded count: every
// registration is acknowledged and then succeeds.
func TestRegister(t *testing.T) {
	cs := clients(startNodes(t, 2), 8)
	svcID, _ := setup(t, cs[0])
	res := cluster.Register(ctx, cs, svcID, 8, 20*time.Second, 40)
	if res.Acknowledged != 40 || res.Errors != 0 {
		t.Fatalf("%v, want 40 acknowledged, no errors", res)
	}
}

// BenchmarkCluster_Register64 runs 64 clients, half on each of two nodes,
// registering for 5 s on one etcd; it reports acknowledged registrations
// per second (each durable in etcd before the reply).
func BenchmarkCluster_Register64(b *testing.B) {
	for range b.N {
		cs := clients(startNodes(b, 2), 32)
		svcID, _ := setup(b, cs[0])
		res := cluster.Register(ctx, cs, svcID, 64, 5*time.Second, 1_000_000)
		if res.Acknowledged == 0 {
			b.Fatalf("nothing acknowledged: %v", res)
		}
		b.ReportMetric(res.PerSecond(), "registrations/s")
		b.ReportMetric(float64(res.Latency.P99.Microseconds()), "p99-µs")
		b.Logf("%v", res)
	}
}

// BenchmarkCluster_Visibility registers 200 instances on node A, one at a
// time, and reports when node B shows each: the p99 after SUCCESS on A
// (discovery and DNS) and after the RegisterInstance reply.
func BenchmarkCluster_Visibility(b *testing.B) {
	for range b.N {
		nodes := startNodes(b, 2)
		cs := clients(nodes, 4)
		_, dnsNS := setup(b, cs[0])
		res, err := cluster.Visibility(ctx, cs[0], cs[1], nodes[1].DNSAddr(), dnsNS, "vis.local", 200, 20*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.AfterSuccess.P99.Microseconds()), "p99-success-to-B-µs")
		b.ReportMetric(float64(res.AfterSuccessDNS.P99.Microseconds()), "p99-success-to-B-dns-µs")
		b.ReportMetric(float64(res.AfterAck.P99.Microseconds()), "p99-reply-to-B-µs")
		b.Logf("%v", res)
	}
}

// BenchmarkCluster_Discover runs DiscoverInstances load (32 connections,
// 3 s, 100 services of 10 instances) against a node on etcd and against a
// node on the embedded store in the same run, two rounds alternating, and
// reports the better round of each: discovery reads memory, so both should
// serve about as many requests per second.
func BenchmarkCluster_Discover(b *testing.B) {
	for range b.N {
		targets := []*acceptance.Node{startNodes(b, 2)[1], acceptance.MustStart(b)}
		names := []string{"etcd", "bolt"}
		for _, n := range targets {
			seed := discovery.SeedConfig{URL: n.APIURL(), Services: 100, InstancesPerService: 10, Connections: 16}
			if err := discovery.Seed(ctx, seed); err != nil {
				b.Fatal(err)
			}
		}
		var rps [2]float64
		for round := range 2 {
			for i, n := range targets {
				res, err := discovery.Run(ctx, discovery.Config{URL: n.APIURL(), Connections: 32,
					Duration: 3 * time.Second, Services: 100})
				if err != nil {
					b.Fatal(err)
				}
				rps[i] = max(rps[i], res.RPS)
				b.Logf("round %d %s: %.0f requests/s, p99 %v, %d errors", round, names[i], res.RPS, res.P99, res.Errors)
			}
		}
		b.ReportMetric(rps[0], "etcd-node-req/s")
		b.ReportMetric(rps[1], "bolt-node-req/s")
		b.ReportMetric(rps[0]/rps[1], "etcd/bolt")
	}
}

package acceptance_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"

	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/etcd/etcdtest"
	"github.com/cloudmap/cloudmap/storetest/teststore"
)

// noRetry makes one SDK call without the client's retries.
func noRetry(o *sd.Options) { o.RetryMaxAttempts = 1 }

// TestCluster_LeaderFailover cuts the leading node off etcd (its lease
// expires; nothing is closed gracefully) while operations flow through the
// other nodes: another node takes over and finishes every operation, those
// the old leader left SUBMITTED or PENDING and those submitted after the
// cut. Once the network heals, the old node follows again.
func TestCluster_LeaderFailover(t *testing.T) {
	teststore.Once(t) // etcd members of its own, not the chosen store
	endpoints := etcdtest.Start(t)
	proxies := make([]*proxy, 3)
	nodes := make([]*acceptance.Node, 3)
	for i := range nodes {
		proxies[i] = startProxy(t, endpoints[0])
		nodes[i] = acceptance.MustStart(t, onEtcd(proxies[i].Addr()))
	}
	svcID := dnsService(t, nodes[0], "failover.local", "app")
	var old int
	within(t, "one leader", func() error {
		l := leaders(nodes)
		if len(l) != 1 {
			return fmt.Errorf("leaders %v", l)
		}
		old = l[0]
		return nil
	})
	writers := []*acceptance.Node{nodes[(old+1)%3], nodes[(old+2)%3]}

	const total, submitters = 60, 4
	opIDs := make([]string, total)
	var sent atomic.Int32
	cutNow := make(chan struct{})
	var wg sync.WaitGroup
	for w := range submitters {
		wg.Go(func() {
			for i := w; i < total; i += submitters {
				id := fmt.Sprintf("app-%02d", i)
				opID, err := submitRegister(writers[i%2], svcID, id, fmt.Sprintf("10.2.0.%d", i+1))
				if err != nil {
					t.Errorf("RegisterInstance %s: %v", id, err)
					continue
				}
				opIDs[i] = opID
				if sent.Add(1) == total/3 {
					close(cutNow)
				}
			}
		})
	}
	<-cutNow
	proxies[old].Cut()
	cutAt := time.Now()
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	counts := map[types.OperationStatus]int{}
	for _, opID := range opIDs {
		st, err := opStatus(writers[0], opID)
		if err != nil {
			t.Fatalf("GetOperation %s: %v", opID, err)
		}
		counts[st]++
	}
	t.Logf("right after the cut: %v", counts)

	for _, opID := range opIDs {
		waitSuccess(t, writers[0], opID)
	}
	t.Logf("every operation SUCCESS %v after the cut (leader TTL %v)",
		time.Since(cutAt).Round(time.Millisecond), nodes[0].Config.LeaderTTL)
	within(t, "a new leader", func() error {
		if l := leaders(writers); len(l) != 1 {
			return fmt.Errorf("leaders among the writers %v", l)
		}
		return nil
	})
	within(t, "the cut node steps down", func() error {
		if nodes[old].Leading() {
			return fmt.Errorf("node %d still leads", old)
		}
		return nil
	})
	want := make([]string, total)
	for i := range want {
		want[i] = fmt.Sprintf("app-%02d", i)
	}
	for j, w := range writers {
		ids, err := discoverIDs(w, "failover.local", "app")
		if err != nil || !slices.Equal(ids, want) {
			t.Errorf("writer %d discovers %d instances (err %v), want %d", j, len(ids), err, total)
		}
	}

	proxies[old].Heal()
	within(t, "the healed node catches up", func() error {
		ids, err := discoverIDs(nodes[old], "failover.local", "app")
		if err == nil && len(ids) != total {
			err = fmt.Errorf("%d instances", len(ids))
		}
		return err
	})
	within(t, "the healed node accepts writes", func() error {
		_, err := submitRegister(nodes[old], svcID, "app-healed", "10.2.1.1")
		return err
	})
	within(t, "app-healed everywhere", func() error {
		for _, n := range nodes {
			if err := hasA(n, "app.failover.local", "10.2.1.1"); err != nil {
				return err
			}
		}
		return nil
	})
	if l := leaders(nodes); len(l) != 1 {
		t.Errorf("leaders after healing: %v, want one", l)
	}
}

// TestCluster_EtcdOutage stops the only etcd member: both nodes keep
// answering DNS and discovery from memory, writes and store reads fail with
// 503 ServiceUnavailable, and everything recovers by itself when etcd is
// back.
func TestCluster_EtcdOutage(t *testing.T) {
	teststore.Once(t) // etcd members of its own, not the chosen store
	c := etcdtest.StartCluster(t, 1)
	nodes := startNodes(t, 2, c.Endpoints())
	svcID := dnsService(t, nodes[0], "outage.local", "db")
	register(t, nodes[0], svcID, "db-1", map[string]string{"AWS_INSTANCE_IPV4": "10.3.0.1"})
	within(t, "node 1 sees db-1", func() error { return hasInstance(nodes[1], "outage.local", "db", "db-1") })

	c.Stop(0)
	for i, n := range nodes {
		for range 3 { // stale but available, repeatedly
			if err := hasInstance(n, "outage.local", "db", "db-1"); err != nil {
				t.Errorf("node %d discovery during the outage: %v", i, err)
			}
			if err := hasA(n, "db.outage.local", "10.3.0.1"); err != nil {
				t.Errorf("node %d dns during the outage: %v", i, err)
			}
		}
	}
	writes := []struct {
		name string
		call func(n *acceptance.Node) error
	}{
		{"RegisterInstance", func(n *acceptance.Node) error {
			_, err := n.Client.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: &svcID,
				InstanceId: aws.String("db-2"), Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.3.0.2"}}, noRetry)
			return err
		}},
		{"GetInstance", func(n *acceptance.Node) error {
			_, err := n.Client.GetInstance(ctx, &sd.GetInstanceInput{ServiceId: &svcID, InstanceId: aws.String("db-1")}, noRetry)
			return err
		}},
		{"CreateHttpNamespace", func(n *acceptance.Node) error {
			_, err := n.Client.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String("x")}, noRetry)
			return err
		}},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			err := w.call(nodes[1])
			if err == nil {
				t.Fatal("succeeded with etcd down")
			}
			status, code, msg := apiError(t, err)
			if status != http.StatusServiceUnavailable || code != "ServiceUnavailable" ||
				!strings.Contains(msg, "store (etcd) is unavailable") {
				t.Errorf("got %d %s %q, want 503 ServiceUnavailable naming the store", status, code, msg)
			}
		})
	}

	c.Restart(0)
	var opID string
	within(t, "writes work again", func() error {
		var err error
		opID, err = submitRegister(nodes[1], svcID, "db-2", "10.3.0.2")
		return err
	})
	waitSuccess(t, nodes[1], opID)
	if err := hasInstance(nodes[1], "outage.local", "db", "db-2"); err != nil {
		t.Errorf("read-your-writes after the outage: %v", err)
	}
	within(t, "node 0 follows again", func() error { return hasA(nodes[0], "db.outage.local", "10.3.0.2") })
	within(t, "one leader again", func() error {
		if l := leaders(nodes); len(l) != 1 {
			return fmt.Errorf("leaders %v", l)
		}
		return nil
	})
}

// TestCluster_MemberLossUnderLoad stops one member of a 3-member etcd
// cluster while clients register through two nodes: every acknowledged
// registration (an operation id returned, then SUCCESS) is there afterwards
// on both nodes, and the API keeps working.
func TestCluster_MemberLossUnderLoad(t *testing.T) {
	teststore.Once(t) // etcd members of its own, not the chosen store
	c := etcdtest.StartCluster(t, 3)
	nodes := startNodes(t, 2, c.Endpoints())
	svcID := dnsService(t, nodes[0], "loss.local", "q")

	const writers, each = 4, 40
	type ack struct{ id, opID string }
	var (
		mu     sync.Mutex
		ledger []ack
		failed atomic.Int32
		sent   atomic.Int32
		wg     sync.WaitGroup
	)
	stopNow := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("q-%d-%02d", w, i)
				opID, err := submitRegister(nodes[(w+i)%2], svcID, id, fmt.Sprintf("10.4.%d.%d", w, i+1))
				if err != nil {
					failed.Add(1) // not acknowledged: not in the ledger
					continue
				}
				mu.Lock()
				ledger = append(ledger, ack{id, opID})
				mu.Unlock()
				if sent.Add(1) == writers*each/3 {
					close(stopNow)
				}
			}
		})
	}
	select {
	case <-stopNow:
	case <-time.After(clusterTimeout):
		t.Fatalf("load did not start: %d sent, %d failed", sent.Load(), failed.Load())
	}
	c.Stop(0)
	wg.Wait()
	t.Logf("%d registrations acknowledged, %d refused", len(ledger), failed.Load())
	if len(ledger) < writers*each/2 {
		t.Errorf("only %d of %d registrations acknowledged with two of three members up", len(ledger), writers*each)
	}
	for _, a := range ledger {
		waitSuccess(t, nodes[0], a.opID)
	}
	for i, n := range nodes {
		ids, err := discoverIDs(n, "loss.local", "q")
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		for _, a := range ledger {
			if !slices.Contains(ids, a.id) {
				t.Errorf("node %d: acknowledged %s missing from discovery", i, a.id)
			}
		}
	}
	listed := listInstanceIDs(t, nodes[1], svcID)
	for _, a := range ledger {
		if !listed[a.id] {
			t.Errorf("acknowledged %s missing from ListInstances", a.id)
		}
		if _, err := nodes[0].Client.GetInstance(ctx, &sd.GetInstanceInput{ServiceId: &svcID, InstanceId: &a.id}); err != nil {
			t.Errorf("GetInstance %s: %v", a.id, err)
		}
	}
	c.Restart(0)
	register(t, nodes[1], svcID, "q-after", map[string]string{"AWS_INSTANCE_IPV4": "10.4.9.9"})
}

// listInstanceIDs pages through ListInstances of svcID on n.
func listInstanceIDs(t *testing.T, n *acceptance.Node, svcID string) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	p := sd.NewListInstancesPaginator(n.Client, &sd.ListInstancesInput{ServiceId: &svcID})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListInstances: %v", err)
		}
		for _, in := range page.Instances {
			got[aws.ToString(in.Id)] = true
		}
	}
	return got
}

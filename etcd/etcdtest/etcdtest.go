// Package etcdtest starts embedded etcd servers for tests: one member or a
// small cluster on 127.0.0.1 with free ports, data in t.TempDir(), quiet
// logs, stopped when the test ends.
package etcdtest

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// MaxTxnOps is the --max-txn-ops of the members started here (etcd's default
// is 128); pass it as etcd.Config.MaxTxnOps.
const MaxTxnOps = 2048

// readyTimeout bounds the wait for a member (or the cluster) to serve.
const readyTimeout = 30 * time.Second

// Start starts a single-member etcd and returns its client endpoints.
func Start(t testing.TB) (endpoints []string) {
	t.Helper()
	return StartCluster(t, 1).Endpoints()
}

// Cluster is a running embedded etcd cluster whose members can be stopped
// and restarted (on the same ports and data) for fault tests.
type Cluster struct {
	t       testing.TB
	mu      sync.Mutex
	members []*member
}

type member struct {
	name       string
	dir        string
	clientURL  url.URL
	peerURL    url.URL
	etcd       *embed.Etcd // nil while stopped
	initial    string
	clusterTok string
}

// StartCluster starts an n-member etcd cluster and waits until it serves.
// Every member is stopped at t.Cleanup.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("etcdtest: cluster of %d members", n)
	}
	ports := freePorts(t, 2*n)
	c := &Cluster{t: t}
	var initial []string
	for i := range n {
		m := &member{
			name:       fmt.Sprintf("m%d", i),
			dir:        t.TempDir(),
			clientURL:  url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", ports[2*i])},
			peerURL:    url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", ports[2*i+1])},
			clusterTok: fmt.Sprintf("etcdtest-%d", ports[0]),
		}
		initial = append(initial, m.name+"="+m.peerURL.String())
		c.members = append(c.members, m)
	}
	t.Cleanup(c.stopAll)
	for _, m := range c.members {
		m.initial = strings.Join(initial, ",")
		e, err := embed.StartEtcd(m.config())
		if err != nil {
			t.Fatalf("etcdtest: start %s: %v", m.name, err)
		}
		m.etcd = e
	}
	for _, m := range c.members {
		if err := waitReady(m.etcd); err != nil {
			t.Fatalf("etcdtest: %s: %v", m.name, err)
		}
	}
	return c
}

// Endpoints returns the client endpoint of every member, stopped or not.
func (c *Cluster) Endpoints() []string {
	eps := make([]string, len(c.members))
	for i := range c.members {
		eps[i] = c.Endpoint(i)
	}
	return eps
}

// Endpoint returns the client endpoint (host:port) of member i.
func (c *Cluster) Endpoint(i int) string { return c.members[i].clientURL.Host }

// Stop stops member i; its data and ports are kept for Restart.
func (c *Cluster) Stop(i int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.members[i]
	if m.etcd != nil {
		m.etcd.Server.HardStop() // like a crash: raft stops before the graceful part
		m.etcd.Close()
		m.etcd = nil
	}
}

// Restart starts a stopped member i again on its data and ports and waits
// until it serves (which needs a quorum of the cluster running).
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.members[i]
	if m.etcd != nil {
		return
	}
	var err error
	for attempt := 0; attempt < 50; attempt++ { // the old ports may linger briefly
		var e *embed.Etcd
		if e, err = embed.StartEtcd(m.config()); err == nil {
			m.etcd = e
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		c.t.Fatalf("etcdtest: restart %s: %v", m.name, err)
	}
	if err := waitReady(m.etcd); err != nil {
		c.t.Fatalf("etcdtest: restart %s: %v", m.name, err)
	}
}

func (c *Cluster) stopAll() {
	for i := range c.members {
		c.Stop(i)
	}
}

func (m *member) config() *embed.Config {
	cfg := embed.NewConfig()
	cfg.Name = m.name
	cfg.Dir = m.dir
	cfg.ListenClientUrls = []url.URL{m.clientURL}
	cfg.AdvertiseClientUrls = []url.URL{m.clientURL}
	cfg.ListenPeerUrls = []url.URL{m.peerURL}
	cfg.AdvertisePeerUrls = []url.URL{m.peerURL}
	cfg.InitialCluster = m.initial
	cfg.InitialClusterToken = m.clusterTok
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.MaxTxnOps = MaxTxnOps
	cfg.TickMs = 50
	cfg.ElectionMs = 500
	// Tests run on shared, small machines; members are stopped gracefully.
	cfg.UnsafeNoFsync = true
	return cfg
}

func waitReady(e *embed.Etcd) error {
	select {
	case <-e.Server.ReadyNotify():
		return nil
	case err := <-e.Err():
		return fmt.Errorf("stopped before ready: %w", err)
	case <-time.After(readyTimeout):
		e.Close()
		return fmt.Errorf("not ready after %v", readyTimeout)
	}
}

// freePorts returns n distinct ports that were free on 127.0.0.1.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("etcdtest: free port: %v", err)
		}
		lns = append(lns, ln)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports
}

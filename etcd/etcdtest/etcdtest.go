// Package etcdtest starts embedded etcd servers for tests: one member or a
// small cluster, clients and peers on unix sockets in a fresh temporary
// directory (no port to pick, none to lose to another process between
// picking and binding, and a restarted member gets its sockets back), quiet
// logs, stopped when the test ends.
package etcdtest

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
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
// and restarted (on the same sockets and data) for fault tests.
type Cluster struct {
	t       testing.TB // nil when Launched outside a test
	mu      sync.Mutex
	dir     string
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
	c, err := Launch(n)
	if err != nil {
		t.Fatal(err)
	}
	c.t = t
	t.Cleanup(c.Close)
	return c
}

// Launch starts an n-member etcd cluster outside any test (a TestMain
// shares one between tests) and waits until it serves; Close stops it and
// removes its data.
func Launch(n int) (*Cluster, error) {
	if n < 1 {
		return nil, fmt.Errorf("etcdtest: cluster of %d members", n)
	}
	// A short directory of its own: a unix socket path has at most 107 bytes.
	dir, err := os.MkdirTemp("", "etcd")
	if err != nil {
		return nil, fmt.Errorf("etcdtest: %w", err)
	}
	c := &Cluster{dir: dir}
	peers, err := peerPorts(n)
	if err != nil {
		return nil, err
	}
	var initial []string
	for i := range n {
		name := fmt.Sprintf("m%d", i)
		m := &member{
			name:       name,
			dir:        filepath.Join(dir, name),
			clientURL:  url.URL{Scheme: "unix", Path: filepath.Join(dir, name+".client")},
			peerURL:    url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", peers[i])},
			clusterTok: filepath.Base(dir),
		}
		initial = append(initial, name+"="+m.peerURL.String())
		c.members = append(c.members, m)
	}
	for _, m := range c.members {
		m.initial = strings.Join(initial, ",")
		e, err := embed.StartEtcd(m.config())
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("etcdtest: start %s: %w", m.name, err)
		}
		m.etcd = e
	}
	for _, m := range c.members {
		if err := waitReady(m.etcd); err != nil {
			c.Close()
			return nil, fmt.Errorf("etcdtest: %s: %w", m.name, err)
		}
	}
	return c, nil
}

// Endpoints returns the client endpoint of every member, stopped or not.
func (c *Cluster) Endpoints() []string {
	eps := make([]string, len(c.members))
	for i := range c.members {
		eps[i] = c.Endpoint(i)
	}
	return eps
}

// Endpoint returns the client endpoint of member i: unix:///path/of/socket,
// which the etcd client and etcd.Config.Endpoints take as they are.
func (c *Cluster) Endpoint(i int) string { return c.members[i].clientURL.String() }

// Stop stops member i; its data and sockets are kept for Restart.
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

// Restart starts a stopped member i again on its data and sockets and
// waits until it serves (which needs a quorum of the cluster running); it
// fails the test of StartCluster, or panics for a Launched cluster, when
// the member does not serve.
func (c *Cluster) Restart(i int) {
	if err := c.restart(i); err != nil {
		if c.t == nil {
			panic(err)
		}
		c.t.Helper()
		c.t.Fatal(err)
	}
}

func (c *Cluster) restart(i int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.members[i]
	if m.etcd != nil {
		return nil
	}
	e, err := embed.StartEtcd(m.config())
	if err != nil {
		return fmt.Errorf("etcdtest: restart %s: %w", m.name, err)
	}
	m.etcd = e
	if err := waitReady(m.etcd); err != nil {
		return fmt.Errorf("etcdtest: restart %s: %w", m.name, err)
	}
	return nil
}

// Close stops every member and removes the cluster's directory.
func (c *Cluster) Close() {
	for i := range c.members {
		c.Stop(i)
	}
	os.RemoveAll(c.dir)
}

func (m *member) config() *embed.Config {
	cfg := embed.NewConfig()
	cfg.Name = m.name
	cfg.Dir = m.dir
	cfg.ListenClientUrls = []url.URL{m.clientURL}
	// etcd wants an advertised client URL in host:port form, which a
	// socket path is not; nothing here reads it (no client syncs members).
	cfg.AdvertiseClientUrls = []url.URL{{Scheme: "unix", Host: "localhost:" + m.name}}
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
		return errors.New("not ready after " + readyTimeout.String())
	}
}

// peerPorts returns the peer port of each of n members. etcd takes peer
// URLs only as host:port, so peers stay on TCP; a single member, which
// no peer ever dials, listens on port 0, and only the members of a
// cluster need ports picked ahead (free on 127.0.0.1 a moment before).
func peerPorts(n int) ([]int, error) {
	ports := make([]int, n)
	if n == 1 {
		return ports, nil
	}
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("etcdtest: free port: %w", err)
		}
		lns = append(lns, ln)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

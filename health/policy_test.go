package health_test

import (
	"context"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/cloudmap/cloudmap"
)

// recordDial is a Dial that records every address and refuses to connect
// (connection refused: the target's fault, a normal failed probe).
type recordDial struct {
	mu     sync.Mutex
	dialed map[string]int
	err    error
}

func (d *recordDial) dial(_ context.Context, _, addr string) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dialed[addr]++
	if d.err != nil {
		return nil, d.err
	}
	return nil, &net.OpError{Op: "dial", Net: "tcp4", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

func (d *recordDial) count(addr string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dialed[addr]
}

// TestChecker_ProbePolicy: by default no packet goes to loopback,
// link-local (the cloud metadata endpoint), multicast, broadcast,
// unspecified or the server's own addresses: those targets turn UNHEALTHY
// without a dial. Private ranges are probed. Allow widens the policy and
// Deny narrows it, the most specific prefix deciding.
func TestChecker_ProbePolicy(t *testing.T) {
	own := netip.MustParseAddr("10.9.9.9")
	cases := []struct {
		name        string
		allow, deny []string
		ip          string
		probed      bool
	}{
		{"loopback", nil, nil, "127.0.0.1", false},
		{"cloud metadata", nil, nil, "169.254.169.254", false},
		{"multicast", nil, nil, "224.0.0.1", false},
		{"broadcast", nil, nil, "255.255.255.255", false},
		{"unspecified", nil, nil, "0.0.0.0", false},
		{"own address", nil, nil, own.String(), false},
		{"private range", nil, nil, "10.1.2.3", true},
		{"public address", nil, nil, "203.0.113.7", true},
		{"loopback allowed", []string{"127.0.0.0/8"}, nil, "127.0.0.1", true},
		{"own address allowed by name", []string{"10.9.9.9/32"}, nil, own.String(), true},
		{"own address wins over a wider allow", []string{"10.0.0.0/8"}, nil, own.String(), false},
		{"private range denied", nil, []string{"10.0.0.0/8"}, "10.1.2.3", false},
		{"allowed inside a denied range", []string{"10.1.0.0/16"}, []string{"10.0.0.0/8"}, "10.1.2.3", true},
		{"deny beats allow at equal length", []string{"10.1.0.0/16"}, []string{"10.1.0.0/16"}, "10.1.2.3", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &recordDial{dialed: map[string]int{}}
			cfg := testConfig()
			cfg.Allow, cfg.Deny = prefixes(c.allow), prefixes(c.deny)
			cfg.LocalAddrs = func() ([]netip.Addr, error) { return []netip.Addr{own}, nil }
			cfg.Dial = d.dial
			addr := net.JoinHostPort(c.ip, "80")
			sink := newSink()
			ch := start(t, newTargets(target("i-1", cloudmap.HealthCheckHTTP, addr, "/latest/meta-data/", 1, cloudmap.Healthy)), sink, cfg)
			if got := sink.next(t); got.Status != cloudmap.Unhealthy {
				t.Fatalf("status %s, want UNHEALTHY", got.Status)
			}
			ch.Stop()
			if probed := d.count(addr) > 0; probed != c.probed {
				t.Errorf("dialled %s: %v, want %v", addr, probed, c.probed)
			}
			if st := ch.Stats(); (st.Blocked > 0) == c.probed {
				t.Errorf("Stats.Blocked = %d with probed = %v", st.Blocked, c.probed)
			}
		})
	}
}

func prefixes(ss []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

// TestChecker_LocalErrorsAreNotResults: a probe that fails because this
// process is out of file descriptors (or buffers, memory, local ports)
// says nothing about the target: the healthy target stays HEALTHY, the
// failures are counted as LocalErrors, and once the resource is back the
// probes run as before.
func TestChecker_LocalErrorsAreNotResults(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.EADDRNOTAVAIL} {
		t.Run(errno.Error(), func(t *testing.T) {
			srv := newSwitchServer(t, false)
			var mu sync.Mutex
			local := true
			d := &net.Dialer{}
			cfg := testConfig()
			cfg.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
				mu.Lock()
				defer mu.Unlock()
				if local {
					return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("socket", errno)}
				}
				return d.DialContext(ctx, network, addr)
			}
			sink := newSink()
			c := start(t, newTargets(target("i-1", cloudmap.HealthCheckHTTP, srv.addr(), "", 1, cloudmap.Healthy)), sink, cfg)
			waitFor(t, "local errors", func() bool { return c.Stats().LocalErrors >= 10 })
			if st := c.Stats(); st.Failed != 0 || len(sink.all()) != 0 {
				t.Fatalf("local errors counted against the target: stats %+v, writes %v", st, sink.all())
			}
			mu.Lock()
			local = false
			mu.Unlock()
			waitFor(t, "probes again", func() bool { return c.Stats().Passed >= 3 })
			if calls := sink.all(); len(calls) != 0 {
				t.Errorf("status writes %v, want none: the target was healthy throughout", calls)
			}
		})
	}
}

package health_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
)

// countingConn reports its Close once.
type countingConn struct {
	net.Conn
	once   sync.Once
	closed func()
}

func (c *countingConn) Close() error {
	c.once.Do(c.closed)
	return c.Conn.Close()
}

// TestChecker_FailingTargetsUseHalfTheSlots points many targets at a port
// that never answers and one at a healthy server, with few slots: once the
// silent ones fail, they never hold more than half of the slots, and the
// healthy target keeps being probed.
func TestChecker_FailingTargetsUseHalfTheSlots(t *testing.T) {
	const slots = 4
	quiet := listen(t, silent)
	srv := newSwitchServer(t, false)

	var mu sync.Mutex
	open, peak := 0, 0
	cfg := testConfig()
	cfg.Concurrency = slots
	cfg.ResponseTimeout = 100 * time.Millisecond
	d := &net.Dialer{}
	cfg.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil || addr != quiet.addr() {
			return conn, err
		}
		mu.Lock()
		open++
		peak = max(peak, open)
		mu.Unlock()
		return &countingConn{Conn: conn, closed: func() {
			mu.Lock()
			open--
			mu.Unlock()
		}}, nil
	}
	list := []cloudmap.HealthTarget{target("healthy", cloudmap.HealthCheckHTTP, srv.addr(), "", 1, cloudmap.Healthy)}
	const nSilent = 12
	for i := range nSilent {
		list = append(list, target("silent-"+itoa(uint16(i)), cloudmap.HealthCheckHTTP, quiet.addr(), "", 1, cloudmap.Healthy))
	}
	sink := newSink()
	start(t, newTargets(list...), sink, cfg)
	waitFor(t, "every silent target unhealthy", func() bool { return len(sink.all()) == nSilent })

	mu.Lock()
	peak = open
	mu.Unlock()
	base := srv.count(200)
	waitFor(t, "healthy target probed 20 more times", func() bool { return srv.count(200) >= base+20 })
	mu.Lock()
	defer mu.Unlock()
	if peak > slots/2 {
		t.Errorf("silent connections at once = %d, want at most %d", peak, slots/2)
	}
	for _, c := range sink.all() {
		if c.InstanceID == "healthy" {
			t.Errorf("healthy target written: %+v", c)
		}
	}
}

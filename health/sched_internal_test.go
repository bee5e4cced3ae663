package health

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
)

// nopSink accepts every write.
type nopSink struct{}

func (nopSink) SetHealth(context.Context, string, string, cloudmap.HealthStatus) (bool, error) {
	return true, nil
}

// TestDispatch_LateRounds: a round started more than half an interval after
// it was due counts in Stats.LateRounds (exactly half is still on time);
// LatePassing is the part of them whose target passed its last probe.
func TestDispatch_LateRounds(t *testing.T) {
	const half = DefaultInterval / 2
	for _, tc := range []struct {
		name                string
		late                time.Duration
		failing             bool
		lateRounds, passing uint64
	}{
		{"on time", 0, false, 0, 0},
		{"exactly half an interval late", half, false, 0, 0},
		{"just over half an interval late", half + time.Nanosecond, false, 1, 1},
		{"a failing target just over half late", half + time.Nanosecond, true, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(nil, nopSink{}, Config{
				Logger:     slog.New(slog.DiscardHandler),
				LocalAddrs: func() ([]netip.Addr, error) { return nil, nil },
				Dial: func(context.Context, string, string) (net.Conn, error) {
					return nil, errors.New("connection refused")
				},
			})
			c.sched = newSched(t.Context())
			tg := newTarget(key{"srv-1", "i-1"}, cloudmap.HealthTarget{
				Config: cloudmap.HealthCheckConfig{Type: cloudmap.HealthCheckTCP},
				IPv4:   "10.0.0.1", Port: "22", Health: cloudmap.Healthy,
			})
			now := time.Now()
			tg.due, tg.failing = now.Add(-tc.late), tc.failing
			c.mu.Lock()
			c.dispatch(tg, now)
			c.mu.Unlock()
			c.wg.Wait()
			if st := c.Stats(); st.LateRounds != tc.lateRounds || st.LatePassing != tc.passing {
				t.Errorf("LateRounds, LatePassing = %d, %d, want %d, %d", st.LateRounds, st.LatePassing, tc.lateRounds, tc.passing)
			}
		})
	}
}

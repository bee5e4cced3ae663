package health_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/health"
)

// pipeNet is an in-memory network for tests in a synctest bubble: Dial
// hands the server end of a net.Pipe to the handler of the address, and
// refuses addresses without one. Nothing touches a socket, so the bubble's
// fake clock drives every interval and timeout.
type pipeNet struct {
	mu        sync.Mutex
	handlers  map[string]func(net.Conn)
	dials     map[string]int
	firstDial time.Time
}

func newPipeNet() *pipeNet {
	return &pipeNet{handlers: map[string]func(net.Conn){}, dials: map[string]int{}}
}

// handle serves addr with h; nil makes the address refuse connections.
func (n *pipeNet) handle(addr string, h func(net.Conn)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.handlers[addr] = h
}

func (n *pipeNet) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	n.mu.Lock()
	h := n.handlers[addr]
	n.dials[addr]++
	if n.firstDial.IsZero() {
		n.firstDial = time.Now()
	}
	n.mu.Unlock()
	if h == nil {
		return nil, fmt.Errorf("dial %s %s: %w", network, addr, errRefused)
	}
	if isUnanswered(h) {
		<-ctx.Done() // the SYN is dropped: only the connect timeout ends the dial
		return nil, fmt.Errorf("dial %s %s: %w", network, addr, ctx.Err())
	}
	client, server := net.Pipe()
	go func() {
		defer server.Close()
		h(server)
	}()
	return client, nil
}

func (n *pipeNet) dialed(addr string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dials[addr]
}

var errRefused = errors.New("connection refused")

// unanswered is the handler of an address whose host never answers a
// connection attempt.
func unanswered(net.Conn) {}

func isUnanswered(h func(net.Conn)) bool {
	return reflect.ValueOf(h).Pointer() == reflect.ValueOf(unanswered).Pointer()
}

// httpStatus answers every request on the connection with the status code
// returns at that moment.
func httpStatus(code func() int) func(net.Conn) {
	return func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(r)
			if err != nil {
				return
			}
			req.Body.Close()
			fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\n\r\n", code(), http.StatusText(code()))
		}
	}
}

// syncConfig is the configuration of the synctest tests: Route 53's
// defaults (a 30 s interval), which the fake clock makes instant.
func syncConfig(n *pipeNet) health.Config {
	return health.Config{Dial: n.Dial, Logger: slog.New(slog.DiscardHandler)}
}

const (
	addrA = "10.0.0.1:80"
	addrB = "10.0.0.2:80"
)

// TestChecker_Sync_IntervalAndThreshold follows one HTTP target through
// fake time: one probe per interval, the status written after exactly
// FailureThreshold failing probes, and back after as many passing ones.
func TestChecker_Sync_IntervalAndThreshold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet()
		var mu sync.Mutex
		code := 200
		status := func() int { mu.Lock(); defer mu.Unlock(); return code }
		set := func(c int) { mu.Lock(); defer mu.Unlock(); code = c }
		n.handle(addrA, httpStatus(status))
		sink := newSink()
		cfg := syncConfig(n)
		c := health.New(newTargets(target("i-1", cloudmap.HealthCheckHTTP, addrA, "/", 3, cloudmap.Healthy)), sink, cfg)
		if err := c.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		defer c.Stop()
		// A new target's first probe comes at a random offset within the
		// interval, which spreads the probes of many targets.
		time.Sleep(health.DefaultInterval)
		synctest.Wait()
		first := n.dialed(addrA)
		if first != 1 {
			t.Fatalf("probes in the first interval = %d, want 1", first)
		}
		for i := 1; i <= 4; i++ {
			time.Sleep(health.DefaultInterval)
			synctest.Wait()
			if got := n.dialed(addrA); got != first+i {
				t.Fatalf("after %d intervals: %d probes, want %d", i, got, first+i)
			}
		}
		if got := sink.all(); len(got) != 0 {
			t.Fatalf("writes while healthy = %v, want none", got)
		}
		set(500)
		for i := 1; i <= 3; i++ {
			time.Sleep(health.DefaultInterval)
			synctest.Wait()
			want := 0
			if i == 3 {
				want = 1
			}
			if got := len(sink.all()); got != want {
				t.Fatalf("after %d failing probes: %d writes, want %d", i, got, want)
			}
		}
		if got := sink.all()[0]; got.Status != cloudmap.Unhealthy {
			t.Fatalf("write = %+v, want UNHEALTHY", got)
		}
		set(200)
		for range 3 {
			time.Sleep(health.DefaultInterval)
			synctest.Wait()
		}
		if got := sink.all(); len(got) != 2 || got[1].Status != cloudmap.Healthy {
			t.Fatalf("writes after 3 passing probes = %+v, want UNHEALTHY then HEALTHY", got)
		}
		if st := c.Stats(); st.Writes != 2 || st.Changes != 2 || st.Failed != 3 {
			t.Errorf("stats = %+v, want 2 writes, 2 changes, 3 failed probes", st)
		}
	})
}

// TestChecker_Sync_Timeouts checks the probe bounds on fake time: a target
// that accepts and never answers fails an HTTP probe once the response
// timeout passes, and passes a TCP probe; a refused one fails both.
func TestChecker_Sync_Timeouts(t *testing.T) {
	silentConn := silent // reads until the prober closes, never answers
	tests := []struct {
		name    string
		typ     cloudmap.HealthCheckType
		handler func(net.Conn)
		want    cloudmap.HealthStatus
	}{
		{"http to a silent target", cloudmap.HealthCheckHTTP, silentConn, cloudmap.Unhealthy},
		{"http refused", cloudmap.HealthCheckHTTP, nil, cloudmap.Unhealthy},
		{"tcp to a silent target", cloudmap.HealthCheckTCP, silentConn, cloudmap.Healthy},
		{"tcp refused", cloudmap.HealthCheckTCP, nil, cloudmap.Unhealthy},
		{"http to a host that never answers", cloudmap.HealthCheckHTTP, unanswered, cloudmap.Unhealthy},
		{"tcp to a host that never answers", cloudmap.HealthCheckTCP, unanswered, cloudmap.Unhealthy},
	}
	// Route 53's timeouts (the zero Config), and others of the caller's.
	configs := []struct {
		name                       string
		interval, connect, respond time.Duration
		tcpConnect                 time.Duration
	}{
		{"defaults", 0, 0, 0, 0},
		{"configured", 7 * time.Second, 3 * time.Second, time.Second, 5 * time.Second},
	}
	for _, tt := range tests {
		for _, cf := range configs {
			t.Run(tt.name+"/"+cf.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					n := newPipeNet()
					n.handle(addrA, tt.handler)
					sink := newSink()
					sink.hook = func(string) int64 { return time.Now().UnixNano() } // fake time of the write
					cfg := syncConfig(n)
					cfg.Interval, cfg.ConnectTimeout, cfg.ResponseTimeout, cfg.TCPConnectTimeout = cf.interval, cf.connect, cf.respond, cf.tcpConnect
					c := health.New(newTargets(target("i-1", tt.typ, addrA, "", 1, cloudmap.Unknown)), sink, cfg)
					if err := c.Start(t.Context()); err != nil {
						t.Fatal(err)
					}
					defer c.Stop()
					// The first probe comes within an interval and ends within
					// its timeouts; later ones find the status unchanged.
					time.Sleep(health.DefaultInterval + health.DefaultTCPConnectTimeout)
					synctest.Wait()
					calls := sink.all()
					if len(calls) != 1 || calls[0].Status != tt.want {
						t.Fatalf("writes = %+v, want one %v", calls, tt.want)
					}
					// A silent HTTP target is judged when the response timeout
					// ends, a host that never answers when the connect timeout
					// ends (TCP checks have their own), everything else at once.
					n.mu.Lock()
					elapsed := time.Unix(0, calls[0].Seen).Sub(n.firstDial)
					n.mu.Unlock()
					or := func(d, def time.Duration) time.Duration {
						if d == 0 {
							return def
						}
						return d
					}
					wantElapsed := time.Duration(0)
					switch {
					case tt.handler != nil && isUnanswered(tt.handler) && tt.typ == cloudmap.HealthCheckTCP:
						wantElapsed = or(cf.tcpConnect, health.DefaultTCPConnectTimeout)
					case tt.handler != nil && isUnanswered(tt.handler):
						wantElapsed = or(cf.connect, health.DefaultConnectTimeout)
					case tt.typ == cloudmap.HealthCheckHTTP && tt.handler != nil:
						wantElapsed = or(cf.respond, health.DefaultResponseTimeout)
					}
					if elapsed != wantElapsed {
						t.Errorf("judged %v of fake time after the dial, want %v", elapsed, wantElapsed)
					}
				})
			})
		}
	}
}

// TestChecker_Sync_StopAndDeregister checks that no probe runs after Stop
// nor for a removed target, over many intervals of fake time.
func TestChecker_Sync_StopAndDeregister(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet()
		ok := httpStatus(func() int { return 200 })
		n.handle(addrA, ok)
		n.handle(addrB, ok)
		tg := newTargets(target("i-a", cloudmap.HealthCheckHTTP, addrA, "", 1, cloudmap.Healthy),
			target("i-b", cloudmap.HealthCheckHTTP, addrB, "", 1, cloudmap.Healthy))
		c := health.New(tg, newSink(), syncConfig(n))
		if err := c.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * health.DefaultInterval)
		synctest.Wait()
		tg.set(target("i-b", cloudmap.HealthCheckHTTP, addrB, "", 1, cloudmap.Healthy))
		time.Sleep(health.DefaultDebounce)
		synctest.Wait()
		a, b := n.dialed(addrA), n.dialed(addrB)
		time.Sleep(10 * health.DefaultInterval)
		synctest.Wait()
		if got := n.dialed(addrA); got != a {
			t.Errorf("removed target probed %d more times, want 0", got-a)
		}
		if got := n.dialed(addrB); got != b+10 {
			t.Errorf("remaining target probed %d times in 10 intervals, want 10", got-b)
		}
		c.Stop()
		b = n.dialed(addrB)
		time.Sleep(10 * health.DefaultInterval)
		synctest.Wait()
		if got := n.dialed(addrB); got != b {
			t.Errorf("%d probes after Stop, want 0", got-b)
		}
	})
}

package health_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/health"
)

// The scheduler's bookkeeping on fake time: what Stats counts, how many
// probes run at once, when a re-sync happens and what the log says. Every
// test runs in a synctest bubble over a pipeNet (synctest_test.go).

// logRecorder is a slog.Handler that keeps every record.
type logRecorder struct {
	mu      sync.Mutex
	records []logRecord
}

// logRecord is one log line: its level, message and attributes as text.
type logRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, rec)
	return nil
}

// with returns the records whose message is msg.
func (l *logRecorder) with(msg string) []logRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []logRecord
	for _, r := range l.records {
		if r.msg == msg {
			out = append(out, r)
		}
	}
	return out
}

// answer answers every request on the connection with code.
func answer(code int) func(net.Conn) { return httpStatus(func() int { return code }) }

// startSync starts a Checker in the bubble; it is stopped when the test ends.
func startSync(t *testing.T, tg health.Targets, s health.Sink, cfg health.Config) *health.Checker {
	t.Helper()
	c := health.New(tg, s, cfg)
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

// sleep lets d of fake time pass and waits until every goroutine of the
// bubble is blocked.
func sleep(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// TestChecker_Sync_StatsCountEachProbe: over five intervals each target is
// probed five times, and Stats splits them exactly: passed and failed
// probes, blocked ones (counted as failed, never dialled), one write per
// status change, and the targets whose status is UNHEALTHY.
func TestChecker_Sync_StatsCountEachProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet()
		n.handle(addrA, answer(200))
		n.handle(addrB, answer(500))
		const addrRefused = "10.0.0.3:80"
		tg := newTargets(
			target("i-pass", cloudmap.HealthCheckHTTP, addrA, "", 1, cloudmap.Healthy),
			target("i-fail", cloudmap.HealthCheckHTTP, addrB, "", 1, cloudmap.Healthy),
			target("i-blocked", cloudmap.HealthCheckHTTP, "127.0.0.1:80", "", 1, cloudmap.Healthy),
			target("i-down", cloudmap.HealthCheckTCP, addrRefused, "", 1, cloudmap.Unhealthy),
		)
		sink := newSink()
		c := startSync(t, tg, sink, syncConfig(n))
		sleep(5 * health.DefaultInterval)
		want := health.Stats{
			Targets: 4, Unhealthy: 3, // i-fail and i-blocked turned UNHEALTHY, i-down stayed
			Probes: 20, Passed: 5, Failed: 15, Blocked: 5,
			Writes: 2, Changes: 2,
		}
		if got := c.Stats(); got != want {
			t.Errorf("stats = %+v\nwant    %+v", got, want)
		}
		if got := n.dialed("127.0.0.1:80"); got != 0 {
			t.Errorf("blocked address dialled %d times, want 0", got)
		}
	})
}

// unansweredTargets makes every address of addrs a host that never
// answers, and returns an HTTP check target at each (instance i-0, i-1,
// ...) whose health starts as status.
func unansweredTargets(n *pipeNet, status cloudmap.HealthStatus, addrs ...string) []cloudmap.HealthTarget {
	unansweredAt(n, addrs...)
	var list []cloudmap.HealthTarget
	for i, a := range addrs {
		list = append(list, target(fmt.Sprintf("i-%d", i), cloudmap.HealthCheckHTTP, a, "", 1, status))
	}
	return list
}

// unansweredAt makes every address of addrs a host that never answers.
func unansweredAt(n *pipeNet, addrs ...string) {
	for _, a := range addrs {
		n.handle(a, unanswered)
	}
}

// TestChecker_Sync_ConcurrencyCap: at most Config.Concurrency probes run at
// once. Four targets whose probes hang for five minutes, two slots: after
// an interval (every first round due) two are dialling, the other two wait.
func TestChecker_Sync_ConcurrencyCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet()
		addrs := []string{"10.0.1.1:80", "10.0.1.2:80", "10.0.1.3:80", "10.0.1.4:80"}
		list := unansweredTargets(n, cloudmap.Healthy, addrs...)
		cfg := syncConfig(n)
		cfg.Concurrency = 2
		cfg.ConnectTimeout = 5 * time.Minute
		c := startSync(t, newTargets(list...), newSink(), cfg)
		sleep(health.DefaultInterval)
		dials := 0
		for _, a := range addrs {
			dials += n.dialed(a)
		}
		if dials != 2 {
			t.Errorf("dials after one interval = %d, want 2 (the concurrency)", dials)
		}
		if st := c.Stats(); st.InFlight != 2 {
			t.Errorf("Stats.InFlight = %d, want 2", st.InFlight)
		}
	})
}

// TestChecker_Sync_FailingTargetsTakeTurns: failing targets may hold only
// half of the slots, and those that wait for one are probed as soon as one
// frees: four targets that never answer (each probe takes 100 s), four
// slots, so two failing probes at a time; over 20 minutes every target is
// probed again and again.
func TestChecker_Sync_FailingTargetsTakeTurns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet()
		addrs := []string{"10.0.1.1:80", "10.0.1.2:80", "10.0.1.3:80", "10.0.1.4:80"}
		list := unansweredTargets(n, cloudmap.Unknown, addrs...)
		cfg := syncConfig(n)
		cfg.Concurrency = 4
		cfg.ConnectTimeout = 100 * time.Second
		c := startSync(t, newTargets(list...), newSink(), cfg)
		sleep(20 * time.Minute)
		// 20 minutes hold 24 failing probes of 100 s on two slots: about
		// six each; three is the least a fair turn gives every target.
		for _, a := range addrs {
			if got := n.dialed(a); got < 3 {
				t.Errorf("%s probed %d times in 20 minutes, want at least 3", a, got)
			}
		}
		if st := c.Stats(); st.InFlight > 2 {
			t.Errorf("Stats.InFlight = %d, want at most 2 (the failing targets' half)", st.InFlight)
		}
	})
}

// TestChecker_Sync_SkippedRounds: a round that comes due while the
// target's previous probe still runs is skipped (Stats.Skipped), and the
// next one keeps the target's phase. Interval 10 s, a probe that takes
// 25 s: probed at r, skipped at r+10 and r+20, probed again at r+30.
func TestChecker_Sync_SkippedRounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet()
		unansweredAt(n, addrA)
		var dialTimes []time.Time
		var mu sync.Mutex
		dial := n.Dial
		cfg := syncConfig(n)
		cfg.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			mu.Lock()
			dialTimes = append(dialTimes, time.Now())
			mu.Unlock()
			return dial(ctx, network, addr)
		}
		cfg.Interval = 10 * time.Second
		cfg.ConnectTimeout = 25 * time.Second
		c := startSync(t, newTargets(target("i-1", cloudmap.HealthCheckHTTP, addrA, "", 1, cloudmap.Healthy)), newSink(), cfg)
		sleep(40 * time.Second)
		want := health.Stats{Targets: 1, Unhealthy: 1, InFlight: 1, Probes: 1, Failed: 1, Skipped: 2, Writes: 1, Changes: 1}
		if got := c.Stats(); got != want {
			t.Errorf("stats = %+v\nwant    %+v", got, want)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(dialTimes) != 2 || dialTimes[1].Sub(dialTimes[0]) != 3*cfg.Interval {
			t.Errorf("dials at %v, want two, three intervals apart", dialTimes)
		}
	})
}

// TestChecker_Sync_Discarded: the result of a probe whose target was
// removed while it ran is discarded and counted (Stats.Discarded); a probe
// cancelled by Stop is neither a result nor a discarded one.
func TestChecker_Sync_Discarded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet()
		connected := make(chan struct{}, 10)
		n.handle(addrA, func(c net.Conn) {
			connected <- struct{}{}
			silent(c) // judged when the response timeout ends
		})
		tg := newTargets(target("i-1", cloudmap.HealthCheckHTTP, addrA, "", 1, cloudmap.Healthy))
		sink := newSink()
		c := startSync(t, tg, sink, syncConfig(n))
		<-connected
		tg.set() // deregistered while its probe runs
		sleep(health.DefaultResponseTimeout)
		if got, want := c.Stats(), (health.Stats{Discarded: 1}); got != want {
			t.Errorf("stats after removal = %+v\nwant    %+v", got, want)
		}

		tg.set(target("i-1", cloudmap.HealthCheckHTTP, addrA, "", 1, cloudmap.Healthy))
		<-connected
		c.Stop() // cancels the probe in flight
		if got, want := c.Stats(), (health.Stats{Discarded: 1}); got != want {
			t.Errorf("stats after Stop = %+v\nwant    %+v", got, want)
		}
		if calls := sink.all(); len(calls) != 0 {
			t.Errorf("writes %v, want none", calls)
		}
	})
}

// TestChecker_Sync_WriteErrorsCounted: a write that fails is counted in
// Stats.WriteErrors and asked for again by the next probe; the status
// counts as changed only once a write succeeds.
func TestChecker_Sync_WriteErrorsCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet()
		n.handle(addrA, answer(500))
		sink := newSink()
		sink.err = &cloudmap.Error{Code: cloudmap.ErrInstanceNotFound, Message: "gone"}
		c := startSync(t, newTargets(target("i-1", cloudmap.HealthCheckHTTP, addrA, "", 1, cloudmap.Healthy)), sink, syncConfig(n))
		sleep(3 * health.DefaultInterval)
		want := health.Stats{Targets: 1, Probes: 3, Failed: 3, Writes: 3, WriteErrors: 3}
		if got := c.Stats(); got != want {
			t.Errorf("stats while writes fail = %+v\nwant    %+v", got, want)
		}
		sink.mu.Lock()
		sink.err = nil
		sink.mu.Unlock()
		sleep(health.DefaultInterval)
		want = health.Stats{Targets: 1, Unhealthy: 1, Probes: 4, Failed: 4, Writes: 4, WriteErrors: 3, Changes: 1}
		if got := c.Stats(); got != want {
			t.Errorf("stats after a write succeeded = %+v\nwant    %+v", got, want)
		}
	})
}

// localWarning is the message of the warning about local errors.
const localWarning = "health: probe failed for a local reason; not counted against the target"

// TestChecker_Sync_LocalErrorWarnings: a probe that fails for a local
// reason is counted in Stats.LocalErrors, not as a result, and warned about
// at most once per 10 s: probes every 5 s for a minute give 12 local
// errors and 6 warnings (the first at once, then every 10 s).
func TestChecker_Sync_LocalErrorWarnings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logs := &logRecorder{}
		cfg := syncConfig(newPipeNet())
		cfg.Logger = slog.New(logs)
		cfg.Interval = 5 * time.Second
		cfg.Dial = func(context.Context, string, string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp4", Err: os.NewSyscallError("socket", syscall.EMFILE)}
		}
		sink := newSink()
		c := startSync(t, newTargets(target("i-1", cloudmap.HealthCheckHTTP, addrA, "", 1, cloudmap.Healthy)), sink, cfg)
		sleep(time.Minute)
		if got, want := c.Stats(), (health.Stats{Targets: 1, LocalErrors: 12}); got != want {
			t.Errorf("stats = %+v\nwant    %+v", got, want)
		}
		warnings := logs.with(localWarning)
		if len(warnings) != 6 {
			t.Fatalf("%d warnings about local errors in a minute, want 6 (one per 10 s)", len(warnings))
		}
		if got := warnings[5].attrs["local_errors"]; got != "11" {
			t.Errorf("sixth warning's local_errors = %s, want 11", got)
		}
	})
}

// TestChecker_Sync_Debounce: a change of the targets is applied at most
// once per Debounce after the previous re-sync, default and configured.
func TestChecker_Sync_Debounce(t *testing.T) {
	for _, tc := range []struct {
		name     string
		debounce time.Duration
		want     time.Duration
	}{
		{"default", 0, health.DefaultDebounce},
		{"configured", time.Second, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := newPipeNet()
				cfg := syncConfig(n)
				cfg.Debounce = tc.debounce
				a := target("i-a", cloudmap.HealthCheckHTTP, addrA, "", 1, cloudmap.Healthy)
				tg := newTargets(a)
				c := startSync(t, tg, newSink(), cfg)
				tg.set(a, target("i-b", cloudmap.HealthCheckHTTP, addrB, "", 1, cloudmap.Healthy))
				sleep(tc.want - time.Nanosecond)
				if got := c.Stats().Targets; got != 1 {
					t.Fatalf("targets %v after the start = %d, want 1 (not re-synced yet)", tc.want-time.Nanosecond, got)
				}
				sleep(time.Nanosecond)
				if got := c.Stats().Targets; got != 2 {
					t.Fatalf("targets %v after the start = %d, want 2", tc.want, got)
				}
				// Long after the last re-sync, a change is applied at once.
				sleep(time.Minute)
				tg.set(a)
				synctest.Wait()
				if got := c.Stats().Targets; got != 1 {
					t.Errorf("targets right after a change a minute later = %d, want 1", got)
				}
			})
		})
	}
}

// TestChecker_Sync_StartsWithoutTargets: a Checker started with nothing to
// probe waits, and probes the first target registered later.
func TestChecker_Sync_StartsWithoutTargets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet()
		n.handle(addrA, answer(200))
		tg := newTargets()
		c := startSync(t, tg, newSink(), syncConfig(n))
		sleep(health.DefaultInterval)
		if got := c.Stats(); got != (health.Stats{}) {
			t.Fatalf("stats without targets = %+v, want zero", got)
		}
		// The last re-sync is an interval old: this change is applied at
		// once, and the new target probed once in the interval after it.
		tg.set(target("i-1", cloudmap.HealthCheckHTTP, addrA, "", 1, cloudmap.Healthy))
		sleep(health.DefaultInterval)
		if got := n.dialed(addrA); got != 1 {
			t.Errorf("target registered later probed %d times in its first interval, want 1", got)
		}
	})
}

// requestLog is a handler that records the request target of each request
// and answers code.
type requestLog struct {
	mu    sync.Mutex
	paths []string
}

func (l *requestLog) handler(code int) func(net.Conn) {
	return func(c net.Conn) {
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			return
		}
		l.mu.Lock()
		l.paths = append(l.paths, req.RequestURI)
		l.mu.Unlock()
		fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\n\r\n", code, http.StatusText(code))
	}
}

func (l *requestLog) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.paths) == 0 {
		return ""
	}
	return l.paths[len(l.paths)-1]
}

// TestChecker_Sync_ChangedCheckStartsOver: a target whose check or address
// changed (same instance) is probed the new way from its next round; one
// that did not change keeps its schedule and its run of results.
func TestChecker_Sync_ChangedCheckStartsOver(t *testing.T) {
	t.Run("new resource path", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			n := newPipeNet()
			reqs := &requestLog{}
			n.handle(addrA, reqs.handler(200))
			tg := newTargets(target("i-1", cloudmap.HealthCheckHTTP, addrA, "/old", 1, cloudmap.Healthy))
			startSync(t, tg, newSink(), syncConfig(n))
			sleep(health.DefaultInterval)
			if got := reqs.last(); got != "/old" {
				t.Fatalf("request target = %q, want /old", got)
			}
			tg.set(target("i-1", cloudmap.HealthCheckHTTP, addrA, "/new", 1, cloudmap.Healthy))
			sleep(health.DefaultDebounce + health.DefaultInterval)
			if got := reqs.last(); got != "/new" {
				t.Errorf("request target after the change = %q, want /new", got)
			}
		})
	})
	t.Run("new address, same port", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			n := newPipeNet()
			n.handle(addrA, answer(200))
			n.handle(addrB, answer(200))
			tg := newTargets(target("i-1", cloudmap.HealthCheckHTTP, addrA, "", 1, cloudmap.Healthy))
			startSync(t, tg, newSink(), syncConfig(n))
			sleep(health.DefaultInterval)
			tg.set(target("i-1", cloudmap.HealthCheckHTTP, addrB, "", 1, cloudmap.Healthy))
			synctest.Wait() // re-synced at once: the last re-sync is an interval old
			a := n.dialed(addrA)
			sleep(health.DefaultInterval)
			if got := n.dialed(addrB); got != 1 {
				t.Errorf("new address probed %d times in an interval, want 1", got)
			}
			if got := n.dialed(addrA); got != a {
				t.Errorf("old address probed %d more times, want 0", got-a)
			}
		})
	})
	t.Run("unchanged keeps its run", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			n := newPipeNet()
			n.handle(addrA, answer(500))
			n.handle(addrB, answer(200))
			a := target("i-a", cloudmap.HealthCheckHTTP, addrA, "", 3, cloudmap.Healthy)
			tg := newTargets(a)
			sink := newSink()
			startSync(t, tg, sink, syncConfig(n))
			sleep(2 * health.DefaultInterval) // two failing probes of three
			tg.set(a, target("i-b", cloudmap.HealthCheckHTTP, addrB, "", 3, cloudmap.Healthy))
			sleep(health.DefaultInterval)
			if calls := sink.all(); len(calls) != 1 || calls[0].Status != cloudmap.Unhealthy {
				t.Errorf("writes = %+v, want i-a UNHEALTHY after its third failing probe", calls)
			}
		})
	})
}

// TestChecker_Sync_PassingStatuses: a status of 200 to 399 passes, anything
// else fails (Cloud Map's HealthCheckConfig).
func TestChecker_Sync_PassingStatuses(t *testing.T) {
	for _, tc := range []struct {
		code int
		want cloudmap.HealthStatus
	}{
		{199, cloudmap.Unhealthy},
		{200, cloudmap.Healthy},
		{302, cloudmap.Healthy},
		{399, cloudmap.Healthy},
		{400, cloudmap.Unhealthy},
		{503, cloudmap.Unhealthy},
	} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := newPipeNet()
				n.handle(addrA, answer(tc.code))
				sink := newSink()
				startSync(t, newTargets(target("i-1", cloudmap.HealthCheckHTTP, addrA, "", 1, cloudmap.Unknown)), sink, syncConfig(n))
				sleep(health.DefaultInterval)
				if calls := sink.all(); len(calls) != 1 || calls[0].Status != tc.want {
					t.Errorf("writes = %+v, want one %s", calls, tc.want)
				}
			})
		})
	}
}

// TestChecker_Sync_FailureReasons: the log line of a status change names
// why the probe failed: a response header over the 16 KiB cap is "too
// large", one cut short is a read error; an address the policy refuses is
// logged at debug level, without a dial.
func TestChecker_Sync_FailureReasons(t *testing.T) {
	// A net.Pipe is synchronous: each handler reads the request first.
	endless := func(c net.Conn) {
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nX: "))
		chunk := []byte(strings.Repeat("a", 1024))
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}
	cutShort := func(c net.Conn) {
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nX: a"))
	}
	for _, tc := range []struct {
		name    string
		addr    string
		handler func(net.Conn)
		reason  string // the start of the reason
	}{
		{"endless header", addrA, endless, "response header too large"},
		{"header cut short", addrA, cutShort, "read response: "},
		{"closed before the request", addrA, func(net.Conn) {}, "write request: "},
		{"refused by the policy", "169.254.169.254:80", nil, "address not allowed for health checks: 169.254.169.254"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := newPipeNet()
				n.handle(tc.addr, tc.handler)
				logs := &logRecorder{}
				cfg := syncConfig(n)
				cfg.Logger = slog.New(logs)
				startSync(t, newTargets(target("i-1", cloudmap.HealthCheckHTTP, tc.addr, "", 1, cloudmap.Healthy)), newSink(), cfg)
				sleep(health.DefaultInterval)
				changes := logs.with("health status changed")
				if len(changes) != 1 || !strings.HasPrefix(changes[0].attrs["reason"], tc.reason) {
					t.Fatalf("status changes logged: %+v, want one with reason %q…", changes, tc.reason)
				}
				notSent := logs.with("health: probe not sent")
				blocked := tc.handler == nil
				if blocked != (len(notSent) == 1) {
					t.Fatalf("debug lines 'probe not sent': %+v, want one only for the refused address", notSent)
				}
				if blocked && (notSent[0].level != slog.LevelDebug || !strings.HasPrefix(notSent[0].attrs["reason"], tc.reason)) {
					t.Errorf("'probe not sent' = %+v, want level DEBUG, reason %q…", notSent[0], tc.reason)
				}
				if blocked && n.dialed(tc.addr) != 0 {
					t.Errorf("refused address dialled")
				}
			})
		})
	}
}

// observation is one call of Config.Observe.
type observation struct {
	typ     cloudmap.HealthCheckType
	passed  bool
	elapsed time.Duration
}

// observer collects Config.Observe calls.
type observer struct {
	mu   sync.Mutex
	seen []observation
}

func (o *observer) observe(typ cloudmap.HealthCheckType, passed bool, elapsed time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen = append(o.seen, observation{typ, passed, elapsed})
}

func (o *observer) all() []observation {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]observation(nil), o.seen...)
}

// TestChecker_Sync_Observe: Config.Observe is told about every completed
// probe (one call per probe Stats counts) with its check type, result and
// duration on the clock; a probe cancelled by Stop is not a result and is
// not observed.
func TestChecker_Sync_Observe(t *testing.T) {
	t.Run("completed probes", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			n := newPipeNet()
			n.handle(addrA, answer(200))
			n.handle(addrB, answer(500))
			n.handle("10.0.0.3:22", silent)
			n.handle("10.0.0.4:80", func(c net.Conn) {
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				// Answer after 1.5 s, unless the prober hangs up first
				// (Stop): no handler outlives the bubble.
				_ = c.SetReadDeadline(time.Now().Add(1500 * time.Millisecond))
				if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
					return
				}
				fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
			})
			obs := &observer{}
			cfg := syncConfig(n)
			cfg.Observe = obs.observe
			c := startSync(t, newTargets(
				target("i-pass", cloudmap.HealthCheckHTTP, addrA, "", 1, cloudmap.Healthy),
				target("i-fail", cloudmap.HealthCheckHTTP, addrB, "", 1, cloudmap.Healthy),
				target("i-tcp", cloudmap.HealthCheckTCP, "10.0.0.3:22", "", 1, cloudmap.Healthy),
				target("i-slow", cloudmap.HealthCheckHTTP, "10.0.0.4:80", "", 1, cloudmap.Healthy),
			), newSink(), cfg)
			sleep(health.DefaultInterval + 2*time.Second)
			c.Stop()
			seen := obs.all()
			if probes := c.Stats().Probes; uint64(len(seen)) != probes || probes < 4 {
				t.Fatalf("%d observations for %d probes, want one per probe and at least 4: %+v", len(seen), probes, seen)
			}
			kinds := map[observation]bool{}
			for _, o := range seen {
				kinds[o] = true
			}
			want := map[observation]bool{
				{cloudmap.HealthCheckHTTP, true, 0}:                       true,
				{cloudmap.HealthCheckHTTP, false, 0}:                      true,
				{cloudmap.HealthCheckTCP, true, 0}:                        true,
				{cloudmap.HealthCheckHTTP, true, 1500 * time.Millisecond}: true,
			}
			if !reflect.DeepEqual(kinds, want) {
				t.Errorf("observations %+v, want each of %+v", kinds, want)
			}
		})
	})
	t.Run("cancelled probe", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			n := newPipeNet()
			connected := make(chan struct{}, 1)
			n.handle(addrA, func(c net.Conn) {
				connected <- struct{}{}
				silent(c)
			})
			obs := &observer{}
			cfg := syncConfig(n)
			cfg.Observe = obs.observe
			c := startSync(t, newTargets(target("i-1", cloudmap.HealthCheckHTTP, addrA, "", 1, cloudmap.Healthy)), newSink(), cfg)
			<-connected
			c.Stop()
			if seen := obs.all(); len(seen) != 0 {
				t.Errorf("observations of a probe cancelled by Stop: %+v, want none", seen)
			}
		})
	})
}

// TestChecker_Sync_WriteInTheInstanceCell: a status is written with the
// instance's cell in the context (where its health record lives); an
// instance of the default cell is written with no cell at all.
func TestChecker_Sync_WriteInTheInstanceCell(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet()
		n.handle(addrA, answer(500))
		n.handle(addrB, answer(500))
		other := cloudmap.Cell{Account: "210987654321", Region: "eu-west-1"}
		inOther := target("i-other", cloudmap.HealthCheckHTTP, addrB, "", 1, cloudmap.Healthy)
		inOther.Cell = other
		type seen struct {
			cell cloudmap.Cell
			ok   bool
		}
		var mu sync.Mutex
		cells := map[string]seen{}
		sink := newSink()
		sink.ctxHook = func(ctx context.Context, id string) {
			c, ok := cloudmap.CellFrom(ctx)
			mu.Lock()
			defer mu.Unlock()
			cells[id] = seen{c, ok}
		}
		startSync(t, newTargets(target("i-default", cloudmap.HealthCheckHTTP, addrA, "", 1, cloudmap.Healthy), inOther), sink, syncConfig(n))
		sleep(health.DefaultInterval)
		mu.Lock()
		defer mu.Unlock()
		want := map[string]seen{"i-default": {}, "i-other": {other, true}}
		if !reflect.DeepEqual(cells, want) {
			t.Errorf("cells of the writes = %+v, want %+v", cells, want)
		}
	})
}

// TestChecker_Sync_StopDuringDebounce: Stop while a re-sync waits out its
// debounce returns at once, without waiting for the debounce to end.
func TestChecker_Sync_StopDuringDebounce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := syncConfig(newPipeNet())
		cfg.Debounce = time.Hour
		tg := newTargets()
		c := health.New(tg, newSink(), cfg)
		if err := c.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		tg.set(target("i-1", cloudmap.HealthCheckHTTP, addrA, "", 1, cloudmap.Healthy))
		synctest.Wait() // the watcher waits out the debounce
		before := time.Now()
		c.Stop()
		if waited := time.Since(before); waited != 0 {
			t.Errorf("Stop waited %v of the debounce, want 0", waited)
		}
	})
}

// TestChecker_StartNeedsTargetsAndSink: Start refuses a Checker without
// its Targets or its Sink, and a zero Config (no logger either) is usable.
func TestChecker_StartNeedsTargetsAndSink(t *testing.T) {
	for _, c := range []*health.Checker{health.New(nil, newSink(), health.Config{}), health.New(newTargets(), nil, health.Config{})} {
		if err := c.Start(t.Context()); err == nil || err.Error() != "health: start: Targets and Sink are required" {
			t.Errorf("Start = %v, want Targets and Sink are required", err)
		}
	}
	synctest.Test(t, func(t *testing.T) {
		c := health.New(newTargets(), newSink(), health.Config{})
		if err := c.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		c.Stop()
	})
}

package health_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/health"
	"github.com/cloudmap/cloudmap/internal/testkit"
)

// fakeTargets is a Targets whose list the test changes.
type fakeTargets struct {
	mu     sync.Mutex
	list   []cloudmap.HealthTarget
	notify chan struct{}
}

var _ health.Targets = (*fakeTargets)(nil)

func newTargets(list ...cloudmap.HealthTarget) *fakeTargets {
	return &fakeTargets{list: list, notify: make(chan struct{})}
}

func (f *fakeTargets) HealthTargets() []cloudmap.HealthTarget {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]cloudmap.HealthTarget(nil), f.list...)
}

func (f *fakeTargets) Notify() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.notify
}

// set replaces the list and fires the change notification.
func (f *fakeTargets) set(list ...cloudmap.HealthTarget) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.list = list
	close(f.notify)
	f.notify = make(chan struct{})
}

// call is one SetHealth call.
type call struct {
	InstanceID string
	Status     cloudmap.HealthStatus
	// Seen is what the test's hook captured at the time of the call.
	Seen int64
}

// fakeSink records SetHealth calls.
type fakeSink struct {
	mu    sync.Mutex
	calls []call
	ch    chan call
	// hook, when set, captures a value at the time of each call.
	hook func(instanceID string) int64
	// ctxHook, when set, sees the context of each call.
	ctxHook func(ctx context.Context, instanceID string)
	err     error
}

var _ health.Sink = (*fakeSink)(nil)

func newSink() *fakeSink { return &fakeSink{ch: make(chan call, 1024)} }

func (s *fakeSink) SetHealth(ctx context.Context, serviceID, instanceID string, status cloudmap.HealthStatus) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctxHook != nil {
		s.ctxHook(ctx, instanceID)
	}
	c := call{InstanceID: instanceID, Status: status}
	if s.hook != nil {
		c.Seen = s.hook(instanceID)
	}
	if s.err != nil {
		return false, s.err
	}
	s.calls = append(s.calls, c)
	select {
	case s.ch <- c:
	default:
	}
	return true, nil
}

func (s *fakeSink) all() []call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]call(nil), s.calls...)
}

// next waits for the next SetHealth call.
func (s *fakeSink) next(t *testing.T) call {
	t.Helper()
	select {
	case c := <-s.ch:
		return c
	case <-time.After(10 * time.Second):
		t.Fatalf("no SetHealth call; calls so far: %v", s.all())
		return call{}
	}
}

// waitFor polls cond until it holds; the bound only turns a hang into a
// failure, nothing asserts on time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testkit.EventuallyTrue(t, what, cond)
}

// testConfig is a fast Checker configuration for tests.
func testConfig() health.Config {
	return health.Config{
		Interval:          20 * time.Millisecond,
		Concurrency:       16,
		ConnectTimeout:    200 * time.Millisecond,
		ResponseTimeout:   100 * time.Millisecond,
		TCPConnectTimeout: 200 * time.Millisecond,
		Debounce:          5 * time.Millisecond,
		Logger:            slog.New(slog.DiscardHandler),
		// The test targets listen on loopback, which is refused by default.
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
	}
}

// start starts a Checker and stops it when the test ends.
func start(t *testing.T, tg health.Targets, s health.Sink, cfg health.Config) *health.Checker {
	t.Helper()
	c := health.New(tg, s, cfg)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

// target returns a HealthTarget for addr ("ip:port").
func target(id string, typ cloudmap.HealthCheckType, addr, path string, threshold int32, h cloudmap.HealthStatus) cloudmap.HealthTarget {
	ap := netip.MustParseAddrPort(addr)
	return cloudmap.HealthTarget{
		ServiceId: "srv-test", InstanceId: id,
		Config: cloudmap.HealthCheckConfig{Type: typ, ResourcePath: path, FailureThreshold: threshold},
		IPv4:   ap.Addr().String(), Port: itoa(ap.Port()), Health: h,
	}
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }

// connListener is a TCP listener on 127.0.0.1:0 that counts its
// connections and runs serve on each; open reports the ones not yet closed.
type connListener struct {
	ln       net.Listener
	accepted atomic.Int64
	closed   atomic.Int64
	wg       sync.WaitGroup
}

// listen starts a connListener; serve must return when the peer closes.
func listen(t *testing.T, serve func(net.Conn)) *connListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &connListener{ln: ln}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.accepted.Add(1)
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				defer l.closed.Add(1)
				defer c.Close()
				serve(c)
			}()
		}
	}()
	t.Cleanup(l.close)
	return l
}

func (l *connListener) addr() string { return l.ln.Addr().String() }
func (l *connListener) open() int64  { return l.accepted.Load() - l.closed.Load() }
func (l *connListener) close()       { l.ln.Close(); l.wg.Wait() }

// silent reads until the peer closes and never answers.
func silent(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

// goroutinesBack waits until the goroutine count is back to base.
func goroutinesBack(t *testing.T, base int) {
	t.Helper()
	testkit.Eventually(t, "goroutines back", func() error {
		if n := runtime.NumGoroutine(); n > base {
			buf := make([]byte, 1<<16)
			return fmt.Errorf("goroutines = %d, want <= %d\n%s", n, base, buf[:runtime.Stack(buf, true)])
		}
		return nil
	})
}

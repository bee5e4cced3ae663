package health_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/health"
)

// switchServer is an httptest server answering code, counting answers per
// code.
type switchServer struct {
	*httptest.Server
	code   atomic.Int64
	served sync.Map // code -> *atomic.Int64
	host   atomic.Value
	path   atomic.Value
	ua     atomic.Value
}

func newSwitchServer(t *testing.T, tls bool) *switchServer {
	s := &switchServer{}
	s.code.Store(200)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.host.Store(r.Host)
		s.path.Store(r.URL.RequestURI())
		s.ua.Store(r.UserAgent())
		code := int(s.code.Load())
		n, _ := s.served.LoadOrStore(code, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
		w.WriteHeader(code)
	})
	if tls {
		s.Server = httptest.NewTLSServer(h)
	} else {
		s.Server = httptest.NewServer(h)
	}
	t.Cleanup(s.Close)
	return s
}

func (s *switchServer) count(code int) int64 {
	n, ok := s.served.Load(code)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

func (s *switchServer) addr() string { return s.Listener.Addr().String() }

func TestChecker_HTTPFlipsAfterExactlyThreshold(t *testing.T) {
	for _, tc := range []struct {
		name string
		typ  cloudmap.HealthCheckType
		tls  bool
	}{{"http", cloudmap.HealthCheckHTTP, false}, {"https", cloudmap.HealthCheckHTTPS, true}} {
		t.Run(tc.name, func(t *testing.T) {
			const threshold = 3
			srv := newSwitchServer(t, tc.tls)
			sink := newSink()
			// At each write, record how many answers of the status that
			// caused it were served: no probe runs during a write.
			sink.hook = func(string) int64 { return srv.count(int(srv.code.Load())) }
			tg := newTargets(target("i-1", tc.typ, srv.addr(), "/health?deep=1", threshold, cloudmap.Healthy))
			c := start(t, tg, sink, testConfig())

			waitFor(t, "healthy probes", func() bool { return srv.count(200) >= 5 })
			if got := sink.all(); len(got) != 0 {
				t.Fatalf("writes while healthy = %v, want none", got)
			}
			srv.code.Store(500)
			got := sink.next(t)
			if want := (call{"i-1", cloudmap.Unhealthy, threshold}); got != want {
				t.Errorf("first write = %+v, want %+v", got, want)
			}
			waitFor(t, "more failing probes", func() bool { return srv.count(500) >= threshold+3 })
			base := srv.count(200)
			srv.code.Store(200)
			got = sink.next(t)
			if want := (call{"i-1", cloudmap.Healthy, base + threshold}); got != want {
				t.Errorf("second write = %+v, want %+v", got, want)
			}
			waitFor(t, "more healthy probes", func() bool { return srv.count(200) >= base+threshold+3 })
			c.Stop()
			st := c.Stats()
			if st.Writes != 2 || st.Changes != 2 {
				t.Errorf("writes, changes = %d, %d, want 2, 2", st.Writes, st.Changes)
			}
			if got, want := srv.host.Load(), srv.addr(); got != want {
				t.Errorf("Host = %v, want %v", got, want)
			}
			if got, want := srv.path.Load(), "/health?deep=1"; got != want {
				t.Errorf("path = %v, want %v", got, want)
			}
			if ua, _ := srv.ua.Load().(string); !strings.HasPrefix(ua, "Amazon-Route53-Health-Check-Service") {
				t.Errorf("User-Agent = %q", ua)
			}
		})
	}
}

func TestChecker_UnhealthyTargets(t *testing.T) {
	refused := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}
	garbage := func(t *testing.T) string {
		return listen(t, func(c net.Conn) {
			_, _ = c.Write([]byte("SSH-2.0-not-http\r\n\x00\x01\x02\r\n\r\n"))
			silent(c)
		}).addr()
	}
	endless := func(t *testing.T) string {
		return listen(t, func(c net.Conn) {
			_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nX: "))
			chunk := []byte(strings.Repeat("a", 4096))
			for {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}).addr()
	}
	hanging := func(t *testing.T) string { return listen(t, silent).addr() }
	redirect := func(t *testing.T) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusFound)
		}))
		t.Cleanup(srv.Close)
		return srv.Listener.Addr().String()
	}
	tests := []struct {
		name string
		typ  cloudmap.HealthCheckType
		addr func(*testing.T) string
		want cloudmap.HealthStatus
	}{
		{"port nobody listens on", cloudmap.HealthCheckHTTP, refused, cloudmap.Unhealthy},
		{"tcp port nobody listens on", cloudmap.HealthCheckTCP, refused, cloudmap.Unhealthy},
		{"accepts but never answers", cloudmap.HealthCheckHTTP, hanging, cloudmap.Unhealthy},
		{"https to a silent port", cloudmap.HealthCheckHTTPS, hanging, cloudmap.Unhealthy},
		{"garbage", cloudmap.HealthCheckHTTP, garbage, cloudmap.Unhealthy},
		{"endless header", cloudmap.HealthCheckHTTP, endless, cloudmap.Unhealthy},
		{"tcp to a silent port", cloudmap.HealthCheckTCP, hanging, cloudmap.Healthy},
		{"redirect is healthy and not followed", cloudmap.HealthCheckHTTP, redirect, cloudmap.Healthy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newSink()
			start(t, newTargets(target("i-1", tt.typ, tt.addr(t), "", 2, cloudmap.Unknown)), sink, testConfig())
			if got := sink.next(t); got.Status != tt.want {
				t.Errorf("status = %v, want %v", got.Status, tt.want)
			}
		})
	}
}

func TestChecker_TCPListenerCloses(t *testing.T) {
	l := listen(t, silent)
	sink := newSink()
	c := start(t, newTargets(target("i-1", cloudmap.HealthCheckTCP, l.addr(), "", 2, cloudmap.Unhealthy)), sink, testConfig())
	if got := sink.next(t); got.Status != cloudmap.Healthy {
		t.Fatalf("status = %v, want HEALTHY", got.Status)
	}
	l.close()
	if got := sink.next(t); got.Status != cloudmap.Unhealthy {
		t.Fatalf("status after close = %v, want UNHEALTHY", got.Status)
	}
	if got := c.Stats().Writes; got != 2 {
		t.Errorf("writes = %d, want 2", got)
	}
}

func TestChecker_ProbesOnlyTheRegisteredAddress(t *testing.T) {
	srv := newSwitchServer(t, false)
	var mu sync.Mutex
	dialed := map[string]int{}
	cfg := testConfig()
	d := &net.Dialer{}
	cfg.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialed[network+" "+addr]++
		mu.Unlock()
		return d.DialContext(ctx, network, addr)
	}
	bad := []cloudmap.HealthTarget{
		target("i-1", cloudmap.HealthCheckHTTP, srv.addr(), "", 1, cloudmap.Unknown),
		{ServiceId: "srv-test", InstanceId: "i-v6", Config: cloudmap.HealthCheckConfig{Type: "HTTP"}, IPv4: "::1", Port: "80"},
		{ServiceId: "srv-test", InstanceId: "i-name", Config: cloudmap.HealthCheckConfig{Type: "HTTP"}, IPv4: "localhost", Port: "80"},
		{ServiceId: "srv-test", InstanceId: "i-noport", Config: cloudmap.HealthCheckConfig{Type: "TCP", FailureThreshold: 1}, IPv4: "127.0.0.1"},
	}
	sink := newSink()
	c := start(t, newTargets(bad...), sink, cfg)
	waitFor(t, "every target decided", func() bool { return len(sink.all()) == 2 })
	waitFor(t, "more probes", func() bool { return c.Stats().Probes >= 20 })
	c.Stop()
	got := map[string]cloudmap.HealthStatus{}
	for _, cl := range sink.all() {
		got[cl.InstanceID] = cl.Status
	}
	if got["i-1"] != cloudmap.Healthy || got["i-noport"] != cloudmap.Unhealthy {
		t.Errorf("writes = %v, want i-1 HEALTHY and i-noport UNHEALTHY", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dialed) != 1 || dialed["tcp4 "+srv.addr()] == 0 {
		t.Errorf("dialed %v, want only tcp4 %s", dialed, srv.addr())
	}
}

func TestChecker_DeregisterStopsProbes(t *testing.T) {
	gone := newSwitchServer(t, false)
	stays := newSwitchServer(t, false)
	tg := newTargets(
		target("i-gone", cloudmap.HealthCheckHTTP, gone.addr(), "", 1, cloudmap.Healthy),
		target("i-stays", cloudmap.HealthCheckHTTP, stays.addr(), "", 1, cloudmap.Healthy),
	)
	c := start(t, tg, newSink(), testConfig())
	waitFor(t, "both probed", func() bool { return gone.count(200) >= 2 && stays.count(200) >= 2 })
	tg.set(target("i-stays", cloudmap.HealthCheckHTTP, stays.addr(), "", 1, cloudmap.Healthy))
	waitFor(t, "target removed", func() bool { return c.Stats().Targets == 1 })
	// At most one probe of the removed target was already in flight.
	after := gone.count(200)
	base := stays.count(200)
	waitFor(t, "ten more rounds of the other target", func() bool { return stays.count(200) >= base+10 })
	if got := gone.count(200); got > after+1 {
		t.Errorf("removed target probed %d more times, want at most 1", got-after)
	}

	// A new registration is picked up from the change feed.
	added := newSwitchServer(t, false)
	tg.set(
		target("i-stays", cloudmap.HealthCheckHTTP, stays.addr(), "", 1, cloudmap.Healthy),
		target("i-new", cloudmap.HealthCheckHTTP, added.addr(), "", 1, cloudmap.Healthy),
	)
	waitFor(t, "new target probed", func() bool { return added.count(200) >= 2 })
}

func TestChecker_ReRegisterWithNewAddress(t *testing.T) {
	old := newSwitchServer(t, false)
	moved := newSwitchServer(t, false)
	moved.code.Store(503)
	tg := newTargets(target("i-1", cloudmap.HealthCheckHTTP, old.addr(), "", 2, cloudmap.Healthy))
	sink := newSink()
	start(t, tg, sink, testConfig())
	waitFor(t, "old address probed", func() bool { return old.count(200) >= 2 })
	tg.set(target("i-1", cloudmap.HealthCheckHTTP, moved.addr(), "", 2, cloudmap.Healthy))
	if got := sink.next(t); got.Status != cloudmap.Unhealthy {
		t.Errorf("status = %v, want UNHEALTHY", got.Status)
	}
}

func TestChecker_StopStart(t *testing.T) {
	srv := newSwitchServer(t, false)
	base := runtime.NumGoroutine()
	c := health.New(newTargets(target("i-1", cloudmap.HealthCheckHTTP, srv.addr(), "", 1, cloudmap.Healthy)), newSink(), testConfig())
	for round := range 3 {
		if err := c.Start(context.Background()); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if err := c.Start(context.Background()); err == nil || err.Error() != "health: start: already running" {
			t.Fatalf("round %d: second Start: err = %v, want already running", round, err)
		}
		n := srv.count(200)
		waitFor(t, "probes", func() bool { return srv.count(200) >= n+3 })
		c.Stop()
		c.Stop()
		if st := c.Stats(); st.Targets != 0 || st.InFlight != 0 {
			t.Fatalf("round %d: stats after Stop = %+v", round, st)
		}
		// Every goroutine is gone, so no probe can follow; that none does
		// over many intervals is TestChecker_Sync_StopAndDeregister.
		goroutinesBack(t, base)
	}
}

func TestChecker_WriteErrorRetried(t *testing.T) {
	srv := newSwitchServer(t, false)
	srv.code.Store(500)
	sink := newSink()
	sink.err = &cloudmap.Error{Code: cloudmap.ErrInstanceNotFound, Message: "gone"}
	c := start(t, newTargets(target("i-1", cloudmap.HealthCheckHTTP, srv.addr(), "", 1, cloudmap.Healthy)), sink, testConfig())
	waitFor(t, "failed writes", func() bool { return c.Stats().WriteErrors >= 2 })
	sink.mu.Lock()
	sink.err = nil
	sink.mu.Unlock()
	if got := sink.next(t); got.Status != cloudmap.Unhealthy {
		t.Errorf("status = %v, want UNHEALTHY", got.Status)
	}
}

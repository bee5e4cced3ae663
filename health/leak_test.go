package health_test

import (
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/health"
)

// TestChecker_BadTargetsLeakNothing probes unreachable, silent, slow, reset
// and garbage-speaking targets, then stops: every one is unhealthy, every
// connection the targets accepted is closed and the goroutine count is back
// to where it was.
func TestChecker_BadTargetsLeakNothing(t *testing.T) {
	refusedLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := refusedLn.Addr().String()
	refusedLn.Close()
	listeners := map[string]*connListener{
		"silent":  listen(t, silent),
		"garbage": listen(t, func(c net.Conn) { _, _ = c.Write([]byte("\x16\x03\x01garbage\r\n\r\n")); silent(c) }),
		"reset": listen(t, func(c net.Conn) {
			_ = c.(*net.TCPConn).SetLinger(0)
		}),
		"slow": listen(t, func(c net.Conn) {
			// One byte of the status line, then nothing.
			_, _ = c.Write([]byte("H"))
			silent(c)
		}),
		"endless": listen(t, func(c net.Conn) {
			_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nX: "))
			chunk := []byte(strings.Repeat("b", 1024))
			for {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}),
	}
	base := runtime.NumGoroutine()

	var list []cloudmap.HealthTarget
	for name, l := range listeners {
		for _, typ := range []cloudmap.HealthCheckType{cloudmap.HealthCheckHTTP, cloudmap.HealthCheckHTTPS} {
			list = append(list, target(name+"-"+string(typ), typ, l.addr(), "", 1, cloudmap.Healthy))
		}
	}
	list = append(list,
		target("refused-http", cloudmap.HealthCheckHTTP, refused, "", 1, cloudmap.Healthy),
		target("refused-tcp", cloudmap.HealthCheckTCP, refused, "", 1, cloudmap.Healthy))
	sink := newSink()
	cfg := testConfig()
	cfg.Concurrency = 4 // fewer slots than targets
	c := health.New(newTargets(list...), sink, cfg)
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every target unhealthy", func() bool { return len(sink.all()) == len(list) })
	waitFor(t, "probes keep running", func() bool { return c.Stats().Probes >= uint64(3*len(list)) })
	c.Stop()

	for _, cl := range sink.all() {
		if cl.Status != cloudmap.Unhealthy {
			t.Errorf("%s: status %v, want UNHEALTHY", cl.InstanceID, cl.Status)
		}
	}
	for name, l := range listeners {
		if l.accepted.Load() == 0 {
			t.Errorf("%s: no connection accepted", name)
		}
		waitFor(t, name+" connections closed", func() bool { return l.open() == 0 })
	}
	goroutinesBack(t, base)
	if st := c.Stats(); st.InFlight != 0 || st.Writes != uint64(len(list)) {
		t.Errorf("stats = %+v, want no probe in flight and %d writes", st, len(list))
	}
}

// TestChecker_StopDoesNotWaitForTimeouts stops while probes hang on
// targets with long timeouts: Stop returns once the probes are cancelled,
// and nothing is left behind.
func TestChecker_StopDoesNotWaitForTimeouts(t *testing.T) {
	l := listen(t, silent)
	base := runtime.NumGoroutine()
	cfg := testConfig()
	cfg.ResponseTimeout = time.Hour
	var list []cloudmap.HealthTarget
	for i := range 8 {
		list = append(list, target("i-"+itoa(uint16(i)), cloudmap.HealthCheckHTTP, l.addr(), "", 1, cloudmap.Healthy))
	}
	c := health.New(newTargets(list...), newSink(), cfg)
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "probes hanging", func() bool { return l.open() == 8 })
	c.Stop()
	waitFor(t, "connections closed", func() bool { return l.open() == 0 })
	goroutinesBack(t, base)
	if st := c.Stats(); st.Probes != 0 || st.Writes != 0 {
		t.Errorf("stats = %+v, want cancelled probes to record nothing", st)
	}
}

package connlimit_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/connlimit"
)

// server is an HTTP server on 127.0.0.1:0 behind a Limiter: "/" answers
// 200, "/block" waits until release is closed; refused requests get 503.
type server struct {
	lim     *connlimit.Limiter
	addr    string
	release chan struct{}
	blocked chan struct{}
}

func start(t *testing.T, cfg connlimit.Config) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{lim: connlimit.New(cfg), addr: ln.Addr().String(), release: make(chan struct{}), blocked: make(chan struct{}, 16)}
	hs := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := s.lim.Admit(r); err != nil {
				w.Header().Set("Connection", "close")
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, cloudmap.ErrorMessage(err))
				return
			}
			if r.URL.Path == "/block" {
				s.blocked <- struct{}{}
				<-s.release
			}
			io.WriteString(w, "ok")
		}),
		ConnState: s.lim.ConnState, ConnContext: s.lim.ConnContext,
	}
	go hs.Serve(s.lim.Listener(ln))
	t.Cleanup(func() {
		select {
		case <-s.release:
		default:
			close(s.release)
		}
		hs.Close()
	})
	return s
}

// client is one keep-alive connection from a loopback address.
type client struct {
	c  net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, s *server, from string) *client {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second)) // turns a hang into a failure
	return &client{c: c, br: bufio.NewReader(c)}
}

// get sends one request and returns the status and body.
func (c *client) get(t *testing.T, path string) (int, string, error) {
	t.Helper()
	if _, err := io.WriteString(c.c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return 0, "", err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// closed reports whether the server closed the connection.
func (c *client) closed() bool {
	_, err := c.br.ReadByte()
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

// idle opens n keep-alive connections from addr, each idle after one
// request. Each is counted idle by the server before the next is opened
// (the client reads its answer before the server marks it idle), so the
// connections went idle in the order of the slice.
func idle(t *testing.T, s *server, from string, n int) []*client {
	t.Helper()
	base := s.lim.Stats().Idle
	var cs []*client
	for range n {
		c := dial(t, s, from)
		if code, _, err := c.get(t, "/"); err != nil || code != 200 {
			t.Fatalf("keep-alive request: %d %v", code, err)
		}
		cs = append(cs, c)
		want := base + len(cs)
		waitFor(t, "idle connections", func() bool { return s.lim.Stats().Idle >= want })
	}
	return cs
}

// waitFor polls cond; the bound only turns a hang into a failure.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 4000 {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestLimiter_PerClient: one address holding its quota of idle connections
// gets a fast 503 naming the limit on the next one, which is closed; other
// addresses are served.
func TestLimiter_PerClient(t *testing.T) {
	s := start(t, connlimit.Config{PerClient: 8})
	idle(t, s, "127.0.0.1", 8)
	over := dial(t, s, "127.0.0.1")
	code, body, err := over.get(t, "/")
	if err != nil || code != 503 || !strings.Contains(body, "limit is 8 per client address") {
		t.Errorf("ninth connection: %d %q %v; want 503 naming the per-client limit", code, body, err)
	}
	if !over.closed() {
		t.Error("the refused connection stays open")
	}
	if code, _, err := dial(t, s, "127.0.0.2").get(t, "/"); err != nil || code != 200 {
		t.Errorf("another client: %d %v", code, err)
	}
	if st := s.lim.Stats(); st.Refused != 1 || st.Open != 9 {
		t.Errorf("stats %+v, want 1 refused and 9 open", st)
	}
}

// TestLimiter_IdleClosedFirstAtTheCap: at the total cap a new client is
// served by closing the connection idle the longest; the others stay.
func TestLimiter_IdleClosedFirstAtTheCap(t *testing.T) {
	s := start(t, connlimit.Config{Max: 4, PerClient: 100})
	cs := idle(t, s, "127.0.0.1", 4)
	if code, _, err := dial(t, s, "127.0.0.2").get(t, "/"); err != nil || code != 200 {
		t.Fatalf("a new client at the cap: %d %v", code, err)
	}
	if !cs[0].closed() {
		t.Error("the oldest idle connection was not closed")
	}
	if code, _, err := cs[3].get(t, "/"); err != nil || code != 200 {
		t.Errorf("the newest idle connection: %d %v, want it still served", code, err)
	}
	if st := s.lim.Stats(); st.IdleClosed != 1 {
		t.Errorf("stats %+v, want 1 idle connection closed", st)
	}
}

// TestLimiter_BusyServerAnswers503: when every connection has a request in
// progress, a new one gets 503 at once instead of waiting in the backlog.
func TestLimiter_BusyServerAnswers503(t *testing.T) {
	s := start(t, connlimit.Config{Max: 2})
	var wg sync.WaitGroup
	for range 2 {
		c := dial(t, s, "127.0.0.1")
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.get(t, "/block")
		}()
		<-s.blocked
	}
	code, body, err := dial(t, s, "127.0.0.3").get(t, "/")
	if err != nil || code != 503 || !strings.Contains(body, "limit of 2 connections") {
		t.Errorf("at the cap with no idle connection: %d %q %v; want 503", code, body, err)
	}
	close(s.release)
	wg.Wait()
}

// TestLimiter_ShortIdleTimeoutUnderPressure: from 3/4 of the cap, idle
// connections older than PressureIdle are closed when a new one arrives.
func TestLimiter_ShortIdleTimeoutUnderPressure(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	s := start(t, connlimit.Config{Max: 8, PerClient: 100, PressureIdle: 5 * time.Second, Now: clock})
	old := idle(t, s, "127.0.0.1", 6)
	mu.Lock()
	now = now.Add(6 * time.Second)
	mu.Unlock()
	if code, _, err := dial(t, s, "127.0.0.2").get(t, "/"); err != nil || code != 200 {
		t.Fatalf("new client: %d %v", code, err)
	}
	for i, c := range old {
		if !c.closed() {
			t.Errorf("idle connection %d (6 s idle, pressure timeout 5 s) kept", i)
		}
	}
	if st := s.lim.Stats(); st.IdleClosed != 6 {
		t.Errorf("stats %+v, want 6 idle connections closed", st)
	}
}

// TestLimiter_RefusingIsBounded: past MaxRefusing, connections over a cap
// are closed at accept without an answer, so refusing costs bounded memory.
func TestLimiter_RefusingIsBounded(t *testing.T) {
	s := start(t, connlimit.Config{PerClient: 1, MaxRefusing: 2})
	idle(t, s, "127.0.0.1", 1)
	held := []*client{dial(t, s, "127.0.0.1"), dial(t, s, "127.0.0.1")}
	waitFor(t, "two refusing", func() bool { return s.lim.Stats().Refusing == 2 })
	if third := dial(t, s, "127.0.0.1"); !third.closed() {
		t.Error("a third connection over the cap was held")
	}
	for _, c := range held {
		if code, _, err := c.get(t, "/"); err != nil || code != 503 {
			t.Errorf("held connection: %d %v, want 503", code, err)
		}
	}
}

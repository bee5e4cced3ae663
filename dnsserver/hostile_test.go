package dnsserver_test

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap/dnsserver"
)

// dialTCP opens a DNS TCP connection from the loopback address from; the
// deadline only turns a hang into a failure.
func dialTCP(t *testing.T, from, to string) *dns.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", to)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &dns.Conn{Conn: c}
}

// closedByServer reports whether the server closed c: a read sees EOF (or
// a reset) rather than data.
func closedByServer(c *dns.Conn) bool {
	_, err := c.Read(make([]byte, 1))
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

// ask sends one query on c and returns the answer.
func ask(t *testing.T, c *dns.Conn) *dns.Msg {
	t.Helper()
	if err := c.WriteMsg(query("web.example.local.", dns.TypeA)); err != nil {
		t.Fatal(err)
	}
	r, err := c.ReadMsg()
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	return r
}

// TestServer_TCPConnectionCaps (finding 7): idle DNS TCP connections are
// capped per client address and in total; one over a cap is closed when
// accepted, and other clients are still answered.
func TestServer_TCPConnectionCaps(t *testing.T) {
	f := newFixture(t)
	t.Run("per client", func(t *testing.T) {
		s := startServer(t, f.src, dnsserver.Config{TCPMaxConnectionsPerClient: 4})
		for range 4 {
			dialTCP(t, "127.0.0.1", s.TCPAddr().String())
		}
		if over := dialTCP(t, "127.0.0.1", s.TCPAddr().String()); !closedByServer(over) {
			t.Error("a fifth connection from one address was kept")
		}
		if r := ask(t, dialTCP(t, "127.0.0.2", s.TCPAddr().String())); r.Rcode != dns.RcodeSuccess || len(r.Answer) == 0 {
			t.Errorf("another client: %v", r)
		}
		if open, refused := s.TCPStats(); open != 5 || refused != 1 {
			t.Errorf("open %d refused %d, want 5 and 1", open, refused)
		}
	})
	t.Run("total", func(t *testing.T) {
		s := startServer(t, f.src, dnsserver.Config{TCPMaxConnections: 4})
		var first *dns.Conn
		for i := range 4 {
			c := dialTCP(t, "127.0.0.1", s.TCPAddr().String())
			if i == 0 {
				first = c
			}
		}
		if over := dialTCP(t, "127.0.0.3", s.TCPAddr().String()); !closedByServer(over) {
			t.Error("a connection over the total cap was kept")
		}
		first.Close()
		waitOpen(t, s, 3)
		if r := ask(t, dialTCP(t, "127.0.0.3", s.TCPAddr().String())); r.Rcode != dns.RcodeSuccess {
			t.Errorf("after one closed: %v", r)
		}
	})
}

func waitOpen(t *testing.T, s *dnsserver.Server, want int) {
	t.Helper()
	for range 2000 {
		if open, _ := s.TCPStats(); open == want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("open DNS TCP connections never reached %d", want)
}

// TestServer_TCPZeroLengthMessagesDoNotKeepAlive (finding 7): zero-length
// messages do not reset the idle timeout: a client that sends nothing
// else is disconnected.
func TestServer_TCPZeroLengthMessagesDoNotKeepAlive(t *testing.T) {
	f := newFixture(t)
	s := startServer(t, f.src, dnsserver.Config{TCPIdleTimeout: 200 * time.Millisecond, TCPMaxQueries: 1 << 20})
	c := dialTCP(t, "127.0.0.1", s.TCPAddr().String())
	ask(t, c)
	// Keep-alive attempts, well within the idle timeout of each other;
	// bounded in count so that the old behaviour fails instead of hanging.
	for i := 0; ; i++ {
		if i == 1000 {
			t.Fatal("the connection stayed open through 1000 zero-length messages")
		}
		if _, err := c.Conn.Write([]byte{0, 0}); err != nil {
			break // closed by the server
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitOpen(t, s, 0)
}

// TestServer_TCPQueriesPerConnection (finding 7): one connection carries a
// bounded number of messages; past it the server closes it.
func TestServer_TCPQueriesPerConnection(t *testing.T) {
	f := newFixture(t)
	s := startServer(t, f.src, dnsserver.Config{TCPMaxQueries: 3})
	c := dialTCP(t, "127.0.0.1", s.TCPAddr().String())
	for range 3 {
		ask(t, c)
	}
	c.WriteMsg(query("web.example.local.", dns.TypeA))
	if !closedByServer(c) {
		t.Error("a fourth query was answered on a connection limited to 3")
	}
}

// TestServer_UDPRateLimitOverSockets (finding 9): over UDP, a client
// network past its rate gets an empty truncated answer (no amplification:
// no bigger than the query), which sends a real client to TCP.
func TestServer_UDPRateLimitOverSockets(t *testing.T) {
	f := newFixture(t)
	now := time.Unix(1_700_000_000, 0)
	s := dnsserver.New(f.src, dnsserver.Config{Addr: "127.0.0.1:0", RateLimit: 2})
	s.SetClock(func() time.Time { return now })
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := &dns.Client{Net: "udp", Timeout: 10 * time.Second}
	q := query("web.example.local.", dns.TypeA)
	for i := range 3 {
		r, _, err := c.Exchange(q, s.UDPAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		if truncated := i == 2; r.Truncated != truncated || (truncated && len(r.Answer)+len(r.Ns)+len(r.Extra) != 0) {
			t.Errorf("query %d: TC %v with %d answers; want TC %v and, when truncated, nothing", i+1, r.Truncated, len(r.Answer), truncated)
		}
	}
	tcp := &dns.Client{Net: "tcp", Timeout: 10 * time.Second}
	if r, _, err := tcp.Exchange(q, s.TCPAddr().String()); err != nil || len(r.Answer) == 0 {
		t.Errorf("over TCP (never rate limited): %v %v", r, err)
	}
}

package dnsserver_test

// Rules of the sockets, logs and observer found unobserved by a mutation
// run (scripts/mutation.sh dnsserver).

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	cloudmap "github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/dnsserver"
	"github.com/cloudmap/cloudmap/internal/testkit"
)

// logBuffer is a log sink safe for the server's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func debugLogger(buf *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// panicSource is a Source with a bug: every zone lookup panics.
type panicSource struct{ dnsserver.Source }

func (panicSource) ZonesNamed(string) []*cloudmap.Namespace { panic("a bug in the view") }

// TestRule_AnswerPanicIsServfailAndLogged: a bug that panics while
// answering gets SERVFAIL for that query, and the panic goes to the
// configured logger.
func TestRule_AnswerPanicIsServfailAndLogged(t *testing.T) {
	var logs logBuffer
	s := dnsserver.New(panicSource{newFixture(t).src}, dnsserver.Config{Addr: "127.0.0.1:0", Logger: debugLogger(&logs)})
	p, _ := query("web.example.local.", dns.TypeA).Pack()
	var r dns.Msg
	if err := r.Unpack(s.HandlePacket(p, privateClient)); err != nil || r.Rcode != dns.RcodeServerFailure || r.Id != 4242 {
		t.Fatalf("reply %v (%v), want SERVFAIL for id 4242", r.MsgHdr, err)
	}
	if got := logs.String(); !strings.Contains(got, "dns answer panicked") || !strings.Contains(got, "a bug in the view") {
		t.Errorf("log = %q, want the panic", got)
	}
}

// TestRule_CloseWithoutStart: a server closed before it started closes
// without error.
func TestRule_CloseWithoutStart(t *testing.T) {
	s := dnsserver.New(newFixture(t).src, dnsserver.Config{Addr: "127.0.0.1:0"})
	if err := s.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
}

// elapsedRecorder keeps the observer's query lines and the longest time
// it was told a query took.
type elapsedRecorder struct {
	recorder
	mu  sync.Mutex
	max time.Duration
}

func (r *elapsedRecorder) Query(qtype uint16, rcode int, tcp, truncated bool, elapsed time.Duration) {
	r.recorder.Query(qtype, rcode, tcp, truncated, elapsed)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.max = max(r.max, elapsed)
}

// TestRule_ObserverOverTCP: over TCP the observer hears a query without a
// question (type 0, FORMERR), and the time a query took is measured from
// its arrival: never longer than the test has run.
func TestRule_ObserverOverTCP(t *testing.T) {
	began := time.Now()
	rec := &elapsedRecorder{}
	s := startServer(t, newFixture(t).src, dnsserver.Config{Observer: rec})
	c := dialTCP(t, "127.0.0.1", s.TCPAddr().String())
	empty := new(dns.Msg)
	empty.Id = 7
	if err := c.WriteMsg(empty); err != nil {
		t.Fatal(err)
	}
	r, err := c.ReadMsg()
	if err != nil || r.Rcode != dns.RcodeFormatError || r.Id != 7 {
		t.Fatalf("reply %v (%v), want FORMERR for id 7", r, err)
	}
	ask(t, c)
	rec.recorder.mu.Lock()
	got := fmt.Sprint(rec.queries)
	rec.recorder.mu.Unlock()
	if want := "[None FORMERR tcp=true tc=false A NOERROR tcp=true tc=false]"; got != want {
		t.Errorf("observed %s, want %s", got, want)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if ran := time.Since(began); rec.max > ran {
		t.Errorf("a query took %v by the observer, longer than the test's %v", rec.max, ran)
	}
}

// TestRule_AnsweredQueriesLogNothing: a query answered over UDP or TCP
// writes no log line, not even at debug level (a failed write does).
func TestRule_AnsweredQueriesLogNothing(t *testing.T) {
	var logs logBuffer
	s := startServer(t, newFixture(t).src, dnsserver.Config{Logger: debugLogger(&logs)})
	for _, proto := range []string{"udp", "tcp"} {
		if r := exchange(t, proto, s.UDPAddr().String(), query("web.example.local.", dns.TypeA)); len(r.Answer) != 2 {
			t.Fatalf("%s: %v", proto, r)
		}
	}
	if got := logs.String(); got != "" {
		t.Errorf("log = %q, want nothing", got)
	}
}

// TestRule_StartFailsNamingTheAddress: an address whose TCP port another
// listener holds fails Start with an error naming it, and leaves nothing
// bound.
func TestRule_StartFailsNamingTheAddress(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	addr := held.Addr().String()
	s := dnsserver.New(newFixture(t).src, dnsserver.Config{Addr: addr})
	err = s.Start()
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("Start = %v, want an error naming %s", err, addr)
	}
	if s.UDPAddr() != nil || s.TCPAddr() != nil {
		t.Errorf("after a failed Start: UDP %v, TCP %v bound", s.UDPAddr(), s.TCPAddr())
	}
}

// TestRule_PortZeroIsRetried: only an address without a port, or with port
// 0, lets the kernel pick and is retried when the picked port is taken for
// UDP; a given port is not.
func TestRule_PortZeroIsRetried(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:0": true, "127.0.0.1:": true, "[::1]:0": true,
		"127.0.0.1:5353": false, "127.0.0.1": false,
	} {
		if got := dnsserver.PortZero(addr); got != want {
			t.Errorf("PortZero(%q) = %v, want %v", addr, got, want)
		}
	}
}

// TestRule_UDPSockets: Start binds Config.UDPSockets UDP sockets where
// SO_REUSEPORT exists (one elsewhere), every one answering.
func TestRule_UDPSockets(t *testing.T) {
	for _, n := range []int{1, 3} {
		s := startServer(t, newFixture(t).src, dnsserver.Config{UDPSockets: n})
		want := n
		if !dnsserver.ReusePortSupported {
			want = 1
		}
		if got := s.UDPSocketCount(); got != want {
			t.Errorf("UDPSockets %d: %d sockets bound, want %d", n, got, want)
		}
	}
}

// TestRule_ObserverHearsUnreadablePackets: a UDP packet whose header reads
// but whose question does not gets FORMERR, and the observer hears it with
// type 0 (None), whatever bytes follow the header.
func TestRule_ObserverHearsUnreadablePackets(t *testing.T) {
	rec := &recorder{}
	s := dnsserver.New(newFixture(t).src, dnsserver.Config{Addr: "127.0.0.1:0", Observer: rec})
	header := func(qdcount byte) []byte { return []byte{0xAB, 0xCD, 0x01, 0, 0, qdcount, 0, 0, 0, 0, 0, 0} }
	packets := map[string][]byte{
		"a label running to the end":            append(header(1), "\x02ab"...),
		"a name and one byte of its type":       append(header(1), "\x01a\x00\x00"...),
		"no question, a question's bytes after": append(header(0), "\x00\x00\x01\x00\x01"...),
	}
	for name, p := range packets {
		rec.mu.Lock()
		rec.queries = nil
		rec.mu.Unlock()
		var r dns.Msg
		if err := r.Unpack(s.HandlePacket(p, privateClient)); err != nil || r.Rcode != dns.RcodeFormatError || r.Id != 0xABCD {
			t.Errorf("%s: reply %v (%v), want FORMERR", name, r.MsgHdr, err)
		}
		rec.mu.Lock()
		if got, want := fmt.Sprint(rec.queries), "[None FORMERR tcp=false tc=false]"; got != want {
			t.Errorf("%s: observed %s, want %s", name, got, want)
		}
		rec.mu.Unlock()
	}
}

// tryAsk sends one query on c and returns the answer or the error.
func tryAsk(c *dns.Conn) (*dns.Msg, error) {
	if err := c.WriteMsg(query("web.example.local.", dns.TypeA)); err != nil {
		return nil, err
	}
	return c.ReadMsg()
}

// TestRule_TCPPerClientCapFollowsCloses: a client's connections count
// against its cap while open and stop counting when closed; a client with
// none left is forgotten (a flood of distinct clients leaves nothing
// behind).
func TestRule_TCPPerClientCapFollowsCloses(t *testing.T) {
	s := startServer(t, newFixture(t).src, dnsserver.Config{TCPMaxConnectionsPerClient: 2})
	addr := s.TCPAddr().String()
	a, b := dialTCP(t, "127.0.0.1", addr), dialTCP(t, "127.0.0.1", addr)
	ask(t, a)
	ask(t, b)
	if r, err := tryAsk(dialTCP(t, "127.0.0.1", addr)); err == nil {
		t.Fatalf("a third connection was answered: %v", r)
	}
	a.Close()
	waitOpen(t, s, 1)
	c := dialTCP(t, "127.0.0.1", addr)
	ask(t, c)
	if r, err := tryAsk(dialTCP(t, "127.0.0.1", addr)); err == nil {
		t.Fatalf("a third connection after one closed and one opened was answered: %v", r)
	}
	if got := s.TCPClients(); got != 1 {
		t.Errorf("%d clients tracked with connections from one, want 1", got)
	}
	b.Close()
	c.Close()
	waitOpen(t, s, 0)
	if got := s.TCPClients(); got != 0 {
		t.Errorf("%d clients tracked with no connection open, want 0", got)
	}
}

// rawTCP writes one length-prefixed message on c.
func rawTCP(t *testing.T, c *dns.Conn, msg []byte) {
	t.Helper()
	b := binary.BigEndian.AppendUint16(nil, uint16(len(msg)))
	if _, err := c.Conn.Write(append(b, msg...)); err != nil {
		t.Fatal(err)
	}
}

// TestRule_TCPShortMessagesCountAsQueries: with TCPMaxQueries 2, a
// zero-length message and one query use up the connection: the next query
// is not answered, the connection is closed.
func TestRule_TCPShortMessagesCountAsQueries(t *testing.T) {
	s := startServer(t, newFixture(t).src, dnsserver.Config{TCPMaxQueries: 2})
	c := dialTCP(t, "127.0.0.1", s.TCPAddr().String())
	rawTCP(t, c, nil)
	ask(t, c)
	if r, err := tryAsk(c); err == nil {
		t.Errorf("a query after a zero-length message and a query was answered: %v", r)
	}
}

// TestRule_TCPHeaderOnlyQueryGetsFORMERR: over TCP a message of exactly a
// header (12 bytes, no question) is a query, answered FORMERR; only
// shorter ones are skipped.
func TestRule_TCPHeaderOnlyQueryGetsFORMERR(t *testing.T) {
	s := startServer(t, newFixture(t).src, dnsserver.Config{})
	c := dialTCP(t, "127.0.0.1", s.TCPAddr().String())
	rawTCP(t, c, []byte{0xAB, 0xCD, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	r, err := c.ReadMsg()
	if err != nil || r.Rcode != dns.RcodeFormatError || r.Id != 0xABCD {
		t.Fatalf("reply %v (%v), want FORMERR for id abcd", r, err)
	}
}

// TestRule_TCPListenerFailureIsLogged: when the TCP listener fails while
// the server runs, the error is logged: DNS over TCP has stopped.
func TestRule_TCPListenerFailureIsLogged(t *testing.T) {
	var logs logBuffer
	s := dnsserver.New(newFixture(t).src, dnsserver.Config{Addr: "127.0.0.1:0", Logger: debugLogger(&logs)})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CloseTCPListener(); err != nil {
		t.Fatal(err)
	}
	testkit.EventuallyTrue(t, "the TCP server's end logged", func() bool {
		return strings.Contains(logs.String(), "dns tcp server stopped")
	})
}

// TestRule_RateLimitOnTheRealClock: a rate-limited server made by New
// (the wall clock) answers a client's first query and, within a burst
// far faster than its rate of 1 a second, slips one.
func TestRule_RateLimitOnTheRealClock(t *testing.T) {
	s := dnsserver.New(newFixture(t).src, dnsserver.Config{Addr: "127.0.0.1:0", RateLimit: 1})
	p, _ := query("web.example.local.", dns.TypeA).Pack()
	client := netip.MustParseAddr("10.9.9.9")
	var first dns.Msg
	if err := first.Unpack(s.HandlePacket(p, client)); err != nil || first.Truncated || len(first.Answer) != 2 {
		t.Fatalf("first query: %v (%v), want the answer", first, err)
	}
	for range 1000 {
		if b := s.HandlePacket(p, client); b != nil {
			var r dns.Msg
			if err := r.Unpack(b); err == nil && r.Truncated {
				return
			}
		}
	}
	t.Error("1000 queries at once, and none was slipped at a rate of 1 a second")
}

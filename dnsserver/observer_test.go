package dnsserver_test

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap/dnsserver"
)

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu      sync.Mutex
	queries []string
	limited []bool
}

func (r *recorder) Query(qtype uint16, rcode int, tcp, truncated bool, elapsed time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if elapsed < 0 {
		panic("negative latency")
	}
	r.queries = append(r.queries, fmt.Sprintf("%s %s tcp=%v tc=%v", dns.TypeToString[qtype], dns.RcodeToString[rcode], tcp, truncated))
}

func (r *recorder) RateLimited(slip bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.limited = append(r.limited, slip)
}

// TestServer_observer: the observer hears every answered query with its
// type, rcode, transport and truncation, and every rate-limited one.
func TestServer_observer(t *testing.T) {
	f := newFixture(t)
	rec := &recorder{}
	now := time.Unix(1_700_000_000, 0)
	s := dnsserver.New(f.src, dnsserver.Config{Addr: "127.0.0.1:0", RateLimit: 1, Observer: rec})
	s.SetClock(func() time.Time { return now })
	client := netip.MustParseAddr("10.0.0.7")
	pack := func(name string, qtype uint16) []byte {
		p, err := query(name, qtype).Pack()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	s.HandlePacket(pack("web.example.local.", dns.TypeA), client) // answered
	s.HandlePacket(pack("web.example.local.", dns.TypeA), client) // over the rate: slipped
	s.HandlePacket(pack("web.example.local.", dns.TypeA), client) // dropped
	now = now.Add(time.Second)
	s.HandlePacket(pack("nothere.example.local.", dns.TypeAAAA), client) // NXDOMAIN
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &dns.Client{Net: "tcp", Timeout: 5 * time.Second}
	if _, _, err := c.Exchange(query("web.example.local.", dns.TypeSRV), s.TCPAddr().String()); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	want := fmt.Sprint([]string{"A NOERROR tcp=false tc=false", "AAAA NXDOMAIN tcp=false tc=false", "SRV NOERROR tcp=true tc=false"})
	if got := fmt.Sprint(rec.queries); got != want {
		t.Errorf("queries %s, want %s", got, want)
	}
	if got := fmt.Sprint(rec.limited); got != "[true false]" {
		t.Errorf("rate limited %s, want [true false] (a slip, then a drop)", got)
	}
}

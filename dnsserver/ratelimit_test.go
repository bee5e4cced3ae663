package dnsserver_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap/dnsserver"
)

// TestServer_rateLimit: with RateLimit 5 a client network (IPv4 /24, IPv6
// /56) gets 5 answers a second;
// above that every second query gets an empty TC=1 reply (the slip) and the
// others silence. Other clients are not affected, and tokens come back.
func TestServer_rateLimit(t *testing.T) {
	f := newFixture(t)
	now := time.Unix(1_700_000_000, 0)
	s := dnsserver.New(f.src, dnsserver.Config{Addr: "127.0.0.1:0", RateLimit: 5})
	s.SetClock(func() time.Time { return now })
	p, err := query("web.example.local.", dns.TypeA).Pack()
	if err != nil {
		t.Fatal(err)
	}
	count := func(client netip.Addr, n int) (answered, slipped, dropped int) {
		for range n {
			b := s.HandlePacket(p, client)
			if b == nil {
				dropped++
				continue
			}
			var r dns.Msg
			if err := r.Unpack(b); err != nil {
				t.Fatal(err)
			}
			if r.Truncated {
				slipped++
			} else {
				answered++
			}
		}
		return
	}
	a, b := netip.MustParseAddr("10.0.0.7"), netip.MustParseAddr("10.0.1.8")
	sameNet := netip.MustParseAddr("10.0.0.200")                                                                                         // a's /24
	v6, v6same, v6other := netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00:0:0:ff::9"), netip.MustParseAddr("fd00:0:0:100::1") // /56
	tests := []struct {
		name                       string
		client                     netip.Addr
		advance                    time.Duration
		n                          int
		answered, slipped, dropped int
	}{
		{"burst", a, 0, 15, 5, 5, 5},
		{"other network", b, 0, 5, 5, 0, 0},
		{"same /24 shares the bucket", sameNet, 0, 2, 0, 1, 1},
		{"IPv6 burst", v6, 0, 6, 5, 1, 0},
		{"same IPv6 /56 shares the bucket", v6same, 0, 2, 0, 1, 1},
		{"other IPv6 /56", v6other, 0, 5, 5, 0, 0},
		{"half a second later", a, 500 * time.Millisecond, 3, 2, 1, 0},
		{"two seconds later", a, 2 * time.Second, 5, 5, 0, 0},
	}
	for _, tc := range tests {
		now = now.Add(tc.advance)
		ans, sl, dr := count(tc.client, tc.n)
		if ans != tc.answered || sl != tc.slipped || dr != tc.dropped {
			t.Errorf("%s: answered %d slipped %d dropped %d, want %d %d %d", tc.name, ans, sl, dr,
				tc.answered, tc.slipped, tc.dropped)
		}
	}
}

func TestServer_rateLimitOffByDefault(t *testing.T) {
	f := newFixture(t)
	s := newServer(t, f.src)
	p, _ := query("web.example.local.", dns.TypeA).Pack()
	for i := range 1000 {
		if s.HandlePacket(p, privateClient) == nil {
			t.Fatalf("query %d dropped without a rate limit", i)
		}
	}
}

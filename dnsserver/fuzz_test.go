package dnsserver_test

import (
	"net/netip"
	"testing"

	"github.com/miekg/dns"
)

func fuzzSeeds(f *testing.F) {
	for _, q := range []*dns.Msg{
		query("web.example.local.", dns.TypeA), query("api.example.local.", dns.TypeSRV),
		query("_tcp.example.local.", dns.TypeANY), query("nope.example.com.", dns.TypeAAAA),
		query("example.local.", dns.TypeAXFR), query("cn.example.local.", dns.TypeA),
	} {
		b, _ := q.Pack()
		f.Add(b)
		q.SetEdns0(4096, true)
		b, _ = q.Pack()
		f.Add(b)
	}
	f.Add([]byte{0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1})
	f.Add([]byte{1, 2, 3})
}

// FuzzServe feeds random packets to the UDP path: never a panic; any reply
// is a well-formed response to the packet's ID that fits 512 bytes unless
// the query advertised more.
func FuzzServe(f *testing.F) {
	fuzzSeeds(f)
	fx := newFixture(f)
	s := newServer(f, fx.src)
	f.Fuzz(func(t *testing.T, p []byte) {
		b := s.HandlePacket(p, privateClient)
		if b == nil {
			return
		}
		var r dns.Msg
		if err := r.Unpack(b); err != nil {
			t.Fatalf("reply does not unpack: %v", err)
		}
		if !r.Response || r.Id != uint16(p[0])<<8|uint16(p[1]) {
			t.Fatalf("reply header %+v for packet %x", r.MsgHdr, p)
		}
		if len(b) > 4096 {
			t.Fatalf("UDP reply of %d bytes", len(b))
		}
	})
}

// FuzzAnswer unpacks random bytes and gives what unpacks to Answer, as a
// private and as a public client, over UDP and TCP limits: never a panic,
// and the reply packs and fits.
func FuzzAnswer(f *testing.F) {
	fuzzSeeds(f)
	fx := newFixture(f)
	s := newServer(f, fx.src)
	clients := []netip.Addr{privateClient, publicClient}
	f.Fuzz(func(t *testing.T, p []byte) {
		var q dns.Msg
		if q.Unpack(p) != nil {
			return
		}
		for _, c := range clients {
			for _, limit := range []int{512, 0} {
				r := s.Answer(&q, c, limit)
				if r == nil {
					if !q.Response {
						t.Fatal("no reply to a query")
					}
					continue
				}
				b, err := r.Pack()
				if err != nil {
					t.Fatalf("reply does not pack: %v\n%v", err, r)
				}
				if limit > 0 && len(b) > limit {
					t.Fatalf("reply of %d bytes, limit %d", len(b), limit)
				}
			}
		}
	})
}

package dnsserver_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/miekg/dns"

	cloudmap "github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/dnsserver"
	"github.com/cloudmap/cloudmap/dnsserver/dnstest"
)

// putLongSRV registers a MULTIVALUE SRV service whose 8-record answer is
// about 700 bytes even compressed.
func putLongSRV(f *fixture) string {
	name := "long-service-name-for-truncation"
	svc := dnstest.Service(f.local, name, cloudmap.RoutingMultivalue, "SRV", 30)
	var ins []cloudmap.InstanceEntry
	for i := range 8 {
		id := fmt.Sprintf("%d-%s", i, strings.Repeat("x", 60))
		ins = append(ins, dnstest.Instance(id, cloudmap.Unknown, cloudmap.AttrIPv4, "10.40.0.1", cloudmap.AttrPort, "443"))
	}
	f.src.PutService(dnstest.Entry(f.local, svc, ins...))
	return name + ".example.local."
}

// TestServer_Answer_sizes: without EDNS0 a UDP reply is at most 512 bytes;
// with EDNS0 the client's size (at least 512) applies and the reply has an
// OPT record. A reply that does not fit has TC set and empty answer and
// authority sections (no partial RRsets, RFC 2181 section 9); TCP gets all.
func TestServer_Answer_sizes(t *testing.T) {
	f := newFixture(t)
	s := newServer(t, f.src)
	long := putLongSRV(f)
	tests := []struct {
		name      string
		qname     string
		edns      uint16 // 0: no OPT
		do        bool
		tcp       bool
		truncated bool
		answers   int
	}{
		{"small no EDNS", "api.example.local.", 0, false, false, false, 2},
		{"long no EDNS", long, 0, false, false, true, 0},
		{"long EDNS 4096", long, 4096, false, false, false, 8},
		{"long EDNS 1232 DO", long, 1232, true, false, false, 8},
		{"long EDNS 100 counts as 512", long, 100, false, false, true, 0},
		{"long EDNS 600", long, 600, false, false, true, 0},
		{"long TCP", long, 0, false, true, false, 8},
		{"long TCP EDNS", long, 512, false, true, false, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := query(tc.qname, dns.TypeSRV)
			if tc.edns != 0 {
				q.SetEdns0(tc.edns, tc.do)
			}
			limit := dnsserver.UDPSize(q)
			if tc.tcp {
				limit = 0
			}
			r := s.Answer(q, privateClient, limit)
			if r.Truncated != tc.truncated || len(r.Answer) != tc.answers || len(r.Ns) != 0 {
				t.Errorf("TC %v, %d answers, %d authority; want TC %v, %d answers", r.Truncated,
					len(r.Answer), len(r.Ns), tc.truncated, tc.answers)
			}
			b, err := r.Pack()
			if err != nil {
				t.Fatal(err)
			}
			if limit > 0 && len(b) > limit {
				t.Errorf("packed %d bytes, limit %d", len(b), limit)
			}
			opt := r.IsEdns0()
			if (opt != nil) != (tc.edns != 0) {
				t.Fatalf("OPT in reply = %v, query had EDNS %v", opt != nil, tc.edns != 0)
			}
			if opt != nil && (opt.UDPSize() != 1232 || opt.Do() != tc.do || opt.Version() != 0) {
				t.Errorf("OPT = %v", opt)
			}
		})
	}
}

package dnsserver_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/miekg/dns"

	cloudmap "github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/dnsserver"
	"github.com/cloudmap/cloudmap/dnsserver/dnstest"
	"github.com/cloudmap/cloudmap/metrics"
)

// benchQueries builds 10,000 MULTIVALUE A services of 10 instances each
// (100,000 instances) and one packed query per service.
func benchQueries(b *testing.B) (*dnstest.Source, [][]byte) {
	src := dnstest.New()
	ns := dnstest.Namespace("ns-bench", "bench.local", cloudmap.NamespaceDNSPrivate, 60)
	src.PutNamespace(ns)
	var qs [][]byte
	for i := range 10_000 {
		svc := dnstest.Service(ns, fmt.Sprintf("svc-%05d", i), cloudmap.RoutingMultivalue, "A", 60)
		var ins []cloudmap.InstanceEntry
		for j := range 10 {
			ip := netip.AddrFrom4([4]byte{10, byte(i / 250), byte(j), byte(i % 250)})
			ins = append(ins, dnstest.Instance(fmt.Sprintf("i-%d", j), cloudmap.Unknown, cloudmap.AttrIPv4, ip.String()))
		}
		src.PutService(dnstest.Entry(ns, svc, ins...))
		p, _ := query(svc.Name+".bench.local.", dns.TypeA).Pack()
		qs = append(qs, p)
	}
	return src, qs
}

// BenchmarkServer_Answer measures Answer alone (8 of 10 A records).
func BenchmarkServer_Answer(b *testing.B) {
	src, qs := benchQueries(b)
	s := newServer(b, src)
	msgs := make([]*dns.Msg, len(qs))
	for i, p := range qs {
		msgs[i] = new(dns.Msg)
		msgs[i].Unpack(p)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if r := s.Answer(msgs[i%len(msgs)], privateClient, 512); len(r.Answer) != 8 {
			b.Fatalf("%d answers", len(r.Answer))
		}
	}
}

// BenchmarkServer_packet measures the whole UDP path without the socket:
// unpack, Answer, pack.
func BenchmarkServer_packet(b *testing.B) {
	src, qs := benchQueries(b)
	s := newServer(b, src)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if s.HandlePacket(qs[i%len(qs)], privateClient) == nil {
			b.Fatal("no reply")
		}
	}
}

// BenchmarkServer_packetMetrics is BenchmarkServer_packet with the
// Prometheus metrics observing every query (what metrics cost per query).
func BenchmarkServer_packetMetrics(b *testing.B) {
	src, qs := benchQueries(b)
	s := dnsserver.New(src, dnsserver.Config{Addr: "127.0.0.1:0", Observer: metrics.New("bench").DNS})
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if s.HandlePacket(qs[i%len(qs)], privateClient) == nil {
			b.Fatal("no reply")
		}
	}
}

// BenchmarkTrivialPacket is the same path for a fixed 8-record answer
// (unpack, reply, pack): the floor the packet benchmark compares with.
func BenchmarkTrivialPacket(b *testing.B) {
	_, qs := benchQueries(b)
	answer := make([]dns.RR, 8)
	for i := range answer {
		answer[i] = rr(fmt.Sprintf("svc.bench.local. 60 IN A 10.0.0.%d", i+1))
	}
	out := make([]byte, 65535)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		var q dns.Msg
		if err := q.Unpack(qs[i%len(qs)]); err != nil {
			b.Fatal(err)
		}
		m := new(dns.Msg)
		m.SetReply(&q)
		m.Answer = answer
		if _, err := m.PackBuffer(out); err != nil {
			b.Fatal(err)
		}
	}
}

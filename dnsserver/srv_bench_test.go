package dnsserver_test

import (
	"fmt"
	"testing"

	"github.com/miekg/dns"

	cloudmap "github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/dnsserver"
	"github.com/cloudmap/cloudmap/dnsserver/dnstest"
)

// BenchmarkServer_AnswerSRV measures an SRV answer of 8 of 10 instances,
// with the targets' A records in the additional section, over UDP 1232.
func BenchmarkServer_AnswerSRV(b *testing.B) {
	src := dnstest.New()
	ns := dnstest.Namespace("ns-bench", "bench.local", cloudmap.NamespaceDNSPrivate, 60)
	src.PutNamespace(ns)
	var msgs []*dns.Msg
	for i := range 1000 {
		svc := dnstest.Service(ns, fmt.Sprintf("svc-%04d", i), cloudmap.RoutingMultivalue, "SRV", 60)
		var ins []cloudmap.InstanceEntry
		for j := range 10 {
			ins = append(ins, dnstest.Instance(fmt.Sprintf("i-%d", j), cloudmap.Unknown,
				cloudmap.AttrIPv4, fmt.Sprintf("10.%d.%d.%d", i/250, j, i%250), cloudmap.AttrPort, "80"))
		}
		src.PutService(dnstest.Entry(ns, svc, ins...))
		q := query(svc.Name+".bench.local.", dns.TypeSRV)
		q.SetEdns0(1232, false)
		msgs = append(msgs, q)
	}
	s := newServer(b, src)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if r := s.Answer(msgs[i%len(msgs)], privateClient, 1232); len(r.Answer) != 8 {
			b.Fatalf("%d answers", len(r.Answer))
		}
	}
}

// BenchmarkRecordSets measures listing a zone of 1,000 services with 10
// instances each (A records; what ListResourceRecordSets and
// ResourceRecordSetCount cost per call).
func BenchmarkRecordSets(b *testing.B) {
	src := dnstest.New()
	ns := dnstest.Namespace("ns-bench", "bench.local", cloudmap.NamespaceDNSPrivate, 60)
	src.PutNamespace(ns)
	for i := range 1000 {
		svc := dnstest.Service(ns, fmt.Sprintf("svc-%04d", i), cloudmap.RoutingMultivalue, "A", 60)
		var ins []cloudmap.InstanceEntry
		for j := range 10 {
			ins = append(ins, dnstest.Instance(fmt.Sprintf("i-%d", j), cloudmap.Unknown,
				cloudmap.AttrIPv4, fmt.Sprintf("10.%d.%d.%d", i/250, j, i%250)))
		}
		src.PutService(dnstest.Entry(ns, svc, ins...))
	}
	b.Run("list", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if n := len(dnsserver.RecordSets(src, ns, nil)); n != 10_002 {
				b.Fatalf("%d record sets", n)
			}
		}
	})
	b.Run("count", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if n := dnsserver.CountRecordSets(src, ns, nil); n != 10_002 {
				b.Fatalf("%d record sets", n)
			}
		}
	})
}

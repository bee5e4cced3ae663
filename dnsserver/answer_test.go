package dnsserver_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/miekg/dns"
)

// answerCase is one question and the whole expected reply, CoreDNS style.
type answerCase struct {
	qname  string
	qtype  uint16
	client netip.Addr // privateClient when zero
	rcode  int
	aa     bool
	answer []dns.RR
	ns     []dns.RR
}

func TestServer_Answer(t *testing.T) {
	f := newFixture(t)
	s := newServer(t, f.src)
	local := func(owner string) dns.RR { return f.soa(owner, f.local, 30) }
	tests := []answerCase{
		// Records per DnsConfig, TTL per record, owner spelled like the question.
		{qname: "web.example.local.", qtype: dns.TypeA, aa: true, answer: []dns.RR{
			rr("web.example.local. 60 IN A 10.0.0.1"), rr("web.example.local. 60 IN A 10.0.0.2")}},
		{qname: "web.example.local.", qtype: dns.TypeAAAA, aa: true, answer: []dns.RR{
			rr("web.example.local. 120 IN AAAA fd00::1")}},
		{qname: "WEB.Example.LOCAL.", qtype: dns.TypeA, aa: true, answer: []dns.RR{
			rr("WEB.Example.LOCAL. 60 IN A 10.0.0.1"), rr("WEB.Example.LOCAL. 60 IN A 10.0.0.2")}},
		{qname: "api.example.local.", qtype: dns.TypeSRV, aa: true, answer: []dns.RR{
			rr("api.example.local. 30 IN SRV 1 1 8080 api-1.api.example.local."),
			rr("api.example.local. 30 IN SRV 1 1 8081 api-2.api.example.local.")}},
		// SRV targets answer A/AAAA from the instance, with the SRV TTL.
		{qname: "api-1.api.example.local.", qtype: dns.TypeA, aa: true, answer: []dns.RR{
			rr("api-1.api.example.local. 30 IN A 10.0.1.1")}},
		{qname: "API-2.api.example.local.", qtype: dns.TypeAAAA, aa: true, answer: []dns.RR{
			rr("API-2.api.example.local. 30 IN AAAA fd00::2")}},
		{qname: "api-1.api.example.local.", qtype: dns.TypeAAAA, aa: true, ns: []dns.RR{local("example.local.")}},
		{qname: "api-9.api.example.local.", qtype: dns.TypeA, aa: true, rcode: dns.RcodeNameError, ns: []dns.RR{local("example.local.")}},
		// With A configured too, the target's A carries the A TTL.
		{qname: "b-1.both.example.local.", qtype: dns.TypeA, aa: true, answer: []dns.RR{
			rr("b-1.both.example.local. 40 IN A 10.0.2.1")}},
		{qname: "both.example.local.", qtype: dns.TypeSRV, aa: true, answer: []dns.RR{
			rr("both.example.local. 50 IN SRV 1 1 9000 b-1.both.example.local.")}},
		// HAProxy-style names and the empty non-terminal above them.
		{qname: "_http._tcp.example.local.", qtype: dns.TypeSRV, aa: true, answer: []dns.RR{
			rr("_http._tcp.example.local. 10 IN SRV 1 1 80 h-1._http._tcp.example.local.")}},
		{qname: "h-1._http._tcp.example.local.", qtype: dns.TypeA, aa: true, answer: []dns.RR{
			rr("h-1._http._tcp.example.local. 10 IN A 10.0.3.1")}},
		{qname: "_tcp.example.local.", qtype: dns.TypeSRV, aa: true, ns: []dns.RR{local("example.local.")}},
		{qname: "_udp.example.local.", qtype: dns.TypeSRV, aa: true, rcode: dns.RcodeNameError, ns: []dns.RR{local("example.local.")}},
		// CNAME answers every type with the one record, without chasing.
		{qname: "cn.example.local.", qtype: dns.TypeCNAME, aa: true, answer: []dns.RR{
			rr("cn.example.local. 300 IN CNAME backend.example.org.")}},
		{qname: "cn.example.local.", qtype: dns.TypeA, aa: true, answer: []dns.RR{
			rr("cn.example.local. 300 IN CNAME backend.example.org.")}},
		// NODATA for existing names without the type; NXDOMAIN otherwise.
		{qname: "web.example.local.", qtype: dns.TypeSRV, aa: true, ns: []dns.RR{local("example.local.")}},
		{qname: "web.example.local.", qtype: dns.TypeTXT, aa: true, ns: []dns.RR{local("example.local.")}},
		{qname: "api.example.local.", qtype: dns.TypeA, aa: true, ns: []dns.RR{local("example.local.")}},
		{qname: "nope.example.local.", qtype: dns.TypeA, aa: true, rcode: dns.RcodeNameError, ns: []dns.RR{local("example.local.")}},
		{qname: "Nope.EXAMPLE.local.", qtype: dns.TypeA, aa: true, rcode: dns.RcodeNameError, ns: []dns.RR{local("EXAMPLE.local.")}},
		{qname: "a.b.c.web.example.local.", qtype: dns.TypeA, aa: true, rcode: dns.RcodeNameError, ns: []dns.RR{local("example.local.")}},
		// A service without instances has no record set, an HTTP service none at all.
		{qname: "empty.example.local.", qtype: dns.TypeA, aa: true, rcode: dns.RcodeNameError, ns: []dns.RR{local("example.local.")}},
		{qname: "httpsvc.example.local.", qtype: dns.TypeA, aa: true, rcode: dns.RcodeNameError, ns: []dns.RR{local("example.local.")}},
		// Health. Cloud Map guide, "AWS Cloud Map service DNS configuration"
		// (https://docs.aws.amazon.com/cloud-map/latest/dg/services-route53.html):
		// WEIGHTED returns one random healthy instance, "If no instances are
		// healthy, Route 53 responds to DNS queries as if all the instances
		// were healthy"; MULTIVALUE returns up to eight healthy instances.
		// Route 53, "Multivalue answer routing"
		// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy-multivalue.html)
		// and the ResourceRecordSet.MultiValueAnswer reference: "When all
		// records are unhealthy, Route 53 responds to DNS queries with up to
		// eight unhealthy records."
		{qname: "mvhealth.example.local.", qtype: dns.TypeA, aa: true, answer: []dns.RR{
			rr("mvhealth.example.local. 5 IN A 10.0.4.1")}},
		{qname: "mvdead.example.local.", qtype: dns.TypeA, aa: true, answer: []dns.RR{
			rr("mvdead.example.local. 5 IN A 10.0.5.1"), rr("mvdead.example.local. 5 IN A 10.0.5.2"),
			rr("mvdead.example.local. 5 IN A 10.0.5.3")}},
		{qname: "whealth.example.local.", qtype: dns.TypeA, aa: true, answer: []dns.RR{
			rr("whealth.example.local. 7 IN A 10.0.6.2")}},
		{qname: "wdead.example.local.", qtype: dns.TypeA, aa: true, answer: []dns.RR{
			rr("wdead.example.local. 7 IN A 10.0.7.1")}},
		// The apex: SOA, NS, NODATA; ANY gets one record set (RFC 8482).
		{qname: "example.local.", qtype: dns.TypeSOA, aa: true, answer: []dns.RR{local("example.local.")}},
		{qname: "Example.Local.", qtype: dns.TypeNS, aa: true, answer: []dns.RR{
			rr("Example.Local. 172800 IN NS ns-1.cloudmap.invalid.")}},
		{qname: "example.local.", qtype: dns.TypeA, aa: true, ns: []dns.RR{local("example.local.")}},
		{qname: "example.local.", qtype: dns.TypeANY, aa: true, answer: []dns.RR{local("example.local.")}},
		{qname: "both.example.local.", qtype: dns.TypeANY, aa: true, answer: []dns.RR{
			rr("both.example.local. 40 IN A 10.0.2.1")}},
		// Negative TTL = min(SOA TTL, SOA MINIMUM) (RFC 2308 section 3).
		{qname: "example.com.", qtype: dns.TypeSOA, aa: true, client: publicClient, answer: []dns.RR{f.soa("example.com.", f.com, 100000)}},
		{qname: "nope.example.com.", qtype: dns.TypeA, aa: true, client: publicClient, rcode: dns.RcodeNameError,
			ns: []dns.RR{f.soa("example.com.", f.com, 86400)}},
		// Outside every namespace, HTTP namespaces, and private ones for public clients: REFUSED.
		{qname: "www.example.org.", qtype: dns.TypeA, rcode: dns.RcodeRefused},
		{qname: "http.local.", qtype: dns.TypeSOA, rcode: dns.RcodeRefused},
		{qname: ".", qtype: dns.TypeNS, rcode: dns.RcodeRefused},
		{qname: "web.example.local.", qtype: dns.TypeA, client: publicClient, rcode: dns.RcodeRefused},
		// Visibility: public namespaces for everyone; a shared name resolves
		// to the private namespace for private clients.
		{qname: "www.example.com.", qtype: dns.TypeA, aa: true, client: publicClient, answer: []dns.RR{
			rr("www.example.com. 60 IN A 192.0.2.1")}},
		{qname: "www.example.com.", qtype: dns.TypeA, aa: true, answer: []dns.RR{
			rr("www.example.com. 60 IN A 192.0.2.1")}},
		{qname: "app.shared.test.", qtype: dns.TypeA, aa: true, answer: []dns.RR{
			rr("app.shared.test. 60 IN A 10.10.0.1")}},
		{qname: "app.shared.test.", qtype: dns.TypeA, aa: true, client: netip.MustParseAddr("::1"), answer: []dns.RR{
			rr("app.shared.test. 60 IN A 10.10.0.1")}},
		{qname: "app.shared.test.", qtype: dns.TypeA, aa: true, client: publicClient, answer: []dns.RR{
			rr("app.shared.test. 60 IN A 198.51.100.1")}},
		{qname: "shared.test.", qtype: dns.TypeSOA, aa: true, client: publicClient, answer: []dns.RR{f.soa("shared.test.", f.shPub, 20)}},
		// Protocol: no zone transfers; classes other than IN are not implemented.
		{qname: "example.local.", qtype: dns.TypeAXFR, rcode: dns.RcodeRefused},
		{qname: "example.local.", qtype: dns.TypeIXFR, rcode: dns.RcodeRefused},
		{qname: "example.local.", qtype: dns.TypeOPT, rcode: dns.RcodeFormatError},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%s", tc.qname, dns.TypeToString[tc.qtype]), func(t *testing.T) {
			client := tc.client
			if !client.IsValid() {
				client = privateClient
			}
			q := query(tc.qname, tc.qtype)
			r := s.Answer(q, client, 0)
			checkReply(t, q, r, tc)
		})
	}
}

// checkReply compares a reply with a case, and the header invariants of
// every reply: same ID and question, QR set, RD copied, RA never set.
func checkReply(t *testing.T, q, r *dns.Msg, tc answerCase) {
	t.Helper()
	if r == nil {
		t.Fatal("no reply")
	}
	if got, want := r.Rcode, tc.rcode; got != want {
		t.Errorf("rcode = %s, want %s", dns.RcodeToString[got], dns.RcodeToString[want])
	}
	if got, want := r.Authoritative, tc.aa; got != want {
		t.Errorf("AA = %v, want %v", got, want)
	}
	if r.Id != q.Id || !r.Response || r.RecursionAvailable || r.RecursionDesired != q.RecursionDesired {
		t.Errorf("header: id %d qr %v ra %v rd %v; query id %d rd %v", r.Id, r.Response,
			r.RecursionAvailable, r.RecursionDesired, q.Id, q.RecursionDesired)
	}
	if len(r.Question) != 1 || r.Question[0] != q.Question[0] {
		t.Errorf("question = %v, want %v", r.Question, q.Question)
	}
	if got, want := fmt.Sprint(rrStrings(r.Answer)), fmt.Sprint(rrStrings(tc.answer)); got != want {
		t.Errorf("answer:\n got %s\nwant %s", got, want)
	}
	if got, want := fmt.Sprint(rrStrings(r.Ns)), fmt.Sprint(rrStrings(tc.ns)); got != want {
		t.Errorf("authority:\n got %s\nwant %s", got, want)
	}
}

func TestServer_Answer_protocol(t *testing.T) {
	f := newFixture(t)
	s := newServer(t, f.src)
	q := query("web.example.local.", dns.TypeA)
	tests := []struct {
		name   string
		mutate func(q *dns.Msg)
		rcode  int
	}{
		{"two questions", func(q *dns.Msg) { q.Question = append(q.Question, q.Question[0]) }, dns.RcodeFormatError},
		{"no question", func(q *dns.Msg) { q.Question = nil }, dns.RcodeFormatError},
		// RFC 6891 section 6.1.1: more than one OPT record is FORMERR.
		{"two OPT records", func(q *dns.Msg) { q.SetEdns0(1232, false); q.Extra = append(q.Extra, q.Extra[0]) }, dns.RcodeFormatError},
		// RFC 1035 section 4.1.2: a question has a type and a class.
		{"question without type and class", func(q *dns.Msg) { q.Question[0].Qtype, q.Question[0].Qclass = 0, 0 }, dns.RcodeFormatError},
		{"opcode STATUS", func(q *dns.Msg) { q.Opcode = dns.OpcodeStatus }, dns.RcodeNotImplemented},
		{"opcode UPDATE", func(q *dns.Msg) { q.Opcode = dns.OpcodeUpdate }, dns.RcodeNotImplemented},
		{"class CHAOS", func(q *dns.Msg) { q.Question[0].Qclass = dns.ClassCHAOS }, dns.RcodeNotImplemented},
		{"class ANY", func(q *dns.Msg) { q.Question[0].Qclass = dns.ClassANY }, dns.RcodeNotImplemented},
		{"EDNS version 1", func(q *dns.Msg) { q.SetEdns0(1232, false); q.Extra[0].(*dns.OPT).SetVersion(1) }, dns.RcodeBadVers},
		{"RD clear", func(q *dns.Msg) { q.RecursionDesired = false }, dns.RcodeSuccess},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := q.Copy()
			tc.mutate(q)
			r := s.Answer(q, privateClient, 512)
			if r == nil {
				t.Fatal("no reply")
			}
			if got, want := r.Rcode, tc.rcode; got != want {
				t.Errorf("rcode = %s, want %s", dns.RcodeToString[got], dns.RcodeToString[want])
			}
			if r.Id != q.Id || !r.Response || r.RecursionAvailable || r.RecursionDesired != q.RecursionDesired || r.Opcode != q.Opcode {
				t.Errorf("header %+v for query %+v", r.MsgHdr, q.MsgHdr)
			}
			if _, err := r.Pack(); err != nil {
				t.Errorf("reply does not pack: %v", err)
			}
		})
	}
	t.Run("response is dropped", func(t *testing.T) {
		q := q.Copy()
		q.Response = true
		if r := s.Answer(q, privateClient, 512); r != nil {
			t.Errorf("answered a response: %v", r)
		}
	})
}

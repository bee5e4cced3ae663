package dnsserver_test

// Rules found unobserved by a mutation run (scripts/mutation.sh dnsserver):
// each test names the rule it proves, at its boundary.

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"

	cloudmap "github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/dnsserver"
	"github.com/cloudmap/cloudmap/dnsserver/dnstest"
)

// ruleFixture is one private namespace, rules.local, for the services a
// rule test puts in.
type ruleFixture struct {
	src *dnstest.Source
	ns  *cloudmap.Namespace
}

func newRuleFixture(name string) *ruleFixture {
	f := &ruleFixture{src: dnstest.New(), ns: dnstest.Namespace("ns-rules", name, cloudmap.NamespaceDNSPrivate, 30)}
	f.src.PutNamespace(f.ns)
	return f
}

func (f *ruleFixture) put(svc *cloudmap.Service, ins ...cloudmap.InstanceEntry) {
	f.src.PutService(dnstest.Entry(f.ns, svc, ins...))
}

// soa is the zone's SOA as a negative answer carries it (TTL 30).
func (f *ruleFixture) soa(servers ...dnsserver.NameServer) dns.RR {
	mname, rname := dnsserver.DefaultNameServer, dnsserver.DefaultHostmaster
	if len(servers) > 0 {
		mname, rname = servers[0].Name, "hostmaster."+dns.Fqdn(f.ns.Name)
	}
	return rr(fmt.Sprintf("%s 30 IN SOA %s %s %d 7200 900 1209600 86400",
		dns.Fqdn(f.ns.Name), mname, rname, f.src.ZoneSerial(f.ns.Id)))
}

// ask answers c's question from s over TCP sizes (no limit) and checks the
// whole reply.
func askAnswer(t *testing.T, s *dnsserver.Server, c dnstest.Case) *dns.Msg {
	t.Helper()
	q := c.Query()
	r := s.Answer(q, privateClient, 0)
	c.Check(t, q, r)
	return r
}

// TestRule_NameServerHostAnswersOnlyItsAddresses: a configured name server
// host inside the zone answers A with its IPv4 addresses, AAAA with its
// IPv6 ones, NODATA for a type it has no address of, and ANY with the A
// records or, for an IPv6-only host, the AAAA ones.
func TestRule_NameServerHostAnswersOnlyItsAddresses(t *testing.T) {
	f := newRuleFixture("rules.local")
	servers := []dnsserver.NameServer{{Name: "ns6.rules.local.", Addr: netip.MustParseAddr("fd00::53")}}
	s := dnsserver.New(f.src, dnsserver.Config{Addr: "127.0.0.1:0", NameServers: servers})
	aaaa := []dns.RR{rr("ns6.rules.local. 172800 IN AAAA fd00::53")}
	for _, c := range []dnstest.Case{
		{Qname: "ns6.rules.local.", Qtype: dns.TypeAAAA, AA: true, Answer: aaaa},
		{Qname: "ns6.rules.local.", Qtype: dns.TypeANY, AA: true, Answer: aaaa},
		{Qname: "ns6.rules.local.", Qtype: dns.TypeA, AA: true, Ns: []dns.RR{f.soa(servers...)}},
	} {
		t.Run(c.Name(), func(t *testing.T) { askAnswer(t, s, c) })
	}
}

// TestRule_NameServerHostNames: --dns-nameservers takes host names of at
// least two labels (the shortest is "a.b."), labels of letters (a to z),
// digits and '-' of at most 63 bytes, names of at most 253 bytes before
// the final dot.
func TestRule_NameServerHostNames(t *testing.T) {
	label := func(c string, n int) string { return strings.Repeat(c, n) }
	name253 := label("a", 63) + "." + label("b", 63) + "." + label("c", 63) + "." + label("d", 61) + "."
	cases := []struct {
		name string
		ok   bool
	}{
		{"a.b.", true},
		{"a.", false},
		{"z.zz.", true},
		{label("x", 63) + ".example.", true},
		{label("x", 64) + ".example.", false},
		{name253, true},
		{"e" + name253, false},
	}
	for _, c := range cases {
		err := dnsserver.CheckNameServers([]dnsserver.NameServer{{Name: c.name, Addr: netip.MustParseAddr("192.0.2.53")}})
		if (err == nil) != c.ok {
			t.Errorf("%q (%d bytes): err = %v, want ok = %v", c.name, len(c.name), err, c.ok)
		}
		if !c.ok && (err == nil || !strings.Contains(err.Error(), "is not a host name")) {
			t.Errorf("%q: err = %v, want the host name rule", c.name, err)
		}
	}
}

// TestRule_RecordTypeWithoutValues: a service whose instances give no
// value for one of its record types answers that type with NODATA (and
// the SOA), and ANY with the first record type that has values.
func TestRule_RecordTypeWithoutValues(t *testing.T) {
	f := newRuleFixture("rules.local")
	f.put(dnstest.Service(f.ns, "v6", cloudmap.RoutingMultivalue, "A", 60, "AAAA", 70),
		dnstest.Instance("i-1", cloudmap.Unknown, cloudmap.AttrIPv6, "fd00::1"))
	s := newServer(t, f.src)
	aaaa := []dns.RR{rr("v6.rules.local. 70 IN AAAA fd00::1")}
	for _, c := range []dnstest.Case{
		{Qname: "v6.rules.local.", Qtype: dns.TypeA, AA: true, Ns: []dns.RR{f.soa()}},
		{Qname: "v6.rules.local.", Qtype: dns.TypeANY, AA: true, Answer: aaaa},
		{Qname: "v6.rules.local.", Qtype: dns.TypeAAAA, AA: true, Answer: aaaa},
	} {
		t.Run(c.Name(), func(t *testing.T) { askAnswer(t, s, c) })
	}
}

// TestRule_SRVTargetIsADNSName: an instance has an SRV record only when
// its target <instance-id>.<service>.<namespace> is a DNS name: at most 253
// bytes before the final dot (255 on the wire); a longer one is left out.
func TestRule_SRVTargetIsADNSName(t *testing.T) {
	// 63+1+63+1+60 = 188 bytes; with the service "s": id + 1 + 1 + 1 + 188.
	zone := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 60)
	f := newRuleFixture(zone)
	fits, over := strings.Repeat("i", 62), "j"+strings.Repeat("i", 62)
	f.put(dnstest.Service(f.ns, "s", cloudmap.RoutingMultivalue, "SRV", 30),
		dnstest.Instance(fits, cloudmap.Unknown, cloudmap.AttrIPv4, "10.0.0.1", cloudmap.AttrPort, "80"),
		dnstest.Instance(over, cloudmap.Unknown, cloudmap.AttrIPv4, "10.0.0.2", cloudmap.AttrPort, "81"))
	s := newServer(t, f.src)
	target := fits + ".s." + zone + "."
	if n := len(target); n != 254 {
		t.Fatalf("the fitting target has %d bytes with its dot, want 254", n)
	}
	r := askAnswer(t, s, dnstest.Case{Qname: "s." + zone + ".", Qtype: dns.TypeSRV, AA: true,
		Answer: []dns.RR{rr("s." + zone + ". 30 IN SRV 1 1 80 " + target)}})
	if got, want := fmt.Sprint(rrStrings(r.Extra)), fmt.Sprint([]string{target + " 30 IN A 10.0.0.1"}); got != want {
		t.Errorf("additional = %s, want %s", got, want)
	}
	if _, err := r.Pack(); err != nil {
		t.Errorf("the answer does not pack: %v", err)
	}
}

// TestRule_CNAMEValueIsADNSName: AWS_INSTANCE_CNAME gives a CNAME record
// only when it is a DNS name in presentation format without escapes:
// labels of 1 to 63 bytes between '!' and '~' except '\', at most 253
// bytes before an optional final dot. Otherwise the service has no record
// set (NXDOMAIN).
func TestRule_CNAMEValueIsADNSName(t *testing.T) {
	l63 := strings.Repeat("x", 63)
	n253 := l63 + "." + l63 + "." + l63 + "." + strings.Repeat("y", 61)
	cases := []struct {
		value string
		ok    bool
	}{
		{"backend.example.org", true},
		{"backend.example.org.", true},
		{l63 + ".example", true},
		{"x" + l63 + ".example", false},
		{n253, true},
		{n253 + ".", true},
		{"z" + n253, false},
		{"a..b", false},
		{"a..", false},
		{".", false},
		{"", false},
		{"a b.example", false},
		{"a\x7fb.example", false},
		{"a\\b.example", false},
		{"!~.example", true},
	}
	f := newRuleFixture("rules.local")
	for i, c := range cases {
		f.put(dnstest.Service(f.ns, fmt.Sprintf("c%d", i), cloudmap.RoutingWeighted, "CNAME", 300),
			dnstest.Instance("i-1", cloudmap.Unknown, cloudmap.AttrCNAME, c.value))
	}
	s := newServer(t, f.src)
	for i, c := range cases {
		t.Run(fmt.Sprintf("%q", c.value), func(t *testing.T) {
			name := fmt.Sprintf("c%d.rules.local.", i)
			want := dnstest.Case{Qname: name, Qtype: dns.TypeCNAME, AA: true, Rcode: dns.RcodeNameError, Ns: []dns.RR{f.soa()}}
			if c.ok {
				want = dnstest.Case{Qname: name, Qtype: dns.TypeCNAME, AA: true,
					Answer: []dns.RR{&dns.CNAME{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 300},
						Target: dns.Fqdn(c.value)}}}
			}
			r := askAnswer(t, s, want)
			if _, err := r.Pack(); err != nil {
				t.Errorf("the answer does not pack: %v", err)
			}
		})
	}
}

// TestRule_SRVTargetMatchesTheIDExactlyFirst: instance IDs are case
// sensitive; a target name picks the instance whose ID it spells exactly
// before one that matches only without regard to case.
func TestRule_SRVTargetMatchesTheIDExactlyFirst(t *testing.T) {
	f := newRuleFixture("rules.local")
	f.put(dnstest.Service(f.ns, "api", cloudmap.RoutingMultivalue, "SRV", 30),
		dnstest.Instance("I-1", cloudmap.Unknown, cloudmap.AttrIPv4, "10.0.0.1", cloudmap.AttrPort, "80"),
		dnstest.Instance("i-1", cloudmap.Unknown, cloudmap.AttrIPv4, "10.0.0.2", cloudmap.AttrPort, "80"),
		dnstest.Instance("j-1", cloudmap.Unknown, cloudmap.AttrIPv4, "10.0.0.3", cloudmap.AttrPort, "80"))
	s := newServer(t, f.src)
	for _, c := range []dnstest.Case{
		{Qname: "I-1.api.rules.local.", Qtype: dns.TypeA, AA: true, Answer: []dns.RR{rr("I-1.api.rules.local. 30 IN A 10.0.0.1")}},
		{Qname: "i-1.api.rules.local.", Qtype: dns.TypeA, AA: true, Answer: []dns.RR{rr("i-1.api.rules.local. 30 IN A 10.0.0.2")}},
		{Qname: "J-1.api.rules.local.", Qtype: dns.TypeA, AA: true, Answer: []dns.RR{rr("J-1.api.rules.local. 30 IN A 10.0.0.3")}},
		{Qname: "k-1.api.rules.local.", Qtype: dns.TypeA, AA: true, Rcode: dns.RcodeNameError, Ns: []dns.RR{f.soa()}},
	} {
		t.Run(c.Name(), func(t *testing.T) { askAnswer(t, s, c) })
	}
}

// instances returns n instances with IPv4 (and, with v6, IPv6) addresses,
// all of the given health.
func instances(n int, health cloudmap.HealthStatus, v6 bool) []cloudmap.InstanceEntry {
	out := make([]cloudmap.InstanceEntry, n)
	for i := range out {
		attrs := []string{cloudmap.AttrIPv4, fmt.Sprintf("10.0.%d.%d", i/250, i%250+1)}
		if v6 {
			attrs = append(attrs, cloudmap.AttrIPv6, fmt.Sprintf("fd00::%x", i+1))
		}
		out[i] = dnstest.Instance(fmt.Sprintf("i-%03d", i), health, attrs...)
	}
	return out
}

func withMaxAnswers(svc *cloudmap.Service, n int) *cloudmap.Service {
	svc.Extensions = &cloudmap.ServiceExtensions{DNSMaxAnswers: n}
	return svc
}

func withCustomHealth(svc *cloudmap.Service) *cloudmap.Service {
	svc.HealthCheckCustomConfig = &cloudmap.HealthCheckCustomConfig{FailureThreshold: 1}
	return svc
}

// distinct checks that r's answer has n records of type qtype, no two the
// same, and returns their values.
func distinct(t *testing.T, r *dns.Msg, qtype uint16, n int) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, a := range r.Answer {
		if a.Header().Rrtype != qtype {
			t.Fatalf("answer %v is not %s", a, dns.TypeToString[qtype])
		}
		v := strings.TrimPrefix(a.String(), a.Header().String())
		if seen[v] {
			t.Fatalf("answer %v repeats %s", rrStrings(r.Answer), v)
		}
		seen[v] = true
	}
	if len(seen) != n {
		t.Fatalf("answer has %d records, want %d: %v", len(seen), n, rrStrings(r.Answer))
	}
	return seen
}

// TestRule_MultivalueAnswers: a MULTIVALUE answer holds up to the
// service's cloudmap.dns-max-answers records (beyond the default 8 too),
// of distinct instances, for AAAA as for A; in a large service with fewer
// healthy instances than that it holds exactly the healthy ones, and with
// none healthy up to that many unhealthy ones (Route 53: "up to eight
// unhealthy records").
func TestRule_MultivalueAnswers(t *testing.T) {
	f := newRuleFixture("rules.local")
	mv := cloudmap.RoutingMultivalue
	f.put(withMaxAnswers(dnstest.Service(f.ns, "ten", mv, "A", 60, "AAAA", 60), 10), instances(12, cloudmap.Unknown, true)...)
	f.put(withMaxAnswers(dnstest.Service(f.ns, "two", mv, "A", 60), 2), instances(40, cloudmap.Unknown, false)...)
	dead := instances(40, cloudmap.Unhealthy, false)
	f.put(withCustomHealth(dnstest.Service(f.ns, "dead", mv, "A", 60)), dead...)
	few := instances(40, cloudmap.Unhealthy, false)
	for _, i := range []int{3, 17, 33} {
		few[i].Health = cloudmap.Healthy
	}
	f.put(withCustomHealth(dnstest.Service(f.ns, "few", mv, "A", 60)), few...)
	s := newServer(t, f.src)
	ask := func(name string, qtype uint16) *dns.Msg {
		t.Helper()
		q := query(name, qtype)
		r := s.Answer(q, privateClient, 0)
		dnstest.CheckHeader(t, q, r)
		if r.Rcode != dns.RcodeSuccess || !r.Authoritative {
			t.Fatalf("%s %s: rcode %s AA %v", name, dns.TypeToString[qtype], dns.RcodeToString[r.Rcode], r.Authoritative)
		}
		return r
	}
	distinct(t, ask("ten.rules.local.", dns.TypeA), dns.TypeA, 10)
	distinct(t, ask("ten.rules.local.", dns.TypeAAAA), dns.TypeAAAA, 10)
	// Sampling a large service never picks one instance twice.
	for range 200 {
		distinct(t, ask("two.rules.local.", dns.TypeA), dns.TypeA, 2)
	}
	distinct(t, ask("dead.rules.local.", dns.TypeA), dns.TypeA, 8)
	got := distinct(t, ask("few.rules.local.", dns.TypeA), dns.TypeA, 3)
	for _, ip := range []string{"10.0.0.4", "10.0.0.18", "10.0.0.34"} {
		if !got["\t"+ip] && !got[ip] {
			t.Errorf("few: answer %v lacks the healthy %s", got, ip)
		}
	}
}

// TestRule_TTLsClampToTheDNSRange: a record's TTL above 2^31-1 is sent as
// 2^31-1 (RFC 2181 section 8).
func TestRule_TTLsClampToTheDNSRange(t *testing.T) {
	f := newRuleFixture("rules.local")
	f.put(dnstest.Service(f.ns, "long", cloudmap.RoutingWeighted, "A", int64(1)<<32), dnstest.Instance("i-1", cloudmap.Unknown, cloudmap.AttrIPv4, "10.0.0.1"))
	askAnswer(t, newServer(t, f.src), dnstest.Case{Qname: "long.rules.local.", Qtype: dns.TypeA, AA: true,
		Answer: []dns.RR{rr("long.rules.local. 2147483647 IN A 10.0.0.1")}})
}

// TestRule_FitKeepsWhatFits: a UDP reply exactly as long as the client's
// limit is sent whole; with the additional records dropped it is sent
// without them, not truncated, when that fits exactly; one byte less is
// truncated.
func TestRule_FitKeepsWhatFits(t *testing.T) {
	f := newRuleFixture("rules.local")
	ins := make([]cloudmap.InstanceEntry, 8)
	for i := range ins {
		ins[i] = dnstest.Instance(fmt.Sprintf("instance-with-a-rather-long-id-%02d", i), cloudmap.Unknown,
			cloudmap.AttrIPv4, fmt.Sprintf("10.0.0.%d", i+1), cloudmap.AttrPort, "80")
	}
	f.put(dnstest.Service(f.ns, "api", cloudmap.RoutingMultivalue, "SRV", 30), ins...)
	s := newServer(t, f.src)
	q := query("api.rules.local.", dns.TypeSRV)
	q.SetEdns0(4096, false)
	full := s.Answer(q, privateClient, 0)
	if len(full.Answer) != 8 || len(full.Extra) != 9 {
		t.Fatalf("over TCP: %d answers, %d additional, want 8 and 9 (glue and OPT)", len(full.Answer), len(full.Extra))
	}
	full.Compress = true
	whole := full.Len()
	full.Extra = full.Extra[len(full.Extra)-1:] // the OPT record
	bare := full.Len()
	if bare < dns.MinMsgSize {
		t.Fatalf("the reply without glue has %d bytes; the test needs more than %d", bare, dns.MinMsgSize)
	}
	for _, c := range []struct {
		size      int
		extra     int
		answers   int
		truncated bool
		what      string
	}{
		{whole, 9, 8, false, "exactly the compressed reply: whole"},
		{whole - 1, 1, 8, false, "a byte less: without glue"},
		{bare, 1, 8, false, "exactly the reply without glue: sent"},
		{bare - 1, 1, 0, true, "a byte less: truncated"},
	} {
		r := s.Answer(q, privateClient, c.size)
		if len(r.Answer) != c.answers || len(r.Extra) != c.extra || r.Truncated != c.truncated {
			t.Errorf("%s (%d bytes): %d answers, %d additional, TC %v; want %d, %d, %v", c.what, c.size,
				len(r.Answer), len(r.Extra), r.Truncated, c.answers, c.extra, c.truncated)
		}
		if b, err := r.Pack(); err != nil || len(b) > c.size {
			t.Errorf("%s: packs to %d bytes (%v), over %d", c.what, len(b), err, c.size)
		}
	}
}

// TestRule_TCPRepliesFitTheirLengthPrefix: over TCP a reply of 100 SRV
// records with their glue (far over 64 KiB written out) is sent
// compressed, within the 65,535 bytes of the TCP length prefix.
func TestRule_TCPRepliesFitTheirLengthPrefix(t *testing.T) {
	zone := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + ".example"
	f := newRuleFixture(zone)
	ins := make([]cloudmap.InstanceEntry, 100)
	for i := range ins {
		ins[i] = dnstest.Instance(fmt.Sprintf("%s-%03d", strings.Repeat("i", 50), i), cloudmap.Unknown,
			cloudmap.AttrIPv4, fmt.Sprintf("10.0.0.%d", i+1), cloudmap.AttrIPv6, fmt.Sprintf("fd00::%x", i+1), cloudmap.AttrPort, "80")
	}
	f.put(withMaxAnswers(dnstest.Service(f.ns, strings.Repeat("s", 40), cloudmap.RoutingMultivalue, "SRV", 30), 100), ins...)
	s := newServer(t, f.src)
	r := s.Answer(query(strings.Repeat("s", 40)+"."+zone+".", dns.TypeSRV), privateClient, 0)
	b, err := r.Pack()
	if err != nil || len(b) > dns.MaxMsgSize {
		t.Fatalf("packs to %d bytes (%v), over %d", len(b), err, dns.MaxMsgSize)
	}
	var back dns.Msg
	if err := back.Unpack(b); err != nil || len(back.Answer) != 100 || len(back.Extra) != 200 {
		t.Fatalf("unpacked: %d answers, %d additional (%v), want 100 and 200", len(back.Answer), len(back.Extra), err)
	}
	uncompressed := r.Copy()
	uncompressed.Compress = false
	if n := uncompressed.Len(); n <= dns.MaxMsgSize {
		t.Fatalf("the reply has %d bytes written out; the test needs more than %d", n, dns.MaxMsgSize)
	}
}

// TestRule_SRVGlueComesFromSlabs: the additional A and AAAA records of an
// SRV answer come from arrays sized for its targets (glueSlab), so that
// each further target costs one allocation (its name), not one per record
// and per address.
func TestRule_SRVGlueComesFromSlabs(t *testing.T) {
	allocs := func(n int) float64 {
		f := newRuleFixture("rules.local")
		ins := make([]cloudmap.InstanceEntry, n)
		for i := range ins {
			ins[i] = dnstest.Instance(fmt.Sprintf("i-%d", i), cloudmap.Unknown,
				cloudmap.AttrIPv4, fmt.Sprintf("10.0.0.%d", i+1), cloudmap.AttrIPv6, fmt.Sprintf("fd00::%d", i+1), cloudmap.AttrPort, "80")
		}
		f.put(dnstest.Service(f.ns, "api", cloudmap.RoutingMultivalue, "SRV", 30), ins...)
		s := newServer(t, f.src)
		q := query("api.rules.local.", dns.TypeSRV)
		if r := s.Answer(q, privateClient, 0); len(r.Answer) != n || len(r.Extra) != 2*n {
			t.Fatalf("%d targets: %d answers, %d additional", n, len(r.Answer), len(r.Extra))
		}
		return testing.AllocsPerRun(50, func() { s.Answer(q, privateClient, 0) })
	}
	two, eight := allocs(2), allocs(8)
	if eight-two > 6 {
		t.Errorf("8 targets allocate %v times, 2 targets %v: %v more for 6 more targets, want at most 6", eight, two, eight-two)
	}
}

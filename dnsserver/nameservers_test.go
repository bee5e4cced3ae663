package dnsserver_test

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	cloudmap "github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/dnsserver"
	"github.com/cloudmap/cloudmap/dnsserver/dnstest"
)

func TestParseNameServers(t *testing.T) {
	got, err := dnsserver.ParseNameServers(" NS1.Example.com=192.0.2.53, ns1.example.com=2001:db8::53,ns2.provider.net.=::ffff:198.51.100.7 ")
	if err != nil {
		t.Fatal(err)
	}
	want := []dnsserver.NameServer{
		{Name: "ns1.example.com.", Addr: netip.MustParseAddr("192.0.2.53")},
		{Name: "ns1.example.com.", Addr: netip.MustParseAddr("2001:db8::53")},
		{Name: "ns2.provider.net.", Addr: netip.MustParseAddr("198.51.100.7")},
	}
	if !slices.Equal(got, want) {
		t.Errorf("ParseNameServers = %v, want %v", got, want)
	}
	if got, err := dnsserver.ParseNameServers(""); err != nil || got != nil {
		t.Errorf("empty list = %v, %v; want nil, nil", got, err)
	}
	many := make([]string, dnsserver.MaxNameServers+1)
	for i := range many {
		many[i] = fmt.Sprintf("ns%d.example.com=192.0.2.%d", i, i+1)
	}
	bad := []struct{ in, entry, rule string }{
		{"ns1.example.com", `"ns1.example.com"`, "is not NAME=IP"},
		{"ns1.example.com=192.0.2.300", `"ns1.example.com=192.0.2.300"`, "is not an IPv4 or IPv6 address"},
		{"ns1.example.com=fe80::1%eth0", `"ns1.example.com=fe80::1%eth0"`, "is not an IPv4 or IPv6 address"},
		{"ns1.example.com=0.0.0.0", `"ns1.example.com=0.0.0.0"`, "not a usable IPv4 or IPv6 address"},
		{"ns_1.example.com=192.0.2.1", `"ns_1.example.com=192.0.2.1"`, "is not a host name"},
		{"localhost=127.0.0.1", `"localhost=127.0.0.1"`, "at least two"},
		{"=192.0.2.1", `"=192.0.2.1"`, "is not a host name"},
		{"a..b=192.0.2.1", `"a..b=192.0.2.1"`, "is not a host name"},
		{"ns1.example.com=192.0.2.1,ns1.example.com=192.0.2.1", `"ns1.example.com=192.0.2.1"`, "listed twice"},
		{strings.Join(many, ","), fmt.Sprintf("%q", many[len(many)-1]), "more than 13 name server names"},
	}
	for _, tc := range bad {
		t.Run(tc.in[:min(len(tc.in), 40)], func(t *testing.T) {
			_, err := dnsserver.ParseNameServers(tc.in)
			if err == nil || !strings.Contains(err.Error(), "entry "+tc.entry) || !strings.Contains(err.Error(), tc.rule) {
				t.Errorf("ParseNameServers(%q) = %v; want an error naming entry %s and %q", tc.in, err, tc.entry, tc.rule)
			}
		})
	}
}

// nsFixture serves example.com (public) with name servers inside it
// (ns1, with both families) and one outside (ns2.provider.net).
func nsFixture(t *testing.T) (*dnstest.Source, *cloudmap.Namespace, *dnsserver.Server) {
	t.Helper()
	src := dnstest.New()
	com := dnstest.Namespace("ns-com", "example.com", cloudmap.NamespaceDNSPublic, 60)
	src.PutNamespace(com)
	src.PutService(dnstest.Entry(com, dnstest.Service(com, "ns1", cloudmap.RoutingMultivalue, "A", 60), ip4("x-1", "192.0.2.99")))
	src.PutService(dnstest.Entry(com, dnstest.Service(com, "www", cloudmap.RoutingMultivalue, "A", 60), ip4("w-1", "192.0.2.1")))
	servers, err := dnsserver.ParseNameServers("ns1.example.com=192.0.2.53,ns1.example.com=2001:db8::53,ns2.provider.net=198.51.100.7")
	if err != nil {
		t.Fatal(err)
	}
	return src, com, dnsserver.New(src, dnsserver.Config{Addr: "127.0.0.1:0", NameServers: servers})
}

func TestServer_Answer_nameServers(t *testing.T) {
	src, com, s := nsFixture(t)
	soa := fmt.Sprintf("example.com. 60 IN SOA ns1.example.com. hostmaster.example.com. %d 7200 900 1209600 86400", src.ZoneSerial(com.Id))
	tests := []struct {
		qname         string
		qtype         uint16
		rcode         int
		answer, extra []string
	}{
		// The apex NS lists every name; glue only for the name inside the zone.
		{qname: "example.com.", qtype: dns.TypeNS,
			answer: []string{"example.com. 172800 IN NS ns1.example.com.", "example.com. 172800 IN NS ns2.provider.net."},
			extra:  []string{"ns1.example.com. 172800 IN A 192.0.2.53", "ns1.example.com. 172800 IN AAAA 2001:db8::53"}},
		// SOA MNAME is the first name server, RNAME hostmaster.<zone>.
		{qname: "example.com.", qtype: dns.TypeSOA, answer: []string{soa}},
		// The in-zone name server answers its addresses, hiding the service "ns1".
		{qname: "ns1.example.com.", qtype: dns.TypeA, answer: []string{"ns1.example.com. 172800 IN A 192.0.2.53"}},
		{qname: "NS1.example.com.", qtype: dns.TypeAAAA, answer: []string{"NS1.example.com. 172800 IN AAAA 2001:db8::53"}},
		{qname: "ns1.example.com.", qtype: dns.TypeTXT},
		// Names of other zones are not ours to answer.
		{qname: "ns2.provider.net.", qtype: dns.TypeA, rcode: dns.RcodeRefused},
		{qname: "www.example.com.", qtype: dns.TypeA, answer: []string{"www.example.com. 60 IN A 192.0.2.1"}},
	}
	for _, tc := range tests {
		t.Run(tc.qname+"/"+dns.TypeToString[tc.qtype], func(t *testing.T) {
			r := s.Answer(query(tc.qname, tc.qtype), publicClient, 0)
			if r.Rcode != tc.rcode {
				t.Errorf("rcode = %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tc.rcode])
			}
			if got, want := fmt.Sprint(rrStrings(r.Answer)), fmt.Sprint(sorted(tc.answer)); got != want {
				t.Errorf("answer:\n got %s\nwant %s", got, want)
			}
			if got, want := fmt.Sprint(rrStrings(r.Extra)), fmt.Sprint(sorted(tc.extra)); got != want {
				t.Errorf("additional:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestServer_Answer_syntheticNameServer(t *testing.T) {
	f := newFixture(t)
	r := newServer(t, f.src).Answer(query("example.com.", dns.TypeNS), publicClient, 0)
	if got, want := fmt.Sprint(rrStrings(r.Answer)), "[example.com. 172800 IN NS ns-1.cloudmap.invalid.]"; got != want {
		t.Errorf("NS without name servers = %s, want %s", got, want)
	}
	if len(rrStrings(r.Extra)) != 0 {
		t.Errorf("additional = %v, want none", rrStrings(r.Extra))
	}
}

// Route 53 returns the SRV targets' addresses in the additional section;
// when they do not fit UDP they are dropped, and TC stays clear (RFC 2181
// section 9: only missing answer or authority data sets TC).
func TestServer_Answer_srvAdditional(t *testing.T) {
	f := newFixture(t)
	s := newServer(t, f.src)
	r := s.Answer(query("api.example.local.", dns.TypeSRV), privateClient, 512)
	want := []string{"api-1.api.example.local. 30 IN A 10.0.1.1", "api-2.api.example.local. 30 IN AAAA fd00::2"}
	if got := rrStrings(r.Extra); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("additional = %v, want %v", got, want)
	}
	// The target A carries the service's A TTL when it has A records.
	r = s.Answer(query("both.example.local.", dns.TypeSRV), privateClient, 512)
	if got, want := fmt.Sprint(rrStrings(r.Extra)), "[b-1.both.example.local. 40 IN A 10.0.2.1]"; got != want {
		t.Errorf("additional = %s, want %s", got, want)
	}

	src := dnstest.New()
	ns := dnstest.Namespace("ns-big", "big.local", cloudmap.NamespaceDNSPrivate, 30)
	src.PutNamespace(ns)
	var ins []cloudmap.InstanceEntry
	for i := range 8 {
		ins = append(ins, dnstest.Instance(fmt.Sprintf("inst-%d", i), cloudmap.Unknown,
			cloudmap.AttrIPv4, fmt.Sprintf("10.9.0.%d", i+1), cloudmap.AttrIPv6, fmt.Sprintf("fd00::%d", i+1), cloudmap.AttrPort, "80"))
	}
	src.PutService(dnstest.Entry(ns, dnstest.Service(ns, "svc", cloudmap.RoutingMultivalue, "SRV", 30), ins...))
	big := newServer(t, src)
	full := big.Answer(query("svc.big.local.", dns.TypeSRV), privateClient, 0)
	if len(full.Answer) != 8 || len(full.Extra) != 16 {
		t.Fatalf("TCP answer: %d SRV and %d additional, want 8 and 16", len(full.Answer), len(full.Extra))
	}
	udp := big.Answer(query("svc.big.local.", dns.TypeSRV), privateClient, 512)
	if udp.Truncated || len(udp.Answer) != 8 || len(udp.Extra) != 0 {
		t.Errorf("UDP 512: TC %v, %d SRV, %d additional; want TC clear, 8 SRV, additional dropped", udp.Truncated, len(udp.Answer), len(udp.Extra))
	}
	if b, err := udp.Pack(); err != nil || len(b) > 512 {
		t.Errorf("UDP reply packs to %d bytes (%v), want at most 512", len(b), err)
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}

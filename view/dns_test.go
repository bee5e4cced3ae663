package view_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/dnsserver"
	"github.com/cloudmap/cloudmap/dnsserver/dnstest"
)

func dnsFixture(t *testing.T) *fixture {
	return newFixture(t,
		[]op{dnsNS("ns-priv", "Example.Local", cloudmap.NamespaceDNSPrivate), dnsNS("ns-pub", "example.local", cloudmap.NamespaceDNSPublic),
			dnsNS("ns-other", "other.local", cloudmap.NamespaceDNSPrivate), httpNS("ns-http", "example.local")},
		[]op{svc("srv-web", "ns-priv", "Web", ""), svc("srv-api", "ns-pub", "api", ""), svc("srv-h", "ns-http", "Web", "")},
		[]op{inst("srv-web", "i1", "AWS_INSTANCE_IPV4=10.0.0.1")},
	)
}

func TestView_ZonesNamed(t *testing.T) {
	f := dnsFixture(t)
	cases := []struct {
		name string
		want string
	}{
		{"example.local", "[ns-priv:DNS_PRIVATE ns-pub:DNS_PUBLIC]"},
		{"EXAMPLE.local.", "[ns-priv:DNS_PRIVATE ns-pub:DNS_PUBLIC]"},
		{"other.local", "[ns-other:DNS_PRIVATE]"},
		{"nowhere.local", "[]"},
		{"", "[]"},
	}
	for _, c := range cases {
		var got []string
		for _, ns := range f.view.ZonesNamed(c.name) {
			got = append(got, ns.Id+":"+string(ns.Type))
		}
		if fmt.Sprint(sorted(got)) != c.want {
			t.Errorf("ZonesNamed(%q) = %v, want %s", c.name, got, c.want)
		}
	}
	if got := f.view.ZonesNamed("nowhere"); got != nil {
		t.Errorf("ZonesNamed of an unknown name = %v, want nil", got)
	}
	allocs := testing.AllocsPerRun(100, func() {
		f.view.ZonesNamed("EXAMPLE.LOCAL.")
		f.view.ServiceNamed("ns-priv", "WEB")
		f.view.ZoneSerial("ns-priv")
	})
	if allocs != 0 {
		t.Errorf("DNS reads allocate %.1f times per call, want 0", allocs)
	}
}

func sorted(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

func TestView_ServiceNamed(t *testing.T) {
	f := dnsFixture(t)
	cases := []struct {
		ns, name string
		want     string
	}{
		{"ns-priv", "web", "srv-web"},
		{"ns-priv", "WEB", "srv-web"},
		{"ns-pub", "Api", "srv-api"},
		{"ns-pub", "web", ""},
		{"ns-http", "Web", "srv-h"},
		{"ns-http", "web", ""},
		{"ns-nope", "web", ""},
	}
	for _, c := range cases {
		got := ""
		if e := f.view.ServiceNamed(c.ns, c.name); e != nil {
			got = e.Service.Id
			if e.Namespace.Id != c.ns {
				t.Errorf("ServiceNamed(%s, %s).Namespace = %s", c.ns, c.name, e.Namespace.Id)
			}
		}
		if got != c.want {
			t.Errorf("ServiceNamed(%s, %s) = %q, want %q", c.ns, c.name, got, c.want)
		}
	}
	e := f.view.ServiceNamed("ns-priv", "web")
	if len(e.Instances) != 1 || e.Instances[0].Instance.Attributes[cloudmap.AttrIPv4] != "10.0.0.1" || e.Instances[0].Health != cloudmap.Unknown {
		t.Errorf("entry instances = %+v", e.Instances)
	}
	// Entries are immutable: a registration publishes a new one.
	f.commit(inst("srv-web", "i2", "AWS_INSTANCE_IPV4=10.0.0.2"))
	if len(e.Instances) != 1 {
		t.Errorf("a published entry changed: %d instances", len(e.Instances))
	}
	if got := f.view.ServiceNamed("ns-priv", "web"); len(got.Instances) != 2 || got.Revision <= e.Revision {
		t.Errorf("new entry: %d instances, revision %d (old %d)", len(got.Instances), got.Revision, e.Revision)
	}
}

func TestView_ZoneSerial(t *testing.T) {
	f := dnsFixture(t)
	steps := []struct {
		name  string
		ops   []op
		grows string // namespace whose serial must grow; the others stay
	}{
		{"register", []op{inst("srv-web", "i2", "AWS_INSTANCE_IPV4=10.0.0.2")}, "ns-priv"},
		{"health", []op{health("srv-api", "x", cloudmap.Healthy)}, "ns-pub"},
		{"new service", []op{svc("srv-new", "ns-other", "new", "")}, "ns-other"},
		{"namespace update", []op{dnsNS("ns-pub", "example.local", cloudmap.NamespaceDNSPublic)}, "ns-pub"},
		{"deregister", deregister("srv-web", "i1"), "ns-priv"},
		{"delete service", []op{del(cloudmap.ServiceKey("srv-new"))}, "ns-other"},
	}
	ids := []string{"ns-priv", "ns-pub", "ns-other"}
	prev := map[string]uint32{}
	for _, id := range ids {
		prev[id] = f.view.ZoneSerial(id)
		if prev[id] == 0 {
			t.Errorf("ZoneSerial(%s) = 0 after start", id)
		}
	}
	for _, s := range steps {
		f.commit(s.ops...)
		for _, id := range ids {
			got := f.view.ZoneSerial(id)
			if id == s.grows && got <= prev[id] {
				t.Errorf("%s: ZoneSerial(%s) %d -> %d, want it to grow", s.name, id, prev[id], got)
			}
			if id != s.grows && got != prev[id] {
				t.Errorf("%s: ZoneSerial(%s) %d -> %d, want it stable", s.name, id, prev[id], got)
			}
			prev[id] = got
		}
	}
	if got := f.view.ZoneSerial("ns-nope"); got != 0 {
		t.Errorf("ZoneSerial of an unknown namespace = %d", got)
	}
}

func TestView_ScopeLookups(t *testing.T) {
	f := dnsFixture(t)
	if ns, ok := f.view.NamespaceOfService("srv-api"); !ok || ns.Id != "ns-pub" {
		t.Errorf("NamespaceOfService(srv-api) = %v, %v", ns, ok)
	}
	if _, ok := f.view.NamespaceOfService("srv-nope"); ok {
		t.Error("NamespaceOfService of an unknown service found one")
	}
	if ns, ok := f.view.Namespace("ns-http"); !ok || ns.Type != cloudmap.NamespaceHTTP {
		t.Errorf("Namespace(ns-http) = %v, %v", ns, ok)
	}
	f.commit(del(cloudmap.ServiceKey("srv-api")))
	f.commit(del(cloudmap.NamespaceKey("ns-pub")))
	if _, ok := f.view.Namespace("ns-pub"); ok {
		t.Error("deleted namespace still found")
	}
	if _, ok := f.view.NamespaceOfService("srv-api"); ok {
		t.Error("deleted service still found")
	}
	if got := f.view.ZonesNamed("example.local"); len(got) != 1 || got[0].Id != "ns-priv" {
		t.Errorf("ZonesNamed after deleting the public zone = %v", got)
	}
}

func TestView_HasServiceBelow(t *testing.T) {
	f := dnsFixture(t)
	f.commit(svc("srv-srv", "ns-priv", "_HTTP._tcp.edge", ""))
	cases := []struct {
		ns, name string
		want     bool
	}{
		{"ns-priv", "_tcp.edge", true},
		{"ns-priv", "_TCP.Edge", true},
		{"ns-priv", "edge", true},
		{"ns-priv", "_http._tcp.edge", false}, // the service itself, not below it
		{"ns-priv", "web", false},
		{"ns-pub", "edge", false},
		{"ns-http", "edge", false},
		{"ns-none", "edge", false},
	}
	for _, c := range cases {
		if got := f.view.HasServiceBelow(c.ns, c.name); got != c.want {
			t.Errorf("HasServiceBelow(%s, %q) = %v, want %v", c.ns, c.name, got, c.want)
		}
	}
	f.commit(del(cloudmap.ServiceKey("srv-srv")))
	if f.view.HasServiceBelow("ns-priv", "edge") {
		t.Error("HasServiceBelow after the service was deleted = true")
	}
}

// dnsService is a service record with A records of ttl, routed MULTIVALUE,
// with custom health.
func dnsService(id, nsID, name string, ttl int64) op {
	s := service(id, nsID, name, "custom")
	s.Type = cloudmap.ServiceDNSHTTP
	s.DnsConfig = &cloudmap.DnsConfig{RoutingPolicy: cloudmap.RoutingMultivalue,
		DnsRecords: []cloudmap.DnsRecord{{Type: cloudmap.RecordA, TTL: ttl}}}
	return put(cloudmap.ServiceKey(id), s)
}

// TestView_DNSAnswers answers DNS questions from the real view, fed by the
// store's change feed, with the DNS case table of dnsserver/dnstest: what
// the view publishes is what DNS serves, after each commit.
func TestView_DNSAnswers(t *testing.T) {
	f := newFixture(t,
		[]op{dnsNS("ns-priv", "example.local", cloudmap.NamespaceDNSPrivate)},
		[]op{dnsService("srv-web", "ns-priv", "web", 60), inst("srv-web", "i1", "AWS_INSTANCE_IPV4=10.0.0.1"),
			health("srv-web", "i1", cloudmap.Healthy)},
	)
	srv := dnsserver.New(f.view, dnsserver.Config{})
	client := netip.MustParseAddr("127.0.0.1")
	ask := func(t *testing.T, c dnstest.Case) {
		t.Helper()
		q := c.Query()
		c.Check(t, q, srv.Answer(q, client, 0))
	}
	soa := func() []dns.RR {
		q := dnstest.Case{Qname: "example.local", Qtype: dns.TypeSOA}.Query()
		return srv.Answer(q, client, 0).Answer
	}
	steps := []struct {
		name  string
		ops   []op
		cases func(soa []dns.RR) []dnstest.Case
	}{
		{"from the snapshot", nil, func(soa []dns.RR) []dnstest.Case {
			return []dnstest.Case{
				{Qname: "web.example.local", Qtype: dns.TypeA, AA: true, Answer: dnstest.RRs("web.example.local. 60 IN A 10.0.0.1")},
				{Qname: "Web.Example.Local", Qtype: dns.TypeA, AA: true, Answer: dnstest.RRs("Web.Example.Local. 60 IN A 10.0.0.1")},
				{Qname: "nope.example.local", Qtype: dns.TypeA, AA: true, Rcode: dns.RcodeNameError, Ns: soa},
				{Qname: "web.example.local", Qtype: dns.TypeAAAA, AA: true, Ns: soa},
			}
		}},
		{"a registration", []op{inst("srv-web", "i2", "AWS_INSTANCE_IPV4=10.0.0.2"), health("srv-web", "i2", cloudmap.Healthy)}, func([]dns.RR) []dnstest.Case {
			return []dnstest.Case{{Qname: "web.example.local", Qtype: dns.TypeA, AA: true,
				Answer: dnstest.RRs("web.example.local. 60 IN A 10.0.0.1", "web.example.local. 60 IN A 10.0.0.2")}}
		}},
		{"one unhealthy", []op{health("srv-web", "i1", cloudmap.Unhealthy)}, func([]dns.RR) []dnstest.Case {
			return []dnstest.Case{{Qname: "web.example.local", Qtype: dns.TypeA, AA: true,
				Answer: dnstest.RRs("web.example.local. 60 IN A 10.0.0.2")}}
		}},
		{"a new service", []op{dnsService("srv-api", "ns-priv", "api", 5), inst("srv-api", "a1", "AWS_INSTANCE_IPV4=10.0.1.1")}, func([]dns.RR) []dnstest.Case {
			return []dnstest.Case{{Qname: "api.example.local", Qtype: dns.TypeA, AA: true,
				Answer: dnstest.RRs("api.example.local. 5 IN A 10.0.1.1")}}
		}},
		{"deregistrations", append(deregister("srv-web", "i1"), deregister("srv-web", "i2")...), func(soa []dns.RR) []dnstest.Case {
			return []dnstest.Case{{Qname: "web.example.local", Qtype: dns.TypeA, AA: true, Rcode: dns.RcodeNameError, Ns: soa}}
		}},
		{"the service deleted", []op{del(cloudmap.ServiceKey("srv-api"))}, func(soa []dns.RR) []dnstest.Case {
			return []dnstest.Case{{Qname: "api.example.local", Qtype: dns.TypeA, AA: true, Rcode: dns.RcodeNameError, Ns: soa}}
		}},
		{"the namespace deleted", []op{del(cloudmap.ServiceKey("srv-web")), del(cloudmap.NamespaceKey("ns-priv"))}, func([]dns.RR) []dnstest.Case {
			return []dnstest.Case{{Qname: "web.example.local", Qtype: dns.TypeA, Rcode: dns.RcodeRefused}}
		}},
	}
	for _, s := range steps {
		if len(s.ops) > 0 {
			f.commit(s.ops...)
		}
		for _, c := range s.cases(soa()) {
			t.Run(s.name+"/"+c.Name(), func(t *testing.T) { ask(t, c) })
		}
	}
}

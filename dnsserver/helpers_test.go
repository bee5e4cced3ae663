package dnsserver_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/miekg/dns"

	cloudmap "github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/dnsserver"
	"github.com/cloudmap/cloudmap/dnsserver/dnstest"
)

// Client addresses: privateClient sees private namespaces by default,
// publicClient does not.
var (
	privateClient = netip.MustParseAddr("10.1.2.3")
	publicClient  = netip.MustParseAddr("203.0.113.7")
)

// rr parses one RR in zone-file form, CoreDNS style (dnstest.RR).
func rr(s string) dns.RR { return dnstest.RR(s) }

// rrStrings renders RRs as sorted one-line strings (dnstest.Strings).
func rrStrings(rrs []dns.RR) []string { return dnstest.Strings(rrs) }

// query builds a query with RD set, as stub resolvers send it.
func query(name string, qtype uint16) *dns.Msg {
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.Id = 4242
	return q
}

const (
	soaTail = "ns-1.cloudmap.invalid. hostmaster.cloudmap.invalid. %d 7200 900 1209600 86400"
)

// fixture is the fake view most tests answer from.
type fixture struct {
	src                       *dnstest.Source
	local, com, shPriv, shPub *cloudmap.Namespace
}

func (f *fixture) soa(owner string, ns *cloudmap.Namespace, ttl int) dns.RR {
	return rr(fmt.Sprintf("%s %d IN SOA "+soaTail, owner, ttl, f.src.ZoneSerial(ns.Id)))
}

func ip4(id, ip string) cloudmap.InstanceEntry {
	return dnstest.Instance(id, cloudmap.Unknown, cloudmap.AttrIPv4, ip)
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	src := dnstest.New()
	f := &fixture{src: src,
		local:  dnstest.Namespace("ns-local", "example.local", cloudmap.NamespaceDNSPrivate, 30),
		com:    dnstest.Namespace("ns-com", "example.com", cloudmap.NamespaceDNSPublic, 100000),
		shPriv: dnstest.Namespace("ns-shpriv", "shared.test", cloudmap.NamespaceDNSPrivate, 10),
		shPub:  dnstest.Namespace("ns-shpub", "shared.test", cloudmap.NamespaceDNSPublic, 20),
	}
	for _, ns := range []*cloudmap.Namespace{f.local, f.com, f.shPriv, f.shPub,
		dnstest.Namespace("ns-http", "http.local", cloudmap.NamespaceHTTP, 0)} {
		src.PutNamespace(ns)
	}
	mv, w := cloudmap.RoutingMultivalue, cloudmap.RoutingWeighted
	put := func(ns *cloudmap.Namespace, svc *cloudmap.Service, ins ...cloudmap.InstanceEntry) {
		src.PutService(dnstest.Entry(ns, svc, ins...))
	}
	custom := func(svc *cloudmap.Service) *cloudmap.Service {
		svc.HealthCheckCustomConfig = &cloudmap.HealthCheckCustomConfig{FailureThreshold: 1}
		return svc
	}
	put(f.local, dnstest.Service(f.local, "web", mv, "A", 60, "AAAA", 120),
		dnstest.Instance("web-1", cloudmap.Unknown, cloudmap.AttrIPv4, "10.0.0.1", cloudmap.AttrIPv6, "fd00::1"),
		ip4("web-2", "10.0.0.2"))
	put(f.local, dnstest.Service(f.local, "api", mv, "SRV", 30),
		dnstest.Instance("api-1", cloudmap.Unknown, cloudmap.AttrIPv4, "10.0.1.1", cloudmap.AttrPort, "8080"),
		dnstest.Instance("api-2", cloudmap.Unknown, cloudmap.AttrIPv6, "fd00::2", cloudmap.AttrPort, "8081"))
	put(f.local, dnstest.Service(f.local, "both", w, "A", 40, "SRV", 50),
		dnstest.Instance("b-1", cloudmap.Unknown, cloudmap.AttrIPv4, "10.0.2.1", cloudmap.AttrPort, "9000"))
	put(f.local, dnstest.Service(f.local, "_http._tcp", mv, "SRV", 10),
		dnstest.Instance("h-1", cloudmap.Unknown, cloudmap.AttrIPv4, "10.0.3.1", cloudmap.AttrPort, "80"))
	put(f.local, dnstest.Service(f.local, "cn", w, "CNAME", 300),
		dnstest.Instance("c-1", cloudmap.Unknown, cloudmap.AttrCNAME, "backend.example.org"))
	put(f.local, dnstest.Service(f.local, "empty", mv, "A", 60))
	httpSvc := dnstest.Service(f.local, "httpsvc", mv, "A", 60)
	httpSvc.Type, httpSvc.DnsConfig = cloudmap.ServiceHTTP, nil
	put(f.local, httpSvc, ip4("x-1", "10.0.9.9"))
	put(f.local, custom(dnstest.Service(f.local, "mvhealth", mv, "A", 5)),
		dnstest.Instance("m-1", cloudmap.Healthy, cloudmap.AttrIPv4, "10.0.4.1"),
		dnstest.Instance("m-2", cloudmap.Unhealthy, cloudmap.AttrIPv4, "10.0.4.2"),
		dnstest.Instance("m-3", cloudmap.Unhealthy, cloudmap.AttrIPv4, "10.0.4.3"))
	put(f.local, custom(dnstest.Service(f.local, "mvdead", mv, "A", 5)),
		dnstest.Instance("d-1", cloudmap.Unhealthy, cloudmap.AttrIPv4, "10.0.5.1"),
		dnstest.Instance("d-2", cloudmap.Unhealthy, cloudmap.AttrIPv4, "10.0.5.2"),
		dnstest.Instance("d-3", cloudmap.Unhealthy, cloudmap.AttrIPv4, "10.0.5.3"))
	put(f.local, custom(dnstest.Service(f.local, "whealth", w, "A", 7)),
		dnstest.Instance("w-1", cloudmap.Unhealthy, cloudmap.AttrIPv4, "10.0.6.1"),
		dnstest.Instance("w-2", cloudmap.Healthy, cloudmap.AttrIPv4, "10.0.6.2"),
		dnstest.Instance("w-3", cloudmap.Unhealthy, cloudmap.AttrIPv4, "10.0.6.3"))
	put(f.local, custom(dnstest.Service(f.local, "wdead", w, "A", 7)),
		dnstest.Instance("v-1", cloudmap.Unhealthy, cloudmap.AttrIPv4, "10.0.7.1"))
	put(f.com, dnstest.Service(f.com, "www", mv, "A", 60), ip4("p-1", "192.0.2.1"))
	put(f.shPriv, dnstest.Service(f.shPriv, "app", mv, "A", 60), ip4("in-1", "10.10.0.1"))
	put(f.shPub, dnstest.Service(f.shPub, "app", mv, "A", 60), ip4("out-1", "198.51.100.1"))
	return f
}

func newServer(t testing.TB, src dnsserver.Source) *dnsserver.Server {
	t.Helper()
	return dnsserver.New(src, dnsserver.Config{Addr: "127.0.0.1:0"})
}

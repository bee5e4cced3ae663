package acceptance_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/dnsserver/dnstest"
)

// answers returns the answer section as sorted one-line strings without TTL
// jitter ("name TTL IN TYPE data").
func answers(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		out = append(out, strings.Join(strings.Fields(rr.String()), " "))
	}
	sort.Strings(out)
	return out
}

func TestDNS_RegisterThenQuery(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createPrivateNamespace(t, n, "example.local", 30)
	svc := createService(t, n, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: &nsID,
		DnsConfig: &types.DnsConfig{RoutingPolicy: types.RoutingPolicyMultivalue, DnsRecords: []types.DnsRecord{
			{Type: types.RecordTypeA, TTL: aws.Int64(60)}}},
		HealthCheckCustomConfig: &types.HealthCheckCustomConfig{}})
	register(t, n, *svc.Id, "web-1", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1", "AWS_INSTANCE_PORT": "8080"})
	// The model allows A, AAAA, A+AAAA, SRV or CNAME: SRV gets its own service.
	srv := createService(t, n, &sd.CreateServiceInput{Name: aws.String("_web._tcp"), NamespaceId: &nsID,
		DnsConfig: &types.DnsConfig{RoutingPolicy: types.RoutingPolicyMultivalue, DnsRecords: []types.DnsRecord{
			{Type: types.RecordTypeSrv, TTL: aws.Int64(60)}}}})
	register(t, n, *srv.Id, "web-1", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1", "AWS_INSTANCE_PORT": "8080"})

	// The zone's SOA, which negative answers carry in their authority section.
	soa := n.Query(t, "udp", "example.local", dns.TypeSOA).Answer
	for _, proto := range []string{"udp", "tcp"} {
		for _, c := range []dnstest.Case{
			{Qname: "web.example.local", Qtype: dns.TypeA, AA: true, Answer: dnstest.RRs("web.example.local. 60 IN A 10.0.0.1")},
			{Qname: "_WEB._tcp.Example.Local", Qtype: dns.TypeSRV, AA: true,
				Answer: dnstest.RRs("_WEB._tcp.Example.Local. 60 IN SRV 1 1 8080 web-1._web._tcp.example.local.")},
			{Qname: "web-1._web._tcp.example.local", Qtype: dns.TypeA, AA: true,
				Answer: dnstest.RRs("web-1._web._tcp.example.local. 60 IN A 10.0.0.1")},
			// NXDOMAIN with the SOA.
			{Qname: "nope.example.local", Qtype: dns.TypeA, AA: true, Rcode: dns.RcodeNameError, Ns: soa},
			// "_tcp.example.local" exists as an empty non-terminal above "_web._tcp": NODATA.
			{Qname: "_tcp.example.local", Qtype: dns.TypeA, AA: true, Ns: soa},
			// REFUSED outside every zone.
			{Qname: "www.example.org", Qtype: dns.TypeA, Rcode: dns.RcodeRefused},
		} {
			t.Run(proto+"/"+c.Name(), func(t *testing.T) { n.Ask(t, proto, c) })
		}
	}
	// A second instance appears; unhealthy and deregistered ones leave.
	register(t, n, *svc.Id, "web-2", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.2", "AWS_INSTANCE_PORT": "8080"})
	if got := len(n.Query(t, "udp", "web.example.local", dns.TypeA).Answer); got != 2 {
		t.Errorf("after second registration: %d A records, want 2", got)
	}
	if _, err := n.Client.UpdateInstanceCustomHealthStatus(ctx, &sd.UpdateInstanceCustomHealthStatusInput{
		ServiceId: svc.Id, InstanceId: aws.String("web-1"), Status: types.CustomHealthStatusUnhealthy}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(answers(n.Query(t, "udp", "web.example.local", dns.TypeA))); got != "[web.example.local. 60 IN A 10.0.0.2]" {
		t.Errorf("after web-1 unhealthy: %s", got)
	}
	deregister(t, n, *svc.Id, "web-2")
	// web-1 is unhealthy and alone: MULTIVALUE answers it rather than nothing.
	n.Ask(t, "tcp", dnstest.Case{Qname: "web.example.local", Qtype: dns.TypeA, AA: true,
		Answer: dnstest.RRs("web.example.local. 60 IN A 10.0.0.1")})
}

func TestDNS_TTLUpdateAndWeighted(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createPrivateNamespace(t, n, "w.local", 15)
	svc := createService(t, n, &sd.CreateServiceInput{Name: aws.String("api"), NamespaceId: &nsID,
		DnsConfig: &types.DnsConfig{RoutingPolicy: types.RoutingPolicyWeighted, DnsRecords: []types.DnsRecord{
			{Type: types.RecordTypeA, TTL: aws.Int64(100)}}}})
	for i := 1; i <= 5; i++ {
		register(t, n, *svc.Id, fmt.Sprintf("i%d", i), map[string]string{"AWS_INSTANCE_IPV4": fmt.Sprintf("10.9.0.%d", i)})
	}
	seen := map[string]bool{}
	for i := 0; i < 60; i++ {
		r := n.Query(t, "udp", "api.w.local", dns.TypeA)
		if len(r.Answer) != 1 {
			t.Fatalf("WEIGHTED answered %d records, want 1", len(r.Answer))
		}
		seen[r.Answer[0].(*dns.A).A.String()] = true
	}
	if len(seen) < 3 {
		t.Errorf("WEIGHTED picked only %v in 60 queries", seen)
	}
	up, err := n.Client.UpdateService(ctx, &sd.UpdateServiceInput{Id: svc.Id, Service: &types.ServiceChange{
		DnsConfig: &types.DnsConfigChange{DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(7)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	n.WaitOperation(t, *up.OperationId)
	if ttl := n.Query(t, "udp", "api.w.local", dns.TypeA).Answer[0].Header().Ttl; ttl != 7 {
		t.Errorf("TTL after UpdateService = %d, want 7", ttl)
	}
	soa := n.Query(t, "udp", "w.local", dns.TypeSOA)
	if len(soa.Answer) != 1 || soa.Answer[0].Header().Rrtype != dns.TypeSOA || soa.Answer[0].Header().Ttl != 15 {
		t.Errorf("apex SOA = %v, want one SOA with TTL 15", soa.Answer)
	}
	if ns := n.Query(t, "tcp", "w.local", dns.TypeNS); len(ns.Answer) == 0 {
		t.Error("apex NS empty")
	}
}

func TestDNS_HTTPNamespacesNotServed(t *testing.T) {
	n := acceptance.MustStart(t)
	createHTTPNamespace(t, n, "httponly.local")
	if r := n.Query(t, "udp", "httponly.local", dns.TypeSOA); r.Rcode != dns.RcodeRefused {
		t.Errorf("HTTP namespace in DNS: rcode %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}
}

package dnsserver_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/miekg/dns"

	cloudmap "github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/dnsserver/dnstest"
)

// putBig registers n instances 10.20.x.y in service name of f.local, every
// third one unhealthy when health is true.
func putBig(f *fixture, name string, policy cloudmap.RoutingPolicy, n int, health bool) {
	svc := dnstest.Service(f.local, name, policy, "A", 60)
	if health {
		svc.HealthCheckCustomConfig = &cloudmap.HealthCheckCustomConfig{}
	}
	var ins []cloudmap.InstanceEntry
	for i := range n {
		h := cloudmap.Unknown
		if health {
			h = cloudmap.Healthy
			if i%3 == 0 {
				h = cloudmap.Unhealthy
			}
		}
		ins = append(ins, dnstest.Instance(fmt.Sprintf("i-%04d", i), h,
			cloudmap.AttrIPv4, fmt.Sprintf("10.20.%d.%d", i/250, i%250+1)))
	}
	f.src.PutService(dnstest.Entry(f.local, svc, ins...))
}

// TestServer_Answer_multivalueSelection checks Route 53's multivalue rule
// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy-multivalue.html):
// up to eight healthy records, different combinations across queries, for
// small services (full scan) and big ones (sampling).
func TestServer_Answer_multivalueSelection(t *testing.T) {
	for _, tc := range []struct {
		name   string
		n      int
		health bool
	}{{"small", 20, false}, {"big", 1000, false}, {"bighealth", 1000, true}, {"smallhealth", 20, true}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			putBig(f, tc.name, cloudmap.RoutingMultivalue, tc.n, tc.health)
			s := newServer(t, f.src)
			sets, seen := map[string]bool{}, map[string]bool{}
			for range 50 {
				r := s.Answer(query(tc.name+".example.local.", dns.TypeA), privateClient, 512)
				if got, want := len(r.Answer), 8; got != want {
					t.Fatalf("%d records, want %d", got, want)
				}
				var ips []string
				for _, a := range r.Answer {
					ip := a.(*dns.A).A.String()
					var i, j int
					fmt.Sscanf(ip, "10.20.%d.%d", &i, &j)
					if tc.health && (i*250+j-1)%3 == 0 {
						t.Errorf("unhealthy instance %s answered", ip)
					}
					ips = append(ips, ip)
					seen[ip] = true
				}
				sort.Strings(ips)
				for k := 1; k < len(ips); k++ {
					if ips[k] == ips[k-1] {
						t.Fatalf("duplicate record %s in %v", ips[k], ips)
					}
				}
				sets[strings.Join(ips, ",")] = true
			}
			if len(sets) < 10 {
				t.Errorf("only %d different selections in 50 queries", len(sets))
			}
			healthy := tc.n
			if tc.health {
				healthy -= (tc.n + 2) / 3
			}
			if min := min(healthy, 40); len(seen) < min {
				t.Errorf("only %d different instances answered, want at least %d", len(seen), min)
			}
		})
	}
}

func TestServer_Answer_weightedSpreads(t *testing.T) {
	f := newFixture(t)
	putBig(f, "wbig", cloudmap.RoutingWeighted, 5, false)
	s := newServer(t, f.src)
	seen := map[string]int{}
	for range 200 {
		r := s.Answer(query("wbig.example.local.", dns.TypeA), privateClient, 512)
		if len(r.Answer) != 1 {
			t.Fatalf("WEIGHTED answered %d records, want 1", len(r.Answer))
		}
		seen[r.Answer[0].(*dns.A).A.String()]++
	}
	if len(seen) != 5 {
		t.Errorf("WEIGHTED picked %v in 200 queries, want all 5 instances", seen)
	}
}

// TestServer_Answer_freshness: every query reads the live entry, so TTL
// changes, deregistrations and health changes show on the next query.
func TestServer_Answer_freshness(t *testing.T) {
	f := newFixture(t)
	s := newServer(t, f.src)
	ask := func() string {
		return fmt.Sprint(rrStrings(s.Answer(query("fresh.example.local.", dns.TypeA), privateClient, 0).Answer))
	}
	svc := dnstest.Service(f.local, "fresh", cloudmap.RoutingMultivalue, "A", 60)
	svc.HealthCheckCustomConfig = &cloudmap.HealthCheckCustomConfig{}
	a := dnstest.Instance("a", cloudmap.Healthy, cloudmap.AttrIPv4, "10.30.0.1")
	b := dnstest.Instance("b", cloudmap.Healthy, cloudmap.AttrIPv4, "10.30.0.2")
	steps := []struct {
		name string
		put  func()
		want string
	}{
		{"registered", func() { f.src.PutService(dnstest.Entry(f.local, svc, a, b)) },
			"[fresh.example.local. 60 IN A 10.30.0.1 fresh.example.local. 60 IN A 10.30.0.2]"},
		{"ttl updated", func() {
			svc2 := *svc
			svc2.DnsConfig = &cloudmap.DnsConfig{RoutingPolicy: cloudmap.RoutingMultivalue,
				DnsRecords: []cloudmap.DnsRecord{{Type: cloudmap.RecordA, TTL: 7}}}
			svc = &svc2
			f.src.PutService(dnstest.Entry(f.local, svc, a, b))
		}, "[fresh.example.local. 7 IN A 10.30.0.1 fresh.example.local. 7 IN A 10.30.0.2]"},
		{"b unhealthy", func() {
			b2 := b
			b2.Health = cloudmap.Unhealthy
			f.src.PutService(dnstest.Entry(f.local, svc, a, b2))
		}, "[fresh.example.local. 7 IN A 10.30.0.1]"},
		{"a deregistered", func() { f.src.PutService(dnstest.Entry(f.local, svc, b)) },
			"[fresh.example.local. 7 IN A 10.30.0.2]"},
		{"service deleted", func() { f.src.RemoveService(f.local.Id, "fresh") }, "[]"},
	}
	for _, st := range steps {
		st.put()
		if got := ask(); got != st.want {
			t.Errorf("%s: got %s, want %s", st.name, got, st.want)
		}
	}
	serial := f.src.ZoneSerial(f.local.Id)
	soa := s.Answer(query("example.local.", dns.TypeSOA), privateClient, 0).Answer[0].(*dns.SOA)
	if soa.Serial != serial {
		t.Errorf("SOA serial %d, want the zone serial %d", soa.Serial, serial)
	}
}

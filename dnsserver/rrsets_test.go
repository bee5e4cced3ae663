package dnsserver_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	cloudmap "github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/dnsserver"
)

// setString renders a record set on one line.
func setString(rs cloudmap.RecordSet) string {
	return fmt.Sprintf("%s %s %d id=%s %s %s", rs.Name, rs.Type, rs.TTL, rs.SetIdentifier, rs.Routing, strings.Join(rs.Values, "|"))
}

func setStrings(sets []cloudmap.RecordSet) []string {
	var out []string
	for _, rs := range sets {
		out = append(out, setString(rs))
	}
	slices.Sort(out)
	return out
}

func TestRecordSets(t *testing.T) {
	src, com, _ := nsFixture(t)
	servers, _ := dnsserver.ParseNameServers("ns1.example.com=192.0.2.53,ns1.example.com=2001:db8::53,ns2.provider.net=198.51.100.7")
	got := setStrings(dnsserver.RecordSets(src, com, servers))
	soa := fmt.Sprintf("ns1.example.com. hostmaster.example.com. %d 7200 900 1209600 86400", src.ZoneSerial(com.Id))
	want := sorted([]string{
		"example.com. NS 172800 id=  ns1.example.com.|ns2.provider.net.",
		"example.com. SOA 60 id=  " + soa,
		"ns1.example.com. A 172800 id=  192.0.2.53",
		"ns1.example.com. AAAA 172800 id=  2001:db8::53",
		// The service "ns1" is hidden by the name server of that name.
		"www.example.com. A 60 id=w-1 MULTIVALUE 192.0.2.1",
	})
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("RecordSets:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}

	f := newFixture(t)
	got = setStrings(dnsserver.RecordSets(f.src, f.local, nil))
	for _, w := range []string{
		"example.local. NS 172800 id=  ns-1.cloudmap.invalid.",
		"web.example.local. A 60 id=web-1 MULTIVALUE 10.0.0.1",
		"web.example.local. AAAA 120 id=web-1 MULTIVALUE fd00::1",
		"web.example.local. A 60 id=web-2 MULTIVALUE 10.0.0.2",
		"api.example.local. SRV 30 id=api-1 MULTIVALUE 1 1 8080 api-1.api.example.local.",
		"api-1.api.example.local. A 30 id=api-1 MULTIVALUE 10.0.1.1",
		"api-2.api.example.local. AAAA 30 id=api-2 MULTIVALUE fd00::2",
		"b-1.both.example.local. A 40 id=b-1 WEIGHTED 10.0.2.1",
		"cn.example.local. CNAME 300 id=c-1 WEIGHTED backend.example.org.",
		// Unhealthy instances keep their record sets.
		"mvdead.example.local. A 5 id=d-1 MULTIVALUE 10.0.5.1",
	} {
		if !slices.Contains(got, w) {
			t.Errorf("RecordSets(example.local) lacks %q", w)
		}
	}
	for _, s := range got {
		if strings.HasPrefix(s, "empty.") || strings.HasPrefix(s, "httpsvc.") {
			t.Errorf("RecordSets(example.local) has %q: services without instances or DNS have no record sets", s)
		}
	}
}

// Every record set is what DNS answers: a query for a set's name and type
// returns only values of that name's and type's sets, and when the sets
// are few enough for one MULTIVALUE answer, all of them.
func TestRecordSets_matchDNS(t *testing.T) {
	f := newFixture(t)
	s := newServer(t, f.src)
	groups := map[string][]string{}
	policy := map[string]cloudmap.RoutingPolicy{}
	for _, rs := range dnsserver.RecordSets(f.src, f.local, nil) {
		k := rs.Name + " " + rs.Type
		groups[k] = append(groups[k], rs.Values...)
		policy[k] = rs.Routing
	}
	for k, values := range groups {
		name, typ, _ := strings.Cut(k, " ")
		r := s.Answer(query(name, dns.StringToType[typ]), privateClient, 0)
		if len(r.Answer) == 0 {
			t.Errorf("%s: DNS answers nothing for a listed record set", k)
			continue
		}
		var answered []string
		for _, rr := range r.Answer {
			v := strings.TrimPrefix(rr.String(), rr.Header().String())
			answered = append(answered, v)
			if !slices.Contains(values, v) {
				t.Errorf("%s: DNS answers %q, not among the listed values %v", k, v, values)
			}
		}
		if policy[k] == cloudmap.RoutingMultivalue && len(values) <= 8 && !strings.HasPrefix(name, "mv") {
			if fmt.Sprint(sorted(answered)) != fmt.Sprint(sorted(values)) {
				t.Errorf("%s: DNS answers %v, want every listed value %v", k, answered, values)
			}
		}
	}
	for _, name := range []string{"web.example.local.", "api.example.local.", "cn.example.local.", "h-1._http._tcp.example.local."} {
		found := false
		for k := range groups {
			found = found || strings.HasPrefix(k, name+" ")
		}
		if !found {
			t.Errorf("%s answers in DNS but has no record set", name)
		}
	}
}

// CountRecordSets walks the same sets as RecordSets without building them.
func TestCountRecordSets(t *testing.T) {
	f := newFixture(t)
	src, com, _ := nsFixture(t)
	servers, _ := dnsserver.ParseNameServers("ns1.example.com=192.0.2.53,ns1.example.com=2001:db8::53,ns2.provider.net=198.51.100.7,api-1.api.example.local=10.0.0.53")
	for _, tc := range []struct {
		src     dnsserver.Lister
		ns      *cloudmap.Namespace
		servers []dnsserver.NameServer
	}{
		{f.src, f.local, nil}, {f.src, f.local, servers}, {f.src, f.com, servers}, {src, com, servers}, {src, com, nil},
	} {
		sets := dnsserver.RecordSets(tc.src, tc.ns, tc.servers)
		if got, want := dnsserver.CountRecordSets(tc.src, tc.ns, tc.servers), len(sets); got != want {
			t.Errorf("%s with %d name servers: CountRecordSets = %d, RecordSets has %d", tc.ns.Name, len(tc.servers), got, want)
		}
	}
	// The name server host api-1.api.example.local hides that SRV target.
	for _, rs := range dnsserver.RecordSets(f.src, f.local, servers) {
		if rs.Name == "api-1.api.example.local." && rs.SetIdentifier != "" {
			t.Errorf("hidden SRV target listed: %s", setString(rs))
		}
	}
}

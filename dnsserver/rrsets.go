package dnsserver

import (
	"strings"

	"github.com/miekg/dns"

	cloudmap "github.com/cloudmap/cloudmap"
)

// Lister is a Source that also lists the services of a namespace, which
// RecordSets needs and answering queries does not.
type Lister interface {
	Source
	// Services returns every service of the namespace, in any order.
	Services(namespaceID string) []*cloudmap.ServiceEntry
}

// RecordSets returns every record set of the zone of ns, in no particular
// order: the apex NS and SOA, the glue addresses of the name servers
// (servers, Config.NameServers) whose names lie in the zone, and for every
// instance the records DNS serves for it: the service's A, AAAA, SRV or
// CNAME record and, with SRV, the A and AAAA records of the SRV target.
// Values are built by the code that answers queries, so a listing and a
// query agree; health decides which records a query returns, not which
// exist, so every instance's records are listed.
func RecordSets(src Lister, ns *cloudmap.Namespace, servers []NameServer) []cloudmap.RecordSet {
	apex := dns.CanonicalName(ns.Name)
	z := zone{ns: ns, apex: apex, serial: src.ZoneSerial(ns.Id), servers: servers}
	soa := z.soa(z.soaTTL())
	sets := []cloudmap.RecordSet{
		{Name: apex, Type: "NS", TTL: NSTTL, Values: nsNames(servers)},
		{Name: apex, Type: "SOA", TTL: int64(soa.Hdr.Ttl), Values: []string{rdata(soa)}},
	}
	hosts := map[string]bool{}
	for _, host := range nsNames(servers) {
		if len(servers) == 0 || !inZone(host, apex) {
			continue
		}
		hosts[host] = true
		for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
			var m dns.Msg
			m.Answer = appendAddrs(nil, host, NSTTL, hostAddrs(servers, host),
				t == dns.TypeA, t == dns.TypeAAAA)
			if len(m.Answer) > 0 {
				sets = append(sets, rrSet(m.Answer, "", ""))
			}
		}
	}
	for _, e := range src.Services(ns.Id) {
		if !serves(e) {
			continue
		}
		sets = appendServiceSets(sets, e, hosts)
	}
	return sets
}

// appendServiceSets appends the per-instance record sets of a service,
// skipping names that a name server host in the zone hides.
func appendServiceSets(sets []cloudmap.RecordSet, e *cloudmap.ServiceEntry, hosts map[string]bool) []cloudmap.RecordSet {
	policy := e.Service.DnsConfig.RoutingPolicy
	if policy == "" {
		policy = cloudmap.RoutingWeighted
	}
	owner := dns.CanonicalName(e.Service.Name + "." + strings.TrimSuffix(e.Namespace.Name, "."))
	srv, hasSRV := e.Service.Record(cloudmap.RecordSRV)
	for i := range e.Instances {
		in := &e.Instances[i]
		one := &cloudmap.ServiceEntry{Service: e.Service, Namespace: e.Namespace,
			Instances: []cloudmap.InstanceEntry{{Instance: in.Instance, Health: cloudmap.Healthy}}}
		for _, rec := range e.Service.DnsConfig.DnsRecords {
			var m dns.Msg
			if hosts[owner] || addRecords(&m, one, owner, rec, 1) == 0 {
				continue
			}
			sets = append(sets, rrSet(m.Answer, in.Instance.Id, policy))
		}
		if !hasSRV || !hasValue(e, in, cloudmap.RecordSRV) {
			continue
		}
		target := dns.CanonicalName(srvTarget(e, in.Instance.Id))
		if hosts[target] {
			continue
		}
		for _, rr := range appendTargetAddrs(nil, e, srv, in.Instance, target, nil) {
			sets = append(sets, rrSet([]dns.RR{rr}, in.Instance.Id, policy))
		}
	}
	return sets
}

// rrSet makes a record set of records of one name and type.
func rrSet(rrs []dns.RR, id string, policy cloudmap.RoutingPolicy) cloudmap.RecordSet {
	h := rrs[0].Header()
	set := cloudmap.RecordSet{Name: dns.CanonicalName(h.Name), Type: dns.TypeToString[h.Rrtype], TTL: int64(h.Ttl),
		SetIdentifier: id, Routing: policy}
	for _, rr := range rrs {
		set.Values = append(set.Values, rdata(rr))
	}
	return set
}

// rdata is the data of rr in presentation format (its text without the
// owner, TTL, class and type).
func rdata(rr dns.RR) string {
	return strings.TrimPrefix(rr.String(), rr.Header().String())
}

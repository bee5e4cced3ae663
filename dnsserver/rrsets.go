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
	w := rrWalker{build: true}
	w.zone(src, ns, servers)
	return w.sets
}

// CountRecordSets returns len(RecordSets(src, ns, servers)) without
// building the record sets.
func CountRecordSets(src Lister, ns *cloudmap.Namespace, servers []NameServer) int {
	var w rrWalker
	w.zone(src, ns, servers)
	return w.n
}

// rrWalker walks the record sets of a zone, building them or, when build
// is false, only counting them: one walk, so the two cannot disagree.
type rrWalker struct {
	build bool
	sets  []cloudmap.RecordSet
	n     int
}

func (w *rrWalker) zone(src Lister, ns *cloudmap.Namespace, servers []NameServer) {
	apex := dns.CanonicalName(ns.Name)
	w.n += 2
	if w.build {
		z := zone{ns: ns, apex: apex, serial: src.ZoneSerial(ns.Id), servers: servers}
		soa := z.soa(z.soaTTL())
		w.sets = append(w.sets,
			cloudmap.RecordSet{Name: apex, Type: "NS", TTL: NSTTL, Values: nsNames(servers)},
			cloudmap.RecordSet{Name: apex, Type: "SOA", TTL: int64(soa.Hdr.Ttl), Values: []string{rdata(soa)}})
	}
	var hosts map[string]bool
	for _, host := range nsNames(servers) {
		if len(servers) == 0 || !inZone(host, apex) {
			continue
		}
		if hosts == nil {
			hosts = map[string]bool{}
		}
		hosts[host] = true
		addrs := hostAddrs(servers, host)
		for _, v4 := range []bool{true, false} {
			if rrs := appendAddrs(nil, host, NSTTL, addrs, v4, !v4); len(rrs) > 0 {
				w.n++
				if w.build {
					w.sets = append(w.sets, rrSet(rrs, "", ""))
				}
			}
		}
	}
	for _, e := range src.Services(ns.Id) {
		if serves(e) {
			w.service(e, hosts)
		}
	}
}

// service walks the per-instance record sets of a service, skipping names
// that a name server host in the zone hides.
func (w *rrWalker) service(e *cloudmap.ServiceEntry, hosts map[string]bool) {
	policy := e.Service.DnsConfig.RoutingPolicy
	if policy == "" {
		policy = cloudmap.RoutingWeighted
	}
	owner := dns.CanonicalName(e.Service.Name + "." + strings.TrimSuffix(e.Namespace.Name, "."))
	hidden := hosts[owner] // answered by the name server host of that name
	srv, hasSRV := e.Service.Record(cloudmap.RecordSRV)
	for i := range e.Instances {
		in := &e.Instances[i]
		for _, rec := range e.Service.DnsConfig.DnsRecords {
			if hidden || !hasValue(e, in, rec.Type) {
				continue
			}
			w.n++
			if w.build {
				one := &cloudmap.ServiceEntry{Service: e.Service, Namespace: e.Namespace,
					Instances: []cloudmap.InstanceEntry{{Instance: in.Instance, Health: cloudmap.Healthy}}}
				var m dns.Msg
				addRecords(&m, one, owner, rec, 1)
				w.sets = append(w.sets, rrSet(m.Answer, in.Instance.Id, policy))
			}
		}
		if !hasSRV || !hasValue(e, in, cloudmap.RecordSRV) {
			continue
		}
		var target string
		if w.build || hosts != nil {
			if target = dns.CanonicalName(srvTarget(e, in.Instance.Id)); hosts[target] {
				continue
			}
		}
		_, has4 := ipv4(in.Instance.Attributes)
		_, has6 := ipv6(in.Instance.Attributes)
		if !w.build {
			w.n += b2i(has4) + b2i(has6)
			continue
		}
		for _, rr := range appendTargetAddrs(nil, e, srv, in.Instance, target, nil) {
			w.n++
			w.sets = append(w.sets, rrSet([]dns.RR{rr}, in.Instance.Id, policy))
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
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

package dnsserver

import (
	"net/netip"

	"github.com/miekg/dns"

	cloudmap "github.com/cloudmap/cloudmap"
)

// answerTarget answers for an SRV target name
// <instance-id>.<service-name> (relative to the zone) and reports whether
// rel is one. Cloud Map creates A and AAAA records for the target from the
// instance's IPv4 and IPv6 attributes; they carry the service's A (AAAA)
// TTL when it has that record type, else the SRV TTL. A target answers
// whatever the instance's health: its record set has one record, which
// Route 53 returns even when unhealthy (see pick).
func (s *Server) answerTarget(m *dns.Msg, z *zone, name, rel string, qtype uint16) bool {
	for i := 0; i < len(rel); i++ {
		if rel[i] != '.' || i == 0 {
			continue
		}
		e := s.src.ServiceNamed(z.ns.Id, rel[i+1:])
		if e == nil || !serves(e) {
			continue
		}
		srv, ok := e.Service.Record(cloudmap.RecordSRV)
		if !ok {
			continue
		}
		in := findInstance(e, rel[:i])
		if in == nil || !hasValue(e, in, cloudmap.RecordSRV) {
			continue
		}
		_, has4 := ipv4(in.Instance.Attributes)
		_, has6 := ipv6(in.Instance.Attributes)
		if !has4 && !has6 {
			continue
		}
		one := &cloudmap.ServiceEntry{Service: e.Service, Namespace: e.Namespace,
			Instances: []cloudmap.InstanceEntry{{Instance: in.Instance, Health: cloudmap.Healthy}}}
		switch {
		case (qtype == dns.TypeA || qtype == dns.TypeANY) && has4:
			addRecords(m, one, name, targetRecord(e, srv, cloudmap.RecordA), 1)
		case (qtype == dns.TypeAAAA || qtype == dns.TypeANY) && has6:
			addRecords(m, one, name, targetRecord(e, srv, cloudmap.RecordAAAA), 1)
		default:
			z.nodata(m)
		}
		return true
	}
	return false
}

// targetRecord is the record of type t (A or AAAA) of an SRV target: the
// service's own record of that type when it has one, else one with the
// TTL of the SRV record srv.
func targetRecord(e *cloudmap.ServiceEntry, srv cloudmap.DnsRecord, t cloudmap.RecordType) cloudmap.DnsRecord {
	if r, ok := e.Service.Record(t); ok {
		return r
	}
	return cloudmap.DnsRecord{Type: t, TTL: srv.TTL}
}

// appendTargetAddrs appends the A and AAAA records of the SRV target of
// instance in (owned by target) to the additional section rrs, as Route 53
// does for SRV answers; they are what a query for the target answers.
func appendTargetAddrs(rrs []dns.RR, e *cloudmap.ServiceEntry, srv cloudmap.DnsRecord, in *cloudmap.Instance, target string) []dns.RR {
	if a, ok := ipv4(in.Attributes); ok {
		rrs = appendAddrs(rrs, target, clampTTL(targetRecord(e, srv, cloudmap.RecordA).TTL), []netip.Addr{a}, true, false)
	}
	if a, ok := ipv6(in.Attributes); ok {
		rrs = appendAddrs(rrs, target, clampTTL(targetRecord(e, srv, cloudmap.RecordAAAA).TTL), []netip.Addr{a}, false, true)
	}
	return rrs
}

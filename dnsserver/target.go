package dnsserver

import (
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
// does for SRV answers; they are what a query for the target answers. The
// records come from slab when it is not nil.
func appendTargetAddrs(rrs []dns.RR, e *cloudmap.ServiceEntry, srv cloudmap.DnsRecord, in *cloudmap.Instance, target string, slab *glueSlab) []dns.RR {
	if slab == nil {
		slab = newGlueSlab(1)
	}
	if a, ok := ipv4(in.Attributes); ok {
		rr := slab.nextA()
		rr.Hdr = dns.RR_Header{Name: target, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: clampTTL(targetRecord(e, srv, cloudmap.RecordA).TTL)}
		a4 := a.As4()
		rr.A = slab.ip(a4[:])
		rrs = append(rrs, rr)
	}
	if a, ok := ipv6(in.Attributes); ok {
		rr := slab.nextAAAA()
		rr.Hdr = dns.RR_Header{Name: target, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: clampTTL(targetRecord(e, srv, cloudmap.RecordAAAA).TTL)}
		a16 := a.As16()
		rr.AAAA = slab.ip(a16[:])
		rrs = append(rrs, rr)
	}
	return rrs
}

// glueSlab hands out the additional records of one SRV answer from arrays
// sized for its n targets, so that a reply allocates a few slabs rather
// than three objects per record.
type glueSlab struct {
	n    int
	a    []dns.A
	aaaa []dns.AAAA
	ips  []byte
}

func newGlueSlab(n int) *glueSlab { return &glueSlab{n: n} }

func (g *glueSlab) nextA() *dns.A {
	if g.a == nil {
		g.a = make([]dns.A, 0, g.n)
	}
	if len(g.a) == cap(g.a) {
		return new(dns.A)
	}
	g.a = g.a[:len(g.a)+1]
	return &g.a[len(g.a)-1]
}

func (g *glueSlab) nextAAAA() *dns.AAAA {
	if g.aaaa == nil {
		g.aaaa = make([]dns.AAAA, 0, g.n)
	}
	if len(g.aaaa) == cap(g.aaaa) {
		return new(dns.AAAA)
	}
	g.aaaa = g.aaaa[:len(g.aaaa)+1]
	return &g.aaaa[len(g.aaaa)-1]
}

// ip copies b into the slab and returns the copy.
func (g *glueSlab) ip(b []byte) []byte {
	if g.ips == nil {
		g.ips = make([]byte, 0, 20*g.n)
	}
	if len(g.ips)+len(b) > cap(g.ips) {
		return append([]byte(nil), b...)
	}
	start := len(g.ips)
	g.ips = append(g.ips, b...)
	return g.ips[start:len(g.ips):len(g.ips)]
}

package dnsserver

import (
	"net/netip"

	"github.com/miekg/dns"

	cloudmap "github.com/cloudmap/cloudmap"
)

// Protocol choices (RFC references in the package documentation):
//
//   - opcode other than QUERY: NOTIMP;
//   - zero or several questions: FORMERR;
//   - a question without type and class (type 0 and class 0, which is also
//     how a question cut short after its name decodes): FORMERR (RFC 1035
//     section 4.1.2);
//   - more than one OPT record: FORMERR (RFC 6891 section 6.1.1);
//   - EDNS version other than 0: BADVERS;
//   - class other than IN (CHAOS, HESIOD, ANY, ...): NOTIMP;
//   - AXFR and IXFR: REFUSED (no zone transfers);
//   - meta types that are not questions (OPT, TSIG, TKEY): FORMERR;
//   - names outside every visible DNS namespace: REFUSED, without AA.
const (
	// advertisedUDPSize is the payload size this server advertises in its
	// OPT record (the DNS flag day 2020 value).
	advertisedUDPSize = 1232
	// maxUDPSize caps the client's advertised EDNS0 buffer size.
	maxUDPSize = 4096
)

// UDPSize returns the response size limit for a query received over UDP:
// 512 without EDNS0, else the client's advertised size, at least 512 and at
// most 4096.
func UDPSize(q *dns.Msg) int {
	opt := q.IsEdns0()
	if opt == nil {
		return dns.MinMsgSize
	}
	return min(max(int(opt.UDPSize()), dns.MinMsgSize), maxUDPSize)
}

// Answer is the whole DNS logic, callable without a socket. client is the
// querier's address (it decides which namespaces are visible). maxSize is
// the UDP payload limit (512, or the EDNS0 size); 0 means TCP (no limit up
// to 65535). Answer returns nil when nothing must be sent (q is nil or is a
// response).
func (s *Server) Answer(q *dns.Msg, client netip.Addr, maxSize int) *dns.Msg {
	if q == nil || q.Response {
		return nil
	}
	m := &dns.Msg{}
	m.Id, m.Response, m.Opcode = q.Id, true, q.Opcode
	m.RecursionDesired, m.CheckingDisabled = q.RecursionDesired, q.CheckingDisabled
	opt := q.IsEdns0()
	switch {
	case q.Opcode != dns.OpcodeQuery:
		m.Rcode = dns.RcodeNotImplemented
		return s.finish(m, opt, maxSize)
	case len(q.Question) != 1:
		m.Rcode = dns.RcodeFormatError
		return s.finish(m, opt, maxSize)
	case countOPT(q) > 1:
		m.Rcode = dns.RcodeFormatError
		return s.finish(m, nil, maxSize)
	case q.Question[0].Qtype == 0 && q.Question[0].Qclass == 0:
		m.Rcode = dns.RcodeFormatError
		return s.finish(m, opt, maxSize)
	}
	m.Question = q.Question
	question := q.Question[0]
	switch {
	case opt != nil && opt.Version() != 0:
		m.Rcode = dns.RcodeBadVers
	case question.Qclass != dns.ClassINET:
		m.Rcode = dns.RcodeNotImplemented
	case question.Qtype == dns.TypeAXFR || question.Qtype == dns.TypeIXFR:
		m.Rcode = dns.RcodeRefused
	case question.Qtype == dns.TypeOPT || question.Qtype == dns.TypeTSIG || question.Qtype == dns.TypeTKEY:
		m.Rcode = dns.RcodeFormatError
	default:
		s.answerQuestion(m, question, client)
	}
	return s.finish(m, opt, maxSize)
}

// countOPT returns the number of OPT records in the additional section.
func countOPT(q *dns.Msg) int {
	n := 0
	for _, rr := range q.Extra {
		if rr.Header().Rrtype == dns.TypeOPT {
			n++
		}
	}
	return n
}

// answerQuestion fills m for one IN question.
func (s *Server) answerQuestion(m *dns.Msg, question dns.Question, client netip.Addr) {
	name := question.Name
	if !dns.IsFqdn(name) {
		name = dns.Fqdn(name)
	}
	ns, zoneOff := s.findZone(name, client)
	if ns == nil {
		m.Rcode = dns.RcodeRefused
		return
	}
	m.Authoritative = true
	z := zone{ns: ns, apex: name[zoneOff:], serial: s.src.ZoneSerial(ns.Id), servers: s.cfg.NameServers}
	if zoneOff == 0 {
		s.answerApex(m, &z, name, question.Qtype)
		return
	}
	s.answerName(m, &z, name, name[:zoneOff-1], question.Qtype)
}

// findZone returns the most specific DNS namespace visible to client that
// contains name (a fully qualified name), and the offset in name where the
// zone's name starts; nil when there is none.
func (s *Server) findZone(name string, client netip.Addr) (*cloudmap.Namespace, int) {
	c := viewer{s: s, addr: client.Unmap()}
	for off := 0; off < len(name)-1; {
		if ns := c.visible(s.src.ZonesNamed(name[off : len(name)-1])); ns != nil {
			return ns, off
		}
		next, end := dns.NextLabel(name, off)
		if end || next <= off {
			break
		}
		off = next
	}
	return nil, 0
}

// viewer is the client of one query, with what it may see worked out once.
type viewer struct {
	s    *Server
	addr netip.Addr
	// private: 0 not worked out yet, 1 inside PrivateCIDRs, 2 outside.
	private int8
}

// seesPrivate reports whether the client may see the private namespace ns:
// it is inside the networks of the namespace's VPC when that VPC is
// declared, else inside PrivateCIDRs.
func (c *viewer) seesPrivate(ns *cloudmap.Namespace) bool {
	if nets, ok := c.s.cfg.VPCs[ns.Vpc]; ok {
		return contains(nets, c.addr)
	}
	if c.private == 0 {
		c.private = 2
		if contains(c.s.private, c.addr) {
			c.private = 1
		}
	}
	return c.private == 1
}

func contains(nets []netip.Prefix, a netip.Addr) bool {
	for _, p := range nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// visible picks the namespace the client sees among namespaces of the same
// name (oldest first, from every cell): the oldest private one it may see,
// else the oldest public one.
func (c *viewer) visible(zones []*cloudmap.Namespace) *cloudmap.Namespace {
	var public *cloudmap.Namespace
	for _, ns := range zones {
		switch ns.Type {
		case cloudmap.NamespaceDNSPrivate:
			if c.seesPrivate(ns) {
				return ns
			}
		case cloudmap.NamespaceDNSPublic:
			if public == nil {
				public = ns
			}
		}
	}
	return public
}

// finish adds the OPT record when the query had one and fits the message
// into maxSize (0: no limit).
func (s *Server) finish(m *dns.Msg, opt *dns.OPT, maxSize int) *dns.Msg {
	if opt != nil {
		o := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
		o.SetUDPSize(advertisedUDPSize)
		o.SetDo(opt.Do()) // RFC 3225: the DO bit is copied; the extended rcode is set by Pack
		m.Extra = append(m.Extra, o)
	}
	fit(m, maxSize)
	return m
}

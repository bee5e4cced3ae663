package dnsserver

import (
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// answerNS answers the apex NS question: one NS record per configured name
// server host (or the synthetic one), and in the additional section the
// addresses of those whose names lie inside the zone (glue: a resolver
// following the delegation could not find them otherwise).
func answerNS(m *dns.Msg, z *zone, name string) {
	for _, host := range nsNames(z.servers) {
		m.Answer = append(m.Answer, &dns.NS{
			Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: NSTTL},
			Ns:  host})
		if inZone(host, z.apex) {
			m.Extra = appendAddrs(m.Extra, host, NSTTL, hostAddrs(z.servers, host), true, true)
		}
	}
}

// answerHost answers for a configured name server host name inside the
// zone (its A and AAAA records from Config.NameServers) and reports whether
// name is one. Such a name hides a service of the same name.
func (s *Server) answerHost(m *dns.Msg, z *zone, name string, qtype uint16) bool {
	for _, ns := range z.servers {
		if !strings.EqualFold(ns.Name, name) {
			continue
		}
		addrs := hostAddrs(z.servers, ns.Name)
		want4 := qtype == dns.TypeA || qtype == dns.TypeANY
		want6 := qtype == dns.TypeAAAA || qtype == dns.TypeANY && !hasV4(addrs)
		m.Answer = appendAddrs(m.Answer, name, NSTTL, addrs, want4, want6)
		if len(m.Answer) == 0 {
			z.nodata(m)
		}
		return true
	}
	return false
}

// appendAddrs appends A records for the IPv4 addresses (when v4) and AAAA
// records for the IPv6 ones (when v6), owned by name.
func appendAddrs(rrs []dns.RR, name string, ttl uint32, addrs []netip.Addr, v4, v6 bool) []dns.RR {
	for _, a := range addrs {
		switch {
		case a.Is4() && v4:
			ip := a.As4()
			rrs = append(rrs, &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl},
				A: ip[:]})
		case a.Is6() && v6:
			ip := a.As16()
			rrs = append(rrs, &dns.AAAA{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: ttl},
				AAAA: ip[:]})
		}
	}
	return rrs
}

func hasV4(addrs []netip.Addr) bool {
	for _, a := range addrs {
		if a.Is4() {
			return true
		}
	}
	return false
}

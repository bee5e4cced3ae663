package dnsserver

import (
	"github.com/miekg/dns"

	cloudmap "github.com/cloudmap/cloudmap"
)

// Zone data. Every namespace is its own zone. Without Config.NameServers
// its SOA and NS records name this server with names under the reserved
// ".invalid" TLD (RFC 6761), so they can never point a resolver elsewhere;
// with them, the NS records list their names, the SOA MNAME is the first
// and the RNAME is hostmaster.<zone>. The SOA timers are Route 53's
// defaults for a new hosted zone.
const (
	// DefaultNameServer is the NS target and SOA MNAME of every zone when
	// no name servers are configured.
	DefaultNameServer = "ns-1.cloudmap.invalid."
	// DefaultHostmaster is the SOA RNAME of every zone when no name servers
	// are configured.
	DefaultHostmaster = "hostmaster.cloudmap.invalid."
	// DefaultSOATTL is the SOA TTL of a namespace without one (Route 53's default).
	DefaultSOATTL = 900
	// NSTTL is the TTL of the apex NS record (Route 53's default).
	NSTTL = 172800

	soaRefresh = 7200
	soaRetry   = 900
	soaExpire  = 1209600
	soaMinTTL  = 86400
)

// zone is one namespace as seen by one query.
type zone struct {
	ns      *cloudmap.Namespace
	apex    string // the zone name as spelled in the question, with the trailing dot
	serial  uint32
	servers []NameServer // Config.NameServers
}

// soaTTL returns the namespace's SOA TTL clamped to the uint32 range.
func (z *zone) soaTTL() uint32 {
	return clampTTL(z.ns.SOATTL(DefaultSOATTL))
}

// soa returns the zone's SOA record with the given TTL.
func (z *zone) soa(ttl uint32) *dns.SOA {
	mname, rname := DefaultNameServer, DefaultHostmaster
	if len(z.servers) > 0 {
		mname, rname = z.servers[0].Name, "hostmaster."+z.apex
	}
	return &dns.SOA{
		Hdr: dns.RR_Header{Name: z.apex, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
		Ns:  mname, Mbox: rname, Serial: z.serial,
		Refresh: soaRefresh, Retry: soaRetry, Expire: soaExpire, Minttl: soaMinTTL,
	}
}

// answerApex answers a question for the zone's own name.
func (s *Server) answerApex(m *dns.Msg, z *zone, name string, qtype uint16) {
	switch qtype {
	case dns.TypeSOA, dns.TypeANY: // ANY: one RRset (RFC 8482)
		m.Answer = append(m.Answer, z.soa(z.soaTTL()))
	case dns.TypeNS:
		answerNS(m, z, name)
	default:
		z.nodata(m)
	}
}

// negative adds the SOA for a negative answer; its TTL is the minimum of
// the SOA's TTL and its MINIMUM field (RFC 2308 section 3).
func (z *zone) negative(m *dns.Msg) {
	m.Ns = append(m.Ns, z.soa(min(z.soaTTL(), soaMinTTL)))
}

// nodata makes m a NODATA answer: NOERROR, no answer, the SOA.
func (z *zone) nodata(m *dns.Msg) {
	m.Answer = m.Answer[:0]
	z.negative(m)
}

// nxdomain makes m an NXDOMAIN answer with the SOA.
func (z *zone) nxdomain(m *dns.Msg) {
	m.Rcode = dns.RcodeNameError
	z.negative(m)
}

// clampTTL converts a configured TTL to the DNS range (0 to 2^31-1, RFC 2181).
func clampTTL(ttl int64) uint32 {
	return uint32(min(max(ttl, 0), 1<<31-1))
}

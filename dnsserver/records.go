package dnsserver

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	cloudmap "github.com/cloudmap/cloudmap"
)

// answerName answers a question for a name below the zone's apex; rel is
// that name relative to the apex, without the trailing dot.
func (s *Server) answerName(m *dns.Msg, z *zone, name, rel string, qtype uint16) {
	if len(z.servers) > 0 && s.answerHost(m, z, name, qtype) {
		return
	}
	if e := s.src.ServiceNamed(z.ns.Id, rel); e != nil && hasAnyRecord(e) {
		s.answerService(m, z, name, e, qtype)
		return
	}
	if s.answerTarget(m, z, name, rel, qtype) {
		return
	}
	if t, ok := s.src.(NameTree); ok && t.HasServiceBelow(z.ns.Id, rel) {
		z.nodata(m) // an empty non-terminal such as _tcp above _http._tcp
		return
	}
	z.nxdomain(m)
}

// answerService answers for a service's own name, which has at least one
// record: a CNAME answers every type, ANY gets one record set (RFC 8482),
// other types their records or NODATA.
func (s *Server) answerService(m *dns.Msg, z *zone, name string, e *cloudmap.ServiceEntry, qtype uint16) {
	if rec, ok := e.Service.Record(cloudmap.RecordCNAME); ok {
		addRecords(m, e, name, rec, 1)
		return
	}
	if qtype == dns.TypeANY {
		for _, rec := range e.Service.DnsConfig.DnsRecords {
			if addRecords(m, e, name, rec, limit(e)) > 0 {
				return
			}
		}
		z.nodata(m)
		return
	}
	if t := recordType(qtype); t != "" {
		if rec, ok := e.Service.Record(t); ok && addRecords(m, e, name, rec, limit(e)) > 0 {
			return
		}
	}
	z.nodata(m)
}

// limit is the number of records a query gets under the service's routing
// policy: up to 8 for MULTIVALUE (or the service's
// cloudmap.dns-max-answers), one for WEIGHTED (the default).
func limit(e *cloudmap.ServiceEntry) int {
	if e.Service.DnsConfig.RoutingPolicy == cloudmap.RoutingMultivalue {
		return e.Service.MaxAnswers()
	}
	return 1
}

// recordType maps a query type to the Cloud Map record type it reads.
func recordType(qtype uint16) cloudmap.RecordType {
	switch qtype {
	case dns.TypeA:
		return cloudmap.RecordA
	case dns.TypeAAAA:
		return cloudmap.RecordAAAA
	case dns.TypeSRV:
		return cloudmap.RecordSRV
	case dns.TypeCNAME:
		return cloudmap.RecordCNAME
	}
	return ""
}

// serves reports whether a service publishes DNS records at all.
func serves(e *cloudmap.ServiceEntry) bool {
	return e.Service.Type != cloudmap.ServiceHTTP && e.Service.DnsConfig != nil
}

// hasAnyRecord reports whether the service's name exists in DNS: Route 53
// holds a record set only while some instance provides a value for it.
func hasAnyRecord(e *cloudmap.ServiceEntry) bool {
	if !serves(e) {
		return false
	}
	for _, rec := range e.Service.DnsConfig.DnsRecords {
		for i := range e.Instances {
			if hasValue(e, &e.Instances[i], rec.Type) {
				return true
			}
		}
	}
	return false
}

// hasValue reports whether the instance provides a valid value for a
// record of type t.
func hasValue(e *cloudmap.ServiceEntry, in *cloudmap.InstanceEntry, t cloudmap.RecordType) bool {
	_, ok := value(e, in, t)
	return ok
}

// maxNameLen is the longest name in presentation format, without its final
// dot: 253 bytes are 255 on the wire (RFC 1035 section 3.1).
const maxNameLen = 253

// value reports whether the instance provides a valid value for a record
// of type t, and returns the address for A and AAAA.
func value(e *cloudmap.ServiceEntry, in *cloudmap.InstanceEntry, t cloudmap.RecordType) (netip.Addr, bool) {
	attrs := in.Instance.Attributes
	switch t {
	case cloudmap.RecordA:
		return ipv4(attrs)
	case cloudmap.RecordAAAA:
		return ipv6(attrs)
	case cloudmap.RecordSRV:
		_, ok := port(attrs)
		return netip.Addr{}, ok && validLabels(in.Instance.Id) && srvTargetLen(e, in.Instance.Id) <= maxNameLen
	case cloudmap.RecordCNAME:
		v := strings.TrimSuffix(attrs[cloudmap.AttrCNAME], ".")
		return netip.Addr{}, len(v) <= maxNameLen && validLabels(v)
	}
	return netip.Addr{}, false
}

func ipv4(attrs map[string]string) (netip.Addr, bool) {
	v := attrs[cloudmap.AttrIPv4]
	if v == "" { // ParseAddr allocates its error
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(v)
	return a, err == nil && a.Is4()
}

func ipv6(attrs map[string]string) (netip.Addr, bool) {
	v := attrs[cloudmap.AttrIPv6]
	if v == "" {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(v)
	return a, err == nil && a.Is6() && a.Zone() == ""
}

func port(attrs map[string]string) (uint16, bool) {
	p, err := strconv.ParseUint(attrs[cloudmap.AttrPort], 10, 16)
	return uint16(p), err == nil
}

// validLabels reports whether s is a sequence of dot-separated labels of 1
// to 63 bytes without bytes that need escaping in
// presentation format.
func validLabels(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			if n == 0 {
				return false
			}
			n = 0
		case c <= ' ' || c >= 0x7f || c == '\\':
			return false
		default:
			if n++; n > 63 {
				return false
			}
		}
	}
	return n > 0
}

// findInstance returns the instance with the ID, compared exactly first
// (instances are sorted by ID) and then case-insensitively.
func findInstance(e *cloudmap.ServiceEntry, id string) *cloudmap.InstanceEntry {
	ins := e.Instances
	if i := sort.Search(len(ins), func(i int) bool { return ins[i].Instance.Id >= id }); i < len(ins) && ins[i].Instance.Id == id {
		return &ins[i]
	}
	for i := range ins {
		if strings.EqualFold(ins[i].Instance.Id, id) {
			return &ins[i]
		}
	}
	return nil
}

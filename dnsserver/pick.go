package dnsserver

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"

	cloudmap "github.com/cloudmap/cloudmap"
)

// maxMultivalue is the number of records a MULTIVALUE answer holds at
// most, unless the service raises it (service attribute
// cloudmap.dns-max-answers, cloudmap.Service.MaxAnswers).
const maxMultivalue = cloudmap.DefaultDNSMaxAnswers

// scanBelow is the instance count under which selection scans every
// instance; above it, it samples random instances first.
const scanBelow = 32

// selection is the indexes of the instances chosen for one answer: up to
// len(idx) of them. The caller provides the slices (arrays on its stack
// for the usual 8).
type selection struct {
	idx  []int32
	addr []netip.Addr // the A or AAAA value of each
	n    int
}

// pick chooses up to k instances with a value for t, uniformly at random
// among the healthy ones; when none is healthy, among all of them (Route 53
// answers WEIGHTED "as if all the instances were healthy" and MULTIVALUE
// "with up to eight unhealthy records"). The order is random too.
func pick(e *cloudmap.ServiceEntry, t cloudmap.RecordType, sel *selection) {
	k := len(sel.idx)
	sel.n = 0
	if len(e.Instances) > scanBelow && sample(e, t, k, sel) {
		return
	}
	sel.n = 0
	if reservoir(e, t, k, true, sel) == 0 {
		reservoir(e, t, k, false, sel)
	}
	rand.Shuffle(sel.n, func(i, j int) {
		sel.idx[i], sel.idx[j] = sel.idx[j], sel.idx[i]
		sel.addr[i], sel.addr[j] = sel.addr[j], sel.addr[i]
	})
}

// sample draws random instances until k distinct healthy ones with a value
// are found, giving up after a bounded number of draws (then the caller
// scans). Cheap when most instances qualify, whatever the service's size.
func sample(e *cloudmap.ServiceEntry, t cloudmap.RecordType, k int, sel *selection) bool {
	n := len(e.Instances)
draw:
	for tries := 0; tries < 4*k+8 && sel.n < k; tries++ {
		i := int32(rand.IntN(n))
		for _, j := range sel.idx[:sel.n] {
			if j == i {
				continue draw
			}
		}
		in := &e.Instances[i]
		if !e.RoutesAsHealthy(*in) {
			continue
		}
		if a, ok := value(e, in, t); ok {
			sel.idx[sel.n], sel.addr[sel.n] = i, a
			sel.n++
		}
	}
	return sel.n == k
}

// reservoir scans every instance with a value for t (only healthy ones when
// healthyOnly) and keeps a uniform random sample of k (Algorithm R). It
// returns how many qualified.
func reservoir(e *cloudmap.ServiceEntry, t cloudmap.RecordType, k int, healthyOnly bool, sel *selection) int {
	seen := 0
	for i := range e.Instances {
		in := &e.Instances[i]
		if healthyOnly && !e.RoutesAsHealthy(*in) {
			continue
		}
		a, ok := value(e, in, t)
		if !ok {
			continue
		}
		if seen < k {
			sel.idx[seen], sel.addr[seen] = int32(i), a
		} else if j := rand.IntN(seen + 1); j < k {
			sel.idx[j], sel.addr[j] = int32(i), a
		}
		seen++
	}
	sel.n = min(seen, k)
	return seen
}

// addRecords appends the records of type rec.Type for up to k instances
// chosen by pick, owned by name, and returns how many it added.
func addRecords(m *dns.Msg, e *cloudmap.ServiceEntry, name string, rec cloudmap.DnsRecord, k int) int {
	var idx [maxMultivalue]int32
	var addr [maxMultivalue]netip.Addr
	sel := selection{idx: idx[:min(k, maxMultivalue)], addr: addr[:min(k, maxMultivalue)]}
	if k > maxMultivalue {
		sel.idx, sel.addr = make([]int32, k), make([]netip.Addr, k)
	}
	pick(e, rec.Type, &sel)
	if sel.n == 0 {
		return 0
	}
	hdr := dns.RR_Header{Name: name, Class: dns.ClassINET, Ttl: clampTTL(rec.TTL)}
	if m.Answer == nil {
		m.Answer = make([]dns.RR, 0, sel.n)
	}
	switch rec.Type {
	case cloudmap.RecordA:
		hdr.Rrtype = dns.TypeA
		rrs, ips := make([]dns.A, sel.n), make([]byte, 4*sel.n)
		for j := range sel.n {
			ip := ips[4*j : 4*j+4 : 4*j+4]
			a4 := sel.addr[j].As4()
			copy(ip, a4[:])
			rrs[j] = dns.A{Hdr: hdr, A: ip}
			m.Answer = append(m.Answer, &rrs[j])
		}
	case cloudmap.RecordAAAA:
		hdr.Rrtype = dns.TypeAAAA
		rrs, ips := make([]dns.AAAA, sel.n), make([]byte, 16*sel.n)
		for j := range sel.n {
			ip := ips[16*j : 16*j+16 : 16*j+16]
			a16 := sel.addr[j].As16()
			copy(ip, a16[:])
			rrs[j] = dns.AAAA{Hdr: hdr, AAAA: ip}
			m.Answer = append(m.Answer, &rrs[j])
		}
	case cloudmap.RecordSRV:
		hdr.Rrtype = dns.TypeSRV
		rrs := make([]dns.SRV, sel.n)
		glue := glueSlab{n: sel.n}
		m.Extra = slices.Grow(m.Extra, sel.n+1) // the targets' A records and the OPT record
		for j, i := range sel.idx[:sel.n] {
			in := e.Instances[i].Instance
			p, _ := port(in.Attributes)
			rrs[j] = dns.SRV{Hdr: hdr, Priority: 1, Weight: 1, Port: p, Target: srvTarget(e, in.Id)}
			m.Answer = append(m.Answer, &rrs[j])
			m.Extra = appendTargetAddrs(m.Extra, e, rec, in, rrs[j].Target, &glue)
		}
	case cloudmap.RecordCNAME:
		hdr.Rrtype = dns.TypeCNAME
		target := dns.Fqdn(e.Instances[sel.idx[0]].Instance.Attributes[cloudmap.AttrCNAME])
		m.Answer = append(m.Answer, &dns.CNAME{Hdr: hdr, Target: target})
		return 1
	}
	return sel.n
}

// srvTarget is the SRV target of an instance:
// <instance-id>.<service-name>.<namespace-name>.
func srvTarget(e *cloudmap.ServiceEntry, id string) string {
	return id + "." + e.Service.Name + "." + zoneName(e) + "."
}

// srvTargetLen is the length of srvTarget(e, id) without its final dot.
func srvTargetLen(e *cloudmap.ServiceEntry, id string) int {
	return len(id) + len(e.Service.Name) + len(zoneName(e)) + 2
}

// zoneName is the name of the service's namespace without a final dot.
func zoneName(e *cloudmap.ServiceEntry) string { return strings.TrimSuffix(e.Namespace.Name, ".") }

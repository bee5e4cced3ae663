package dnsserver

import "github.com/miekg/dns"

// fit makes m fit in maxSize bytes (0: TCP, no limit). Messages are sent
// uncompressed when they fit that way (packing is cheaper), else with name
// compression. If even that is too big, the additional records (SRV target
// addresses, glue) are dropped first, without TC: they are optional (RFC
// 2181 section 9, RFC 1035 section 7.1: a resolver asks for them). If the
// reply is still too big, it is truncated: TC set and the answer and
// authority sections emptied, keeping the question and the OPT record.
// Partial record sets are never sent (RFC 2181 section 9): the client
// retries over TCP and gets the whole answer there.
func fit(m *dns.Msg, maxSize int) {
	if maxSize <= 0 {
		m.Compress = m.Len() > dns.MinMsgSize
		return
	}
	if m.Len() <= maxSize {
		return
	}
	m.Compress = true
	if m.Len() <= maxSize {
		return
	}
	extra := m.Extra[:0]
	for _, rr := range m.Extra {
		if rr.Header().Rrtype == dns.TypeOPT {
			extra = append(extra, rr)
		}
	}
	m.Extra = extra
	if m.Len() <= maxSize {
		return
	}
	m.Truncated = true
	m.Answer, m.Ns = nil, nil
}

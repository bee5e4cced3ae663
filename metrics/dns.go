package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DNS records the DNS server: queries by type, rcode and transport with
// their latency, truncated answers and rate-limited queries. It implements
// dnsserver.Observer.
type DNS struct {
	queries   [len(qtypeNames)][len(rcodeNames)][2]prometheus.Counter
	duration  [2]prometheus.Observer
	truncated [2]prometheus.Counter
	limited   [2]prometheus.Counter // drop, slip
}

// qtypeNames are the query type labels: the types cloudmap answers and
// "other", so that a client cannot grow the label set.
var qtypeNames = [...]string{"A", "AAAA", "SRV", "TXT", "CNAME", "NS", "SOA", "ANY", "other"}

// qtypeIndex maps a query type to its label in qtypeNames.
func qtypeIndex(t uint16) int {
	switch t {
	case 1:
		return 0
	case 28:
		return 1
	case 33:
		return 2
	case 16:
		return 3
	case 5:
		return 4
	case 2:
		return 5
	case 6:
		return 6
	case 255:
		return 7
	}
	return 8
}

// rcodeNames are the rcode labels: the rcodes of RFC 1035 and "other".
var rcodeNames = [...]string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "other"}

var transports = [2]string{"udp", "tcp"}

func newDNS(reg prometheus.Registerer) *DNS {
	queries := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "dns",
		Name: "queries_total", Help: "DNS queries answered, by query type, rcode and transport."},
		[]string{"qtype", "rcode", "transport"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "dns",
		Name: "query_duration_seconds", Help: "DNS latency from the query read to the packed answer, by transport.",
		Buckets: latencyBuckets}, []string{"transport"})
	truncated := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "dns",
		Name: "truncated_total", Help: "DNS answers truncated (TC set) to fit the client's UDP size, by transport."},
		[]string{"transport"})
	limited := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "dns",
		Name: "rate_limited_total", Help: "UDP queries over their client's rate limit, by action (drop: no answer, slip: empty truncated answer)."},
		[]string{"action"})
	reg.MustRegister(queries, duration, truncated, limited)
	d := &DNS{}
	for t, tn := range qtypeNames {
		for r, rn := range rcodeNames {
			for p, pn := range transports {
				d.queries[t][r][p] = queries.WithLabelValues(tn, rn, pn)
			}
		}
	}
	for p, pn := range transports {
		d.duration[p] = duration.WithLabelValues(pn)
		d.truncated[p] = truncated.WithLabelValues(pn)
	}
	d.limited[0], d.limited[1] = limited.WithLabelValues("drop"), limited.WithLabelValues("slip")
	return d
}

// Query records one answered query.
func (d *DNS) Query(qtype uint16, rcode int, tcp, truncated bool, elapsed time.Duration) {
	p := 0
	if tcp {
		p = 1
	}
	r := rcode
	if r < 0 || r >= len(rcodeNames)-1 {
		r = len(rcodeNames) - 1
	}
	d.queries[qtypeIndex(qtype)][r][p].Inc()
	d.duration[p].Observe(elapsed.Seconds())
	if truncated {
		d.truncated[p].Inc()
	}
}

// RateLimited records a UDP query over its client's rate: slip when an
// empty truncated reply was sent, drop otherwise.
func (d *DNS) RateLimited(slip bool) {
	if slip {
		d.limited[1].Inc()
	} else {
		d.limited[0].Inc()
	}
}

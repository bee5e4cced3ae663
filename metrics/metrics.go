// Package metrics holds cloudmap's Prometheus metrics: one registry, every
// collector under the cloudmap_ prefix, and the small recording methods the
// wiring (embed) hands to the components. Labels are bounded: operation
// names, error codes, DNS types and rcodes, check types; never an id, a
// name or an address. docs/metrics.md lists every metric.
//
// Hot paths (an API call, a DNS query) record with label values resolved
// once, outside the request, so that a request costs a few atomic adds and
// one clock read. Gauges of state (counts, revisions, leadership) are read
// when Prometheus scrapes, not maintained on every change.
package metrics

import (
	"net/http"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace is the prefix of every cloudmap metric.
const Namespace = "cloudmap"

// latencyBuckets are the buckets of every latency histogram, in seconds:
// 50 µs to 10 s, for in-memory answers as well as fsyncs and etcd quorums.
var latencyBuckets = []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}

// Metrics is the registry and every collector. Make it with New; the zero
// value is not usable. A nil *Metrics records nothing (every method checks),
// so components can be wired without metrics.
type Metrics struct {
	reg *prometheus.Registry

	API    *API
	DNS    *DNS
	Health *Health
	Store  *Store
	Ops    *Operations
}

// New returns the metrics of one server, with the Go runtime and process
// collectors and cloudmap_build_info{version, goversion} = 1.
func New(version string) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "build_info",
		Help: "Always 1; the labels say which build runs.",
	}, []string{"version", "goversion"})
	build.WithLabelValues(version, runtime.Version()).Set(1)
	reg.MustRegister(build)
	return &Metrics{reg: reg, API: newAPI(reg), DNS: newDNS(reg), Health: newHealth(reg),
		Store: newStore(reg), Ops: newOperations(reg)}
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry is the Prometheus registry, for tests and for collectors that
// the wiring adds (GaugeFunc over a component's state).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// GaugeFunc registers a gauge cloudmap_<name> whose value is read from f at
// every scrape.
func (m *Metrics) GaugeFunc(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, f))
}

// CounterFunc registers a counter cloudmap_<name> whose value is read from
// f at every scrape (f must never decrease).
func (m *Metrics) CounterFunc(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, f))
}

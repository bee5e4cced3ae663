package metrics

import (
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/prometheus/client_golang/prometheus"
)

// Health records the health checker's probes by check type and result,
// with their latency. The gauges of targets and unhealthy targets are read
// from the checker at scrape time (see Metrics.GaugeFunc).
type Health struct {
	probes   *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHealth(reg prometheus.Registerer) *Health {
	h := &Health{
		probes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "health",
			Name: "probes_total", Help: "Health probes completed, by check type (HTTP, HTTPS, TCP) and result (pass, fail)."},
			[]string{"type", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "health",
			Name: "probe_duration_seconds", Help: "Health probe latency, by check type.", Buckets: latencyBuckets},
			[]string{"type"}),
	}
	reg.MustRegister(h.probes, h.duration)
	return h
}

// Probe records one completed probe (health.Config.Observe).
func (h *Health) Probe(typ cloudmap.HealthCheckType, passed bool, elapsed time.Duration) {
	t := string(typ)
	switch typ {
	case cloudmap.HealthCheckHTTP, cloudmap.HealthCheckHTTPS, cloudmap.HealthCheckTCP:
	default:
		t = "other"
	}
	result := "fail"
	if passed {
		result = "pass"
	}
	h.probes.WithLabelValues(t, result).Inc()
	h.duration.WithLabelValues(t).Observe(elapsed.Seconds())
}

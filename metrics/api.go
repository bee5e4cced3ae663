package metrics

import (
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/prometheus/client_golang/prometheus"
)

// API records the Cloud Map API: requests by operation and error code,
// their latency, those in flight, authentication failures and throttling.
type API struct {
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	inFlight  prometheus.Gauge
	authFails *prometheus.CounterVec
	throttled prometheus.Counter
}

// codeOK is the code label of a request that succeeded.
const codeOK = "OK"

func newAPI(reg prometheus.Registerer) *API {
	a := &API{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "api",
			Name: "requests_total", Help: "API requests by operation and AWS error code (OK when it succeeded)."},
			[]string{"operation", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "api",
			Name: "request_duration_seconds", Help: "API request latency from dispatch to the operation's answer, by operation.",
			Buckets: latencyBuckets}, []string{"operation"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: "api",
			Name: "requests_in_flight", Help: "API requests being served."}),
		authFails: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "api",
			Name: "auth_failures_total", Help: "API requests rejected by authentication or authorization, by error code."},
			[]string{"reason"}),
		throttled: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "api",
			Name: "throttled_total", Help: "API requests rejected by the rate limit."}),
	}
	reg.MustRegister(a.requests, a.duration, a.inFlight, a.authFails, a.throttled)
	return a
}

// authCodes are the error codes of authentication and authorization.
var authCodes = map[string]bool{
	cloudmap.ErrAccessDenied: true, cloudmap.ErrMissingAuthenticationToken: true,
	cloudmap.ErrIncompleteSignature: true, cloudmap.ErrInvalidSignature: true,
	cloudmap.ErrUnrecognizedClient: true,
}

// APIOp records one operation, its label values resolved once.
type APIOp struct {
	a    *API
	name string
	ok   prometheus.Counter
	dur  prometheus.Observer
}

// Op returns the recorder of operation name (nil when a is nil).
func (a *API) Op(name string) *APIOp {
	if a == nil {
		return nil
	}
	return &APIOp{a: a, name: name, ok: a.requests.WithLabelValues(name, codeOK), dur: a.duration.WithLabelValues(name)}
}

// Start counts a request in flight and returns its start time.
func (o *APIOp) Start() time.Time {
	o.a.inFlight.Inc()
	return time.Now()
}

// Done records a request started at start and answered with err (nil for
// success).
func (o *APIOp) Done(start time.Time, err error) {
	o.dur.Observe(time.Since(start).Seconds())
	o.a.inFlight.Dec()
	if err == nil {
		o.ok.Inc()
		return
	}
	code := Code(err)
	o.a.requests.WithLabelValues(o.name, code).Inc()
	switch {
	case authCodes[code]:
		o.a.authFails.WithLabelValues(code).Inc()
	case code == cloudmap.ErrRequestLimitExceeded || code == cloudmap.ErrThrottling:
		o.a.throttled.Inc()
	}
}

// Code is the AWS error code the API answers err with: its code, or
// InternalFailure for an error without one.
func Code(err error) string {
	if c := cloudmap.ErrorCode(err); c != "" {
		return c
	}
	return cloudmap.ErrInternalFailure
}

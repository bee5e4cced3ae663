package embed

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/awsapi"
	"github.com/cloudmap/cloudmap/bolt"
	"github.com/cloudmap/cloudmap/metrics"
)

// newMetrics makes the server's metrics when the admin listener is on
// (nowhere to scrape them otherwise, so nothing is recorded).
func (s *Server) newMetrics() {
	if s.cfg.AdminAddr == "" {
		return
	}
	s.metrics = metrics.New(s.cfg.Version)
	if bs, ok := s.store.(*bolt.Store); ok {
		bs.SetObserver(s.metrics.Store.Commit)
	}
}

// registerGauges adds the gauges read at scrape time from the view, the
// store, the registry, the checker and the leadership.
func (s *Server) registerGauges() {
	m := s.metrics
	if m == nil {
		return
	}
	m.GaugeFunc("view_applied_revision", "The store revision the in-memory view has applied.",
		func() float64 { return float64(s.view.Applied()) })
	m.GaugeFunc("view_lag_revisions", "How many revisions the view is behind the store (0 when caught up).",
		func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
			defer cancel()
			rev, err := s.store.Revision(ctx)
			if err != nil {
				return -1
			}
			return float64(max(0, rev-s.view.Applied()))
		})
	counts := func(i int) func() float64 {
		return func() float64 {
			n, sv, in := s.view.Counts()
			return float64([3]int{n, sv, in}[i])
		}
	}
	m.GaugeFunc("namespaces", "Namespaces in the view.", counts(0))
	m.GaugeFunc("services", "Services in the view.", counts(1))
	m.GaugeFunc("instances", "Instances in the view.", counts(2))
	m.GaugeFunc("operations_pending", "Operations not final yet (SUBMITTED or PENDING).", func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
		defer cancel()
		n, err := s.reg.PendingOperations(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	m.GaugeFunc("leader", "1 while this node runs the operations worker and the health checker (always 1 on the embedded store).",
		func() float64 { return b2f(s.Leading()) })
	m.GaugeFunc("health_targets", "Instances the health checker of this node probes.",
		func() float64 { return float64(s.check.Stats().Targets) })
	m.GaugeFunc("health_unhealthy_targets", "Probed instances whose status is UNHEALTHY.",
		func() float64 { return float64(s.check.Stats().Unhealthy) })
	m.CounterFunc("credentials_reload_failures_total", "Reloads of --credentials-file (SIGHUP) that failed and kept the previous keys.",
		func() float64 { return float64(s.CredentialsReload().Failures) })
	m.GaugeFunc("credentials_reload_ok", "0 while the last reload of --credentials-file failed (the previous keys stay in force), 1 otherwise.",
		func() float64 { return b2f(s.CredentialsReload().LastError == nil) })
	if bs, ok := s.store.(*bolt.Store); ok {
		m.CounterFunc("store_updates_total", "Updates the embedded store's committer answered.",
			func() float64 { return float64(bs.Stats().Updates) })
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// apiHooks are the hooks every API operation passes before the outage
// guard: metrics (outermost, so it sees the final answer), then the access
// log.
func (s *Server) apiHooks() []awsapi.Hook {
	var hooks []awsapi.Hook
	if s.metrics != nil {
		hooks = append(hooks, func(op string, next awsapi.Invoker) awsapi.Invoker {
			rec := s.metrics.API.Op(op)
			return func(ctx context.Context, c *awsapi.Call) (any, error) {
				start := rec.Start()
				out, err := next(ctx, c)
				rec.Done(start, err)
				return out, err
			}
		})
	}
	if s.cfg.AccessLog {
		hooks = append(hooks, s.accessLog)
	}
	return hooks
}

// accessLog logs one line per API request: request id, operation, access
// key id, HTTP status, error code and latency. Never a secret, a signature
// or the body.
func (s *Server) accessLog(op string, next awsapi.Invoker) awsapi.Invoker {
	log := s.log.With("component", "access")
	return func(ctx context.Context, c *awsapi.Call) (any, error) {
		start := time.Now()
		out, err := next(ctx, c)
		status, code := 200, ""
		if err != nil {
			code = metrics.Code(err)
			status = awsapi.StatusOf(code)
		}
		cell := s.cfg.AccountID + "/" + s.cfg.Region
		if cc, ok := cloudmap.CellFrom(ctx); ok {
			cell = cc.String()
		}
		log.LogAttrs(ctx, slog.LevelInfo, "api request",
			slog.String("request_id", c.RequestID), slog.String("op", op),
			slog.String("key", accessKeyID(c)), slog.String("cell", cell), slog.String("remote", c.Request.RemoteAddr),
			slog.Int("status", status), slog.String("code", code),
			slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000))
		return out, err
	}
}

// accessKeyID is the access key id a request was signed with, read from
// its Authorization header or presigned query (the id is not a secret), or
// "" for an unsigned request.
func accessKeyID(c *awsapi.Call) string {
	v := c.Request.Header.Get("Authorization")
	_, cred, ok := strings.Cut(v, "Credential=")
	if !ok {
		cred = c.Request.URL.Query().Get("X-Amz-Credential")
	}
	id, _, _ := strings.Cut(cred, "/")
	if len(id) > 128 {
		id = id[:128]
	}
	return id
}

// finished is the registry's Finished hook.
func (s *Server) finished() func(cloudmap.OperationType, cloudmap.OperationStatus) {
	if s.metrics == nil {
		return nil
	}
	return s.metrics.Ops.Finished
}

// probeObserver is the health checker's Observe hook.
func (s *Server) probeObserver() func(cloudmap.HealthCheckType, bool, time.Duration) {
	if s.metrics == nil {
		return nil
	}
	return s.metrics.Health.Probe
}

package metrics

import (
	"github.com/cloudmap/cloudmap"
	"github.com/prometheus/client_golang/prometheus"
)

// Operations records the operations worker and retention: operations by
// type and final status, and what retention deleted. The pending gauge is
// read from the store at scrape time.
type Operations struct {
	finished *prometheus.CounterVec
	pruned   *prometheus.CounterVec
}

func newOperations(reg prometheus.Registerer) *Operations {
	o := &Operations{
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "operations",
			Name: "finished_total", Help: "Operations the worker of this node finished, by type and final status (SUCCESS, FAIL)."},
			[]string{"type", "status"}),
		pruned: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "operations",
			Name: "pruned_total", Help: "Records deleted by retention, by kind (operation, idempotency)."},
			[]string{"kind"}),
	}
	reg.MustRegister(o.finished, o.pruned)
	return o
}

// Finished records an operation's final status (registry.Config.Finished).
func (o *Operations) Finished(t cloudmap.OperationType, s cloudmap.OperationStatus) {
	o.finished.WithLabelValues(string(t), string(s)).Inc()
}

// Pruned records what one retention pass deleted.
func (o *Operations) Pruned(ops, idem int) {
	o.pruned.WithLabelValues("operation").Add(float64(ops))
	o.pruned.WithLabelValues("idempotency").Add(float64(idem))
}

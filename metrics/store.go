package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/prometheus/client_golang/prometheus"
)

// Store records the store: the latency and failures of every View, Update
// and Revision call (both backends, through Wrap), and on the embedded
// store the commits of its group committer (Commit).
type Store struct {
	duration  [3]prometheus.Observer
	errs      [3]prometheus.Counter
	commits   prometheus.Counter
	perCommit prometheus.Histogram
	commitDur prometheus.Histogram
}

const (
	storeView = iota
	storeUpdate
	storeRevision
)

func newStore(reg prometheus.Registerer) *Store {
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "store",
		Name: "request_duration_seconds", Help: "Store call latency by call (view, update, revision); on etcd each is one or more etcd requests.",
		Buckets: latencyBuckets}, []string{"call"})
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "store",
		Name: "request_errors_total", Help: "Store calls that failed in the store (not a Cloud Map rule), by call."},
		[]string{"call"})
	st := &Store{
		commits: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "store",
			Name: "commits_total", Help: "Transactions (one fsync each) the embedded store's group committer wrote."}),
		perCommit: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "store",
			Name: "updates_per_commit", Help: "Updates shared by one commit of the embedded store.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}}),
		commitDur: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "store",
			Name: "commit_duration_seconds", Help: "Embedded store commit latency: the transaction's functions, the write and the fsync.",
			Buckets: latencyBuckets}),
	}
	for i, n := range []string{"view", "update", "revision"} {
		st.duration[i] = duration.WithLabelValues(n)
		st.errs[i] = errs.WithLabelValues(n)
	}
	reg.MustRegister(duration, errs, st.commits, st.perCommit, st.commitDur)
	return st
}

// Commit records one commit of the embedded store's committer
// (bolt.Store.SetObserver).
func (s *Store) Commit(updates int, elapsed time.Duration, _ error) {
	s.commits.Inc()
	s.perCommit.Observe(float64(updates))
	s.commitDur.Observe(elapsed.Seconds())
}

// Wrap returns store with every View, Update and Revision call recorded.
// Watch and Close pass through.
func (s *Store) Wrap(store cloudmap.Store) cloudmap.Store {
	return &timedStore{Store: store, m: s}
}

type timedStore struct {
	cloudmap.Store
	m *Store
}

func (t *timedStore) done(call int, start time.Time, err error) {
	t.m.duration[call].Observe(time.Since(start).Seconds())
	if err != nil && storeFailure(err) {
		t.m.errs[call].Inc()
	}
}

// storeFailure tells a failure of the store from an error of the
// transaction's function (a Cloud Map rule) or of the caller.
func storeFailure(err error) bool {
	var ce *cloudmap.Error
	return !errors.As(err, &ce) && !errors.Is(err, context.Canceled)
}

func (t *timedStore) View(ctx context.Context, fn func(tx cloudmap.ReadTx) error) error {
	start := time.Now()
	err := t.Store.View(ctx, fn)
	t.done(storeView, start, err)
	return err
}

func (t *timedStore) Update(ctx context.Context, fn func(tx cloudmap.Tx) error) (int64, error) {
	start := time.Now()
	rev, err := t.Store.Update(ctx, fn)
	t.done(storeUpdate, start, err)
	return rev, err
}

func (t *timedStore) Revision(ctx context.Context) (int64, error) {
	start := time.Now()
	rev, err := t.Store.Revision(ctx)
	t.done(storeRevision, start, err)
	return rev, err
}

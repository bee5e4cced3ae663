package main

import (
	"context"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/bolt"
)

// BenchmarkRegisterInstance_HTTP64 starts cloudmap in-process on the
// embedded store and runs 64 clients registering for 5 s; it reports
// acknowledged (durable) registrations per second, and from the store's
// counters the commits (fsyncs) per second, registrations per commit and
// Updates per commit (requests and the worker's transactions).
func BenchmarkRegisterInstance_HTTP64(b *testing.B) {
	n := acceptance.MustStart(b)
	store, ok := n.Server.Store().(*bolt.Store)
	if !ok {
		b.Fatalf("store is %T, want *bolt.Store", n.Server.Store())
	}
	var (
		last   Result
		before bolt.Stats
		after  bolt.Stats
	)
	for i := 0; i < b.N; i++ {
		before = store.Stats()
		res, err := Run(context.Background(), Config{URL: n.APIURL(), Concurrency: 64, Duration: 5 * time.Second, MaxRequests: 200_000})
		if err != nil {
			b.Fatal(err)
		}
		after = store.Stats()
		last = res
	}
	commits := float64(after.Commits - before.Commits)
	b.ReportMetric(last.PerSecond(), "registrations/s")
	b.ReportMetric(float64(last.P99.Microseconds()), "p99-µs")
	if commits > 0 {
		b.ReportMetric(commits/last.Elapsed.Seconds(), "commits/s")
		b.ReportMetric(float64(last.Registrations)/commits, "registrations/commit")
		b.ReportMetric(float64(after.Updates-before.Updates)/commits, "updates/commit")
	}
	b.Logf("%v", last)
}

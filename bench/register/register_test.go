package main

import (
	"context"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap/acceptance"
)

// BenchmarkRegisterInstance_HTTP64 starts cloudmap in-process on the
// embedded store and runs 64 clients registering for 5 s; it reports
// acknowledged (durable) registrations per second.
func BenchmarkRegisterInstance_HTTP64(b *testing.B) {
	n := acceptance.MustStart(b)
	var last Result
	for i := 0; i < b.N; i++ {
		res, err := Run(context.Background(), Config{URL: n.APIURL(), Concurrency: 64, Duration: 5 * time.Second, MaxRequests: 200_000})
		if err != nil {
			b.Fatal(err)
		}
		last = res
	}
	b.ReportMetric(last.PerSecond(), "registrations/s")
	b.ReportMetric(float64(last.P99.Microseconds()), "p99-µs")
	b.Logf("%v", last)
}

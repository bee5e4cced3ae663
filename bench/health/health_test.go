package main

import (
	"context"
	"testing"
	"time"
)

// BenchmarkChecker_10k checks 10,000 instances at a 1 s interval for 10 s,
// half of them pointing at listeners that never answer. It reports probes
// per second, late rounds (all, and of targets whose last probe passed),
// peak goroutines, process CPU and store writes.
func BenchmarkChecker_10k(b *testing.B) {
	bench10k(b, false)
}

// BenchmarkChecker_10kPipe is BenchmarkChecker_10k over in-memory pipes:
// the checker's own cost, without the kernel's loopback TCP work.
func BenchmarkChecker_10kPipe(b *testing.B) {
	bench10k(b, true)
}

func bench10k(b *testing.B, pipe bool) {
	cfg := Config{Instances: 10_000, Silent: 0.5, Interval: time.Second, Concurrency: 24_000,
		Duration: 10 * time.Second, Addrs: 8, Pipe: pipe}
	var last Result
	for i := 0; i < b.N; i++ {
		res, err := Run(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		last = res
	}
	b.ReportMetric(last.ProbesPerSecond(), "probes/s")
	b.ReportMetric(float64(last.Stats.LateRounds), "late-rounds")
	b.ReportMetric(float64(last.Stats.LatePassing), "late-passing")
	b.ReportMetric(float64(last.MaxGoroutines), "max-goroutines")
	b.ReportMetric(last.CPUPercent(), "cpu-%")
	b.ReportMetric(float64(last.SinkCalls), "writes")
	b.ReportMetric(float64(last.Stats.Passed)/last.Elapsed.Seconds()/float64(last.PassingTargets), "passing-probes/target/s")
	b.Logf("%v", last)
}

// TestRun_Small runs a small bounded load and checks the figures add up:
// every answering target is probed, every silent one turns unhealthy with
// exactly one write, and nothing is written for the healthy ones.
func TestRun_Small(t *testing.T) {
	res, err := Run(context.Background(), Config{Instances: 40, Silent: 0.5, Interval: 50 * time.Millisecond,
		Concurrency: 64, ResponseTimeout: 20 * time.Millisecond, Duration: time.Second, Addrs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Passed < 20 {
		t.Errorf("passed probes = %d, want at least one per answering target", res.Stats.Passed)
	}
	if res.ToUnhealthy != 20 || res.ToHealthy != 0 {
		t.Errorf("writes to UNHEALTHY, HEALTHY = %d, %d, want 20, 0 (%v)", res.ToUnhealthy, res.ToHealthy, res)
	}
}

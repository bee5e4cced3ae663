package main

import (
	"context"
	"os"
	"testing"
	"time"
)

// BenchmarkSoak runs a short soak (20 s per phase, 500 connections per
// attack) and reports the normal traffic's p99 without and with the
// attacks, their ratio, and the server's RSS growth in each phase. For
// the five-minute run: go run ./bench/soak.
func BenchmarkSoak(b *testing.B) {
	for range b.N {
		ps, err := Run(context.Background(), Config{Duration: 20 * time.Second, Rate: 200, Clients: 8, Size: 500, Flood: 500, DNSRate: 100}, os.Stderr)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(ps[0].P99.Microseconds()), "p99-quiet-µs")
		b.ReportMetric(float64(ps[1].P99.Microseconds()), "p99-attacked-µs")
		b.ReportMetric(float64(ps[1].P99)/float64(ps[0].P99), "p99-ratio")
		b.ReportMetric(float64(ps[0].RSSEnd-ps[0].RSSStart)/(1<<20), "rss-growth-quiet-MB")
		b.ReportMetric(float64(ps[1].RSSEnd-ps[1].RSSStart)/(1<<20), "rss-growth-attacked-MB")
	}
}

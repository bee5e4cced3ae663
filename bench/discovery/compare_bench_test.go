package discovery_test

import (
	"flag"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap/bench/discovery"
	"github.com/cloudmap/cloudmap/embed"
)

var (
	benchServices  = flag.Int("services", 10_000, "BenchmarkCompare: services to register")
	benchInstances = flag.Int("instances", 10, "BenchmarkCompare: instances per service")
	benchRun       = flag.Duration("d", 2*time.Second, "BenchmarkCompare: duration of each run")
	benchRounds    = flag.Int("rounds", 6, "BenchmarkCompare: alternating rounds")
)

// BenchmarkCompare is the budget check in-process: a real cloudmap (bolt
// in a temporary directory) seeded through the API with -services x
// -instances (10,000 x 10 by default, which takes a minute or more), and
// the reference server, driven alternately with 32 connections. It
// reports both rates and the median ratio (≥ 0.70 is the budget):
//
//	go test ./bench/discovery -run XXX -bench Compare -benchtime 1x
//	go test ./bench/discovery -run XXX -bench Compare -benchtime 1x -args -services 1000
func BenchmarkCompare(b *testing.B) {
	cfg := embed.DefaultConfig()
	cfg.APIAddr, cfg.DNSAddr, cfg.DataDir = "127.0.0.1:0", "", b.TempDir()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := embed.Start(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	ref := httptest.NewServer(discovery.ReferenceHandler())
	defer ref.Close()
	seed := discovery.SeedConfig{URL: srv.APIURL(), Services: *benchServices, InstancesPerService: *benchInstances}
	if err := discovery.Seed(b.Context(), seed); err != nil {
		b.Fatal(err)
	}
	load := discovery.Config{Connections: 32, Duration: *benchRun, Services: *benchServices}
	var c discovery.Comparison
	for b.Loop() {
		if c, err = discovery.Compare(b.Context(), ref.URL, srv.APIURL(), load, *benchRounds, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(c.ReferenceRPS, "ref-req/s")
	b.ReportMetric(c.CloudmapRPS, "cloudmap-req/s")
	b.ReportMetric(c.Ratio, "ratio")
	b.ReportMetric(c.CPURatio, "cpu-ratio")
	b.Log("\n" + c.String())
}

package dns

import (
	"context"
	"fmt"
	"runtime"
	"slices"

	"github.com/cloudmap/cloudmap/dnsserver"
	"github.com/cloudmap/cloudmap/metrics"
)

// OverheadResult is the outcome of MetricsOverhead.
type OverheadResult struct {
	Off, On Result
	// Ratios are on/off per round; Ratio is their median.
	Ratios []float64
	Ratio  float64
}

// String formats the result for humans.
func (r OverheadResult) String() string {
	return fmt.Sprintf("metrics off: %v\nmetrics on:  %v\nratio on/off per round %.3f, median %.3f (budget: >= 0.97)",
		r.Off, r.On, r.Ratios, r.Ratio)
}

// MetricsOverhead measures what the DNS metrics cost: two cloudmap DNS
// servers over the same fake view, one recording every query in the
// Prometheus metrics (dnsserver.Config.Observer, as `serve --admin-addr`
// wires it) and one not, driven alternately with the same load, the order
// flipping each round. The view does not change during the runs (churn
// would cost both the same).
func MetricsOverhead(ctx context.Context, cfg CompareConfig) (OverheadResult, error) {
	cfg.Services = max(cfg.Services, 1)
	if cfg.InstancesPerService <= 0 {
		cfg.InstancesPerService = 10
	}
	src, _, queries := BenchSource(cfg.Services, cfg.InstancesPerService)
	off := dnsserver.New(src, dnsserver.Config{Addr: "127.0.0.1:0", UDPSockets: max(cfg.Sockets, 1)})
	on := dnsserver.New(src, dnsserver.Config{Addr: "127.0.0.1:0", UDPSockets: max(cfg.Sockets, 1),
		Observer: metrics.New("bench").DNS})
	for _, s := range []*dnsserver.Server{off, on} {
		if err := s.Start(); err != nil {
			return OverheadResult{}, err
		}
		defer s.Close()
	}
	var res OverheadResult
	load := Config{Workers: cfg.Workers, Duration: cfg.Duration, Queries: queries}
	for round := range max(cfg.Rounds, 1) {
		var r [2]Result
		for _, k := range [][2]int{{0, 1}, {1, 0}}[round%2] {
			srv := []*dnsserver.Server{off, on}[k]
			runtime.GC()
			load.Addr = srv.UDPAddr().String()
			r[k] = Run(ctx, load)
		}
		res.Off, res.On = add(res.Off, r[0]), add(res.On, r[1])
		if q := r[0].QPS(); q > 0 {
			res.Ratios = append(res.Ratios, r[1].QPS()/q)
		}
	}
	if len(res.Ratios) > 0 {
		s := slices.Sorted(slices.Values(res.Ratios))
		res.Ratio = s[len(s)/2]
		if len(s)%2 == 0 {
			res.Ratio = (s[len(s)/2-1] + s[len(s)/2]) / 2
		}
	}
	return res, ctx.Err()
}

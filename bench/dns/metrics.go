package dns

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/cloudmap/cloudmap/dnsserver"
	"github.com/cloudmap/cloudmap/metrics"
)

// OverheadResult is the outcome of MetricsOverhead.
type OverheadResult struct {
	Off, On Result
	// Ratios are on/off per round; Ratio is their median.
	Ratios []float64
	Ratio  float64
	// OffCPU and OnCPU are this process's CPU time (load generator
	// included) per answered query; CPURatio is OffCPU/OnCPU, the rate
	// ratio a machine doing nothing else would see.
	OffCPU, OnCPU time.Duration
	CPURatio      float64
}

// String formats the result for humans.
func (r OverheadResult) String() string {
	return fmt.Sprintf("metrics off: %v\nmetrics on:  %v\nratio on/off per round %.3f, median %.3f (budget: >= 0.97)\n"+
		"CPU per query (process, load generator included): off %v, on %v (ratio %.3f)",
		r.Off, r.On, r.Ratios, r.Ratio, r.OffCPU, r.OnCPU, r.CPURatio)
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
	var cpu [2]time.Duration
	load := Config{Workers: cfg.Workers, Duration: cfg.Duration, Queries: queries}
	for round := range max(cfg.Rounds, 1) {
		var r [2]Result
		for _, k := range [][2]int{{0, 1}, {1, 0}}[round%2] {
			srv := []*dnsserver.Server{off, on}[k]
			runtime.GC()
			load.Addr = srv.UDPAddr().String()
			c0 := processCPU()
			r[k] = Run(ctx, load)
			cpu[k] += processCPU() - c0
		}
		res.Off, res.On = add(res.Off, r[0]), add(res.On, r[1])
		if q := r[0].QPS(); q > 0 {
			res.Ratios = append(res.Ratios, r[1].QPS()/q)
		}
	}
	if res.Off.Received > 0 && res.On.Received > 0 {
		res.OffCPU = cpu[0] / time.Duration(res.Off.Received)
		res.OnCPU = cpu[1] / time.Duration(res.On.Received)
		if res.OnCPU > 0 {
			res.CPURatio = float64(res.OffCPU) / float64(res.OnCPU)
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

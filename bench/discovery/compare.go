package discovery

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Comparison is the outcome of Compare.
type Comparison struct {
	// Reference and Cloudmap are the best run of each server (for the
	// latency figures).
	Reference, Cloudmap Result
	// ReferenceRPS and CloudmapRPS are the rates over all rounds: requests
	// answered divided by the time spent on that server.
	ReferenceRPS, CloudmapRPS float64
	// Ratios are cloudmap/reference per round (adjacent runs) and Ratio is
	// their median: the figure the budget is about (≥ 0.70). The median
	// of paired rounds resists other work on the machine better than one
	// long run.
	Ratios []float64
	Ratio  float64
	// ReferenceCPU and CloudmapCPU are the CPU time this process spent per
	// answered request (user and system, load generator included) and
	// CPURatio is ReferenceCPU/CloudmapCPU: the ratio of rates on a machine
	// doing nothing else. They mean something only when both servers run
	// in this process, as in the compare command; zero where the system
	// does not report it.
	ReferenceCPU, CloudmapCPU time.Duration
	CPURatio                  float64
	// Rounds holds every run in the order it was made, for the report.
	Rounds []string
}

// String formats the comparison.
func (c Comparison) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "best reference run: %v\nbest cloudmap run:  %v\n", c.Reference, c.Cloudmap)
	fmt.Fprintf(&b, "all rounds: reference %.0f req/s, cloudmap %.0f req/s (%.3f)\n",
		c.ReferenceRPS, c.CloudmapRPS, c.CloudmapRPS/max(c.ReferenceRPS, 1e-9))
	if c.CloudmapCPU > 0 {
		fmt.Fprintf(&b, "CPU per request (process, load generator included): reference %v, cloudmap %v (ratio %.3f)\n",
			c.ReferenceCPU, c.CloudmapCPU, c.CPURatio)
	}
	fmt.Fprintf(&b, "ratio cloudmap/reference, median of %d rounds: %.3f", len(c.Ratios), c.Ratio)
	return b.String()
}

type side struct {
	name     string
	url      string
	best     *Result
	requests int64
	elapsed  time.Duration
	cpu      time.Duration
	hook     func(string, bool)
}

// Compare drives the reference server at refURL and cloudmap at cmURL with
// the same load cfg (its URL is ignored), alternating reference and
// cloudmap for rounds rounds (at least 1; the order flips every round), so
// other work on the machine hurts both alike. The heap is collected before
// every run. around, when non-nil, is called before (start=true) and after
// each run with the server's name ("reference" or "cloudmap"), e.g. to
// profile it.
func Compare(ctx context.Context, refURL, cmURL string, cfg Config, rounds int,
	around func(server string, start bool)) (Comparison, error) {
	var c Comparison
	ref := &side{name: "reference", url: refURL, best: &c.Reference, hook: around}
	cm := &side{name: "cloudmap", url: cmURL, best: &c.Cloudmap, hook: around}
	for round := range max(rounds, 1) {
		order := []*side{ref, cm}
		if round%2 == 1 {
			order = []*side{cm, ref}
		}
		var rps [2]float64
		for _, s := range order {
			res, err := s.run(ctx, cfg)
			if err != nil {
				return c, fmt.Errorf("%s round %d: %w", s.name, round+1, err)
			}
			c.Rounds = append(c.Rounds, fmt.Sprintf("round %d %-9s %6.0f req/s p99 %v", round+1, s.name,
				res.RPS, res.P99.Round(time.Microsecond)))
			if s == ref {
				rps[0] = res.RPS
			} else {
				rps[1] = res.RPS
			}
		}
		if rps[0] > 0 {
			c.Ratios = append(c.Ratios, rps[1]/rps[0])
		}
	}
	c.ReferenceRPS, c.CloudmapRPS = ref.rate(), cm.rate()
	c.ReferenceCPU, c.CloudmapCPU = ref.cpuPerRequest(), cm.cpuPerRequest()
	if c.CloudmapCPU > 0 {
		c.CPURatio = float64(c.ReferenceCPU) / float64(c.CloudmapCPU)
	}
	c.Ratio = median(c.Ratios)
	return c, nil
}

// run makes one load run against s and accounts for it.
func (s *side) run(ctx context.Context, cfg Config) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	runtime.GC()
	cfg.URL = s.url
	if s.hook != nil {
		s.hook(s.name, true)
	}
	cpu0 := processCPU()
	res, err := Run(ctx, cfg)
	cpu := processCPU() - cpu0
	if s.hook != nil {
		s.hook(s.name, false)
	}
	if err != nil {
		return res, err
	}
	if res.Errors > 0 {
		return res, fmt.Errorf("%d failed requests (first: %s)", res.Errors, res.FirstError)
	}
	s.requests += res.Requests
	s.elapsed += res.Elapsed
	s.cpu += cpu
	if res.RPS > s.best.RPS {
		*s.best = res
	}
	return res, nil
}

func (s *side) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.requests) / s.elapsed.Seconds()
}

func (s *side) cpuPerRequest() time.Duration {
	if s.requests == 0 {
		return 0
	}
	return s.cpu / time.Duration(s.requests)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

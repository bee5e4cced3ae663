package discovery

import (
	"context"
	"fmt"
	"runtime"
	"time"
)

// Comparison is the outcome of Compare: the best run of each server and
// the ratio the budget is about (cloudmap / reference, ≥ 0.70).
type Comparison struct {
	Reference Result
	Cloudmap  Result
	Ratio     float64
	// Rounds holds every run in the order it was made, for the report.
	Rounds []string
}

// String formats the comparison in three lines.
func (c Comparison) String() string {
	return fmt.Sprintf("reference: %v\ncloudmap:  %v\nratio cloudmap/reference: %.3f",
		c.Reference, c.Cloudmap, c.Ratio)
}

// Compare drives the reference server at refURL and cloudmap at cmURL with
// the same load cfg (its URL is ignored), alternating reference and
// cloudmap for rounds rounds (at least 1) and keeping the better run of
// each, so a noisy neighbour hurts both alike. The heap is collected
// before every run. cloudmapRun, when non-nil, is called around each
// cloudmap run (start=true before, false after), e.g. to profile it.
func Compare(ctx context.Context, refURL, cmURL string, cfg Config, rounds int,
	cloudmapRun func(start bool)) (Comparison, error) {
	var c Comparison
	rounds = max(rounds, 1)
	for round := range rounds {
		for _, side := range []struct {
			name string
			url  string
			best *Result
			hook func(bool)
		}{{"reference", refURL, &c.Reference, nil}, {"cloudmap", cmURL, &c.Cloudmap, cloudmapRun}} {
			if err := ctx.Err(); err != nil {
				return c, err
			}
			runtime.GC()
			run := cfg
			run.URL = side.url
			if side.hook != nil {
				side.hook(true)
			}
			res, err := Run(ctx, run)
			if side.hook != nil {
				side.hook(false)
			}
			if err != nil {
				return c, fmt.Errorf("%s round %d: %w", side.name, round+1, err)
			}
			if res.Errors > 0 {
				return c, fmt.Errorf("%s round %d: %d failed requests (first: %s)", side.name, round+1, res.Errors, res.FirstError)
			}
			c.Rounds = append(c.Rounds, fmt.Sprintf("round %d %-9s %.0f req/s p99 %v", round+1, side.name,
				res.RPS, res.P99.Round(time.Microsecond)))
			if res.RPS > side.best.RPS {
				*side.best = res
			}
		}
	}
	if c.Reference.RPS > 0 {
		c.Ratio = c.Cloudmap.RPS / c.Reference.RPS
	}
	return c, nil
}

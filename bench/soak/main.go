// Command soak runs cloudmap under normal load (registrations, discovery,
// DNS, a list) for a while, once alone and once with the attacks of the
// hostile-input review running beside it (slow 1 MiB bodies, idle
// keep-alive connections, unsigned floods, replayed signatures, filter
// bombs, idle DNS TCP connections, DNS floods), each phase on a fresh
// server process, and reports the normal traffic's p99 and the server's
// RSS at the start and the end of each phase. Everything runs on loopback
// and is bounded in connections, rate and time.
//
//	go run ./bench/soak                 # 5 minutes per phase
//	go run ./bench/soak -d 30s -size 500
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"
)

// Config is one soak run.
type Config struct {
	Duration time.Duration // per phase, at most 30 minutes
	Rate     int           // normal requests per second
	Clients  int           // normal clients
	Size     int           // connections per connection-holding attack
	Flood    int           // requests per second of each flood
	Attacks  []string      // the attacks to run (default all): slowbody, idle, unsigned, replay, filters, dnsidle, dnsflood
	Server   string        // cloudmap binary; built when empty
	DNSRate  int           // --dns-rate-limit of the server
}

// Phase is what one phase measured.
type Phase struct {
	Name                      string
	Requests, Errors          int64
	FirstErrors               []string
	P50, P99                  time.Duration
	RSSStart, RSSEnd          int64
	RSS                       []int64 // at each quarter of the phase
	AttackSent, AttackRefused int64
}

func (p Phase) String() string {
	quarters := ""
	for _, r := range p.RSS {
		quarters += fmt.Sprintf(" %.1f", float64(r)/(1<<20))
	}
	return fmt.Sprintf("%-15s normal: %d requests, %d errors %q, p50 %v, p99 %v; RSS MB start %.1f, quarters%s; attack requests %d (refused %d)",
		p.Name, p.Requests, p.Errors, p.FirstErrors, p.P50.Round(10*time.Microsecond), p.P99.Round(10*time.Microsecond),
		float64(p.RSSStart)/(1<<20), quarters, p.AttackSent, p.AttackRefused)
}

func main() {
	var cfg Config
	flag.DurationVar(&cfg.Duration, "d", 5*time.Minute, "duration of each phase (at most 30m)")
	flag.IntVar(&cfg.Rate, "rate", 200, "normal requests per second")
	flag.IntVar(&cfg.Clients, "c", 8, "normal clients")
	flag.IntVar(&cfg.Size, "size", 1000, "connections per connection-holding attack")
	flag.IntVar(&cfg.Flood, "flood", 500, "requests per second of each flood (unsigned API requests, DNS queries)")
	attacks := flag.String("attacks", "", "comma-separated attacks to run (default all): slowbody, idle, unsigned, replay, filters, dnsidle, dnsflood")
	flag.StringVar(&cfg.Server, "server", "", "cloudmap binary (default: go build ./cmd/cloudmap)")
	flag.IntVar(&cfg.DNSRate, "dns-rate", 100, "--dns-rate-limit of the server (its default beyond loopback)")
	flag.Parse()
	for _, a := range strings.Split(*attacks, ",") {
		if a = strings.TrimSpace(a); a != "" {
			cfg.Attacks = append(cfg.Attacks, a)
		}
	}
	phases, err := Run(context.Background(), cfg, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	report(os.Stdout, phases)
}

// Run runs the phase without attackers, then the one with them.
func Run(ctx context.Context, cfg Config, log *os.File) ([]Phase, error) {
	if cfg.Duration <= 0 || cfg.Duration > 30*time.Minute {
		return nil, errors.New("duration must be in (0, 30m]")
	}
	if cfg.Size > 4096 || cfg.Size < 0 || cfg.Flood < 1 || cfg.Flood > 50000 {
		return nil, errors.New("size must be in [0, 4096] and flood in [1, 50000]")
	}
	dir, err := os.MkdirTemp("", "cloudmap-soak-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := cfg.Server
	if bin == "" {
		if bin, err = buildServer(ctx, dir); err != nil {
			return nil, err
		}
	}
	var phases []Phase
	for _, attacked := range []bool{false, true} {
		p, err := phase(ctx, cfg, bin, dir, attacked)
		if err != nil {
			return phases, err
		}
		fmt.Fprintln(log, p)
		phases = append(phases, p)
	}
	return phases, nil
}

// phase runs one phase on a fresh server.
func phase(ctx context.Context, cfg Config, bin, dir string, attacked bool) (Phase, error) {
	name := "without attacks"
	if attacked {
		name = "with attacks"
	}
	pdir, err := os.MkdirTemp(dir, "phase-")
	if err != nil {
		return Phase{}, err
	}
	s, err := startServer(ctx, bin, pdir, cfg.DNSRate)
	if err != nil {
		return Phase{}, err
	}
	defer s.stop()
	n, err := setupNormal(ctx, s, cfg.Rate, cfg.Clients)
	if err != nil {
		return Phase{}, fmt.Errorf("setup: %w", err)
	}
	p := Phase{Name: name, RSSStart: s.rss()}
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var wg sync.WaitGroup
	a := &attacks{s: s, size: cfg.Size, flood: cfg.Flood}
	if len(cfg.Attacks) > 0 {
		a.only = map[string]bool{}
		for _, name := range cfg.Attacks {
			a.only[name] = true
		}
	}
	if attacked {
		wg.Add(1)
		go func() { defer wg.Done(); a.run(runCtx) }()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for q := 1; q <= 4; q++ {
			if !pause(ctx, cfg.Duration/4-time.Millisecond) {
				return
			}
			p.RSS = append(p.RSS, s.rss())
		}
	}()
	n.run(runCtx)
	wg.Wait()
	p.RSSEnd = p.RSS[len(p.RSS)-1]
	p.FirstErrors = n.firstErr
	count, p50, p99 := n.latencies()
	p.Requests, p.Errors, p.P50, p.P99 = int64(count), n.errs.Load(), p50, p99
	p.AttackSent, p.AttackRefused = a.sent.Load(), a.refused.Load()
	return p, nil
}

// report prints the ratios of the attacked phase to the quiet one.
func report(w *os.File, ps []Phase) {
	if len(ps) != 2 || ps[0].P99 == 0 {
		return
	}
	fmt.Fprintf(w, "p99 with attacks / without: %.2f; RSS growth without attacks %+.1f MB, with attacks %+.1f MB\n",
		float64(ps[1].P99)/float64(ps[0].P99),
		float64(ps[0].RSSEnd-ps[0].RSSStart)/(1<<20), float64(ps[1].RSSEnd-ps[1].RSSStart)/(1<<20))
}

func mustAddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

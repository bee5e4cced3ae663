// Command compare measures DiscoverInstances on a real cloudmap (embedded
// store in a data directory, started in this process) against the trivial
// reference server with the same load, in one run, and prints both rates
// and their ratio (the budget: cloudmap ≥ 0.70 × reference).
//
//	go run ./bench/discovery/compare -services 10000 -instances 10 -c 32 -d 10s
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"time"

	"github.com/cloudmap/cloudmap/bench/discovery"
	"github.com/cloudmap/cloudmap/embed"
)

func main() {
	var load discovery.Config
	seed := discovery.SeedConfig{}
	flag.IntVar(&seed.Services, "services", 10_000, "services to register and query")
	flag.IntVar(&seed.InstancesPerService, "instances", 10, "instances per service")
	flag.IntVar(&load.Connections, "c", 32, "concurrent keep-alive connections")
	flag.DurationVar(&load.Duration, "d", 10*time.Second, "duration of each run")
	flag.StringVar(&load.HealthStatus, "health", "", "HealthStatus filter to send (default: none)")
	rounds := flag.Int("rounds", 2, "alternating rounds (the better run of each server counts)")
	dataDir := flag.String("data-dir", "", "cloudmap data directory, kept and reused when given (default: a temporary one)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the cloudmap runs to this file")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, load, seed, *rounds, *dataDir, *cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, load discovery.Config, seed discovery.SeedConfig, rounds int, dataDir, cpuProfile string) error {
	if dataDir == "" {
		dir, err := os.MkdirTemp("", "cloudmap-bench-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dataDir = dir
	}
	cfg := embed.DefaultConfig()
	cfg.APIAddr, cfg.DNSAddr, cfg.DataDir = "127.0.0.1:0", "", dataDir
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := embed.Start(ctx, cfg)
	if err != nil {
		return fmt.Errorf("start cloudmap: %w", err)
	}
	defer srv.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ref := &http.Server{Handler: discovery.ReferenceHandler(), ReadHeaderTimeout: 10 * time.Second}
	go ref.Serve(ln)
	defer ref.Close()

	seed.URL, seed.Connections = srv.APIURL(), load.Connections
	if discovery.Seeded(ctx, seed) {
		fmt.Printf("data directory already seeded with %d services x %d instances\n", seed.Services, seed.InstancesPerService)
	} else {
		t0 := time.Now()
		if err := discovery.Seed(ctx, seed); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		fmt.Printf("seeded %d services x %d instances in %v\n", seed.Services, seed.InstancesPerService,
			time.Since(t0).Round(time.Millisecond))
	}

	load.Services = seed.Services
	hook, closeProfile, err := profiler(cpuProfile)
	if err != nil {
		return err
	}
	defer closeProfile()
	res, err := discovery.Compare(ctx, "http://"+ln.Addr().String(), srv.APIURL(), load, rounds, hook)
	for _, r := range res.Rounds {
		fmt.Println(r)
	}
	if err != nil {
		return err
	}
	fmt.Println(res)
	return nil
}

// profiler returns a hook that profiles the CPU during the first cloudmap
// run only, and a function closing the profile file.
func profiler(path string) (func(bool), func(), error) {
	if path == "" {
		return nil, func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	done := false
	hook := func(start bool) {
		switch {
		case start && !done:
			if err := pprof.StartCPUProfile(f); err != nil {
				fmt.Fprintln(os.Stderr, "cpuprofile:", err)
			}
		case !start && !done:
			pprof.StopCPUProfile()
			done = true // one profile per file: the first cloudmap run
		}
	}
	return hook, func() { f.Close() }, nil
}

// Command compare measures DiscoverInstances on a real cloudmap (embedded
// store in a data directory, started in this process) against the trivial
// reference server with the same load, in one run, and prints both rates
// and their ratio (the budget: cloudmap ≥ 0.70 × reference).
//
// The servers are measured in alternating short runs and the figure is the
// median of the per-round ratios, which other work on a shared machine
// disturbs less than one long run of each.
//
//	go run ./bench/discovery/compare -services 10000 -instances 10 -c 32 -d 3s -rounds 6
//
// With -metrics-overhead it compares instead two cloudmap servers, one with
// the admin listener (and so the metrics) on and one without, each seeded
// alike: the "reference" lines are then cloudmap without metrics, and the
// ratio is on/off (the budget: ≥ 0.97).
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
	flag.DurationVar(&load.Duration, "d", 3*time.Second, "duration of each run")
	flag.StringVar(&load.HealthStatus, "health", "", "HealthStatus filter to send (default: none)")
	rounds := flag.Int("rounds", 6, "alternating rounds (the median of their ratios counts)")
	dataDir := flag.String("data-dir", "", "cloudmap data directory, kept and reused when given (default: a temporary one)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the last cloudmap run to this file")
	refProfile := flag.String("refprofile", "", "write a CPU profile of the last reference run to this file")
	overhead := flag.Bool("metrics-overhead", false, "compare cloudmap with metrics (reported as cloudmap) against cloudmap without (reported as reference)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *overhead {
		if err := runOverhead(ctx, load, seed, *rounds); err != nil {
			fmt.Fprintln(os.Stderr, "compare:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, load, seed, *rounds, *dataDir, *cpuProfile, *refProfile); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, load discovery.Config, seed discovery.SeedConfig, rounds int, dataDir, cpuProfile, refProfile string) error {
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
	cmHook, closeCM, err := profiler(cpuProfile, rounds)
	if err != nil {
		return err
	}
	defer closeCM()
	refHook, closeRef, err := profiler(refProfile, rounds)
	if err != nil {
		return err
	}
	defer closeRef()
	hook := func(server string, start bool) {
		if h := map[string]func(bool){"cloudmap": cmHook, "reference": refHook}[server]; h != nil {
			h(start)
		}
	}
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

// profiler returns a hook that profiles the CPU during the last of rounds
// runs only (the first ones warm the server up), and a function closing
// the profile file.
func profiler(path string, rounds int) (func(bool), func(), error) {
	if path == "" {
		return nil, func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	run := 0
	hook := func(start bool) {
		if start {
			run++
		}
		switch {
		case run < max(rounds, 1):
		case start:
			if err := pprof.StartCPUProfile(f); err != nil {
				fmt.Fprintln(os.Stderr, "cpuprofile:", err)
			}
		default:
			pprof.StopCPUProfile()
		}
	}
	return hook, func() { f.Close() }, nil
}

// runOverhead seeds two servers in temporary data directories, one with
// the admin listener on (metrics recorded on every request) and one
// without, and compares them.
func runOverhead(ctx context.Context, load discovery.Config, seed discovery.SeedConfig, rounds int) error {
	var urls [2]string
	for i, admin := range []string{"", "127.0.0.1:0"} {
		dir, err := os.MkdirTemp("", "cloudmap-bench-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg := embed.DefaultConfig()
		cfg.APIAddr, cfg.DNSAddr, cfg.DataDir, cfg.AdminAddr = "127.0.0.1:0", "", dir, admin
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		srv, err := embed.Start(ctx, cfg)
		if err != nil {
			return fmt.Errorf("start cloudmap: %w", err)
		}
		defer srv.Close()
		s := seed
		s.URL, s.Connections = srv.APIURL(), load.Connections
		t0 := time.Now()
		if err := discovery.Seed(ctx, s); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		fmt.Printf("seeded %d services x %d instances in %v (admin listener %q)\n", s.Services, s.InstancesPerService,
			time.Since(t0).Round(time.Millisecond), srv.AdminAddr())
		urls[i] = srv.APIURL()
	}
	load.Services = seed.Services
	fmt.Println("reference = cloudmap without metrics, cloudmap = cloudmap with metrics")
	res, err := discovery.Compare(ctx, urls[0], urls[1], load, rounds, nil)
	for _, r := range res.Rounds {
		fmt.Println(r)
	}
	if err != nil {
		return err
	}
	fmt.Println(res)
	return nil
}

// Command load sends DiscoverInstances load to a loopback Cloud Map
// endpoint (cloudmap or the reference server) and prints requests per
// second and latency percentiles. With -seed it first registers the
// namespace, services and instances the load asks for.
//
//	go run ./bench/discovery/load -url http://127.0.0.1:8080 -c 32 -d 10s
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/cloudmap/cloudmap/bench/discovery"
)

func main() {
	var cfg discovery.Config
	flag.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "loopback API endpoint")
	flag.IntVar(&cfg.Connections, "c", 32, "concurrent keep-alive connections")
	flag.DurationVar(&cfg.Duration, "d", 10*time.Second, "duration of the run")
	flag.Int64Var(&cfg.MaxRequests, "n", 0, "stop after this many requests (0 = no limit but the duration)")
	flag.StringVar(&cfg.Namespace, "namespace", "bench", "namespace HttpName")
	flag.StringVar(&cfg.ServicePrefix, "prefix", "svc-", "service name prefix")
	flag.IntVar(&cfg.Services, "services", 10_000, "number of services to pick from")
	flag.StringVar(&cfg.HealthStatus, "health", "", "HealthStatus filter to send (default: none)")
	seed := flag.Bool("seed", false, "register the namespace, services and instances first")
	perService := flag.Int("instances", 10, "instances per service when seeding")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *seed {
		t0 := time.Now()
		err := discovery.Seed(ctx, discovery.SeedConfig{URL: cfg.URL, Namespace: cfg.Namespace,
			ServicePrefix: cfg.ServicePrefix, Services: cfg.Services, InstancesPerService: *perService, Connections: cfg.Connections})
		if err != nil {
			fmt.Fprintln(os.Stderr, "seed:", err)
			os.Exit(1)
		}
		fmt.Printf("seeded %d services, %d instances in %v\n", cfg.Services, cfg.Services**perService, time.Since(t0).Round(time.Millisecond))
	}
	res, err := discovery.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	fmt.Println(res)
}

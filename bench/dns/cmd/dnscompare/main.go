// Command dnscompare measures cloudmap's DNS server (a fake view of 10,000
// services with 100,000 instances, changing during the run) against the
// trivial responder in one process and prints both rates and their ratio.
//
//	go run ./bench/dns/cmd/dnscompare -d 5s -rounds 2 -sockets 1
//	go run ./bench/dns/cmd/dnscompare -metrics-overhead -d 3s -rounds 6
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	benchdns "github.com/cloudmap/cloudmap/bench/dns"
)

func main() {
	var cfg benchdns.CompareConfig
	flag.IntVar(&cfg.Services, "services", 10_000, "services")
	flag.IntVar(&cfg.InstancesPerService, "instances", 10, "instances per service")
	flag.IntVar(&cfg.Sockets, "sockets", 1, "UDP sockets per server (SO_REUSEPORT)")
	flag.IntVar(&cfg.Workers, "c", 16, "concurrent clients")
	flag.DurationVar(&cfg.Duration, "d", 5*time.Second, "duration per server and round")
	flag.IntVar(&cfg.Rounds, "rounds", 2, "alternating rounds")
	flag.DurationVar(&cfg.ChurnEvery, "churn", time.Millisecond, "replace a service this often during the run (negative: never)")
	overhead := flag.Bool("metrics-overhead", false, "instead: cloudmap with the DNS metrics on against cloudmap with them off (no churn)")
	flag.Parse()
	if *overhead {
		res, err := benchdns.MetricsOverhead(context.Background(), cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(res)
		return
	}
	res, err := benchdns.Compare(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(res)
}

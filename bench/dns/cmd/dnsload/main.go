// Command dnsload sends A queries over UDP to a DNS server from N
// concurrent clients for a bounded time and count, and prints the answered
// queries per second, losses and errors.
//
//	go run ./bench/dns/cmd/dnsload -addr 127.0.0.1:8053 -name web.example.local -c 16 -d 10s
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/miekg/dns"

	benchdns "github.com/cloudmap/cloudmap/bench/dns"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8053", "UDP address of the server")
	names := flag.String("name", "svc.bench.local", "comma-separated names to query (A), round robin")
	workers := flag.Int("c", 16, "concurrent clients")
	dur := flag.Duration("d", 10*time.Second, "duration")
	n := flag.Int64("n", 0, "maximum queries (0: only the duration)")
	timeout := flag.Duration("timeout", time.Second, "wait per query before counting it lost")
	flag.Parse()
	var queries [][]byte
	for _, name := range strings.Split(*names, ",") {
		queries = append(queries, benchdns.PackQuery(name, dns.TypeA))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res := benchdns.Run(ctx, benchdns.Config{Addr: *addr, Workers: *workers, Duration: *dur,
		MaxQueries: *n, Timeout: *timeout, Queries: queries})
	fmt.Println(res)
	if res.Lost > 0 || res.Errors > 0 {
		os.Exit(1)
	}
}

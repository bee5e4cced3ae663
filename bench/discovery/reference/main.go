// Command reference is the trivial ceiling for the DiscoverInstances
// benchmark: a net/http server that answers every POST with a fixed
// DiscoverInstances body (8 instances, 4 attributes each).
//
//	go run ./bench/discovery/reference -addr 127.0.0.1:8081
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/cloudmap/cloudmap/bench/discovery"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address (loopback)")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("reference server on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: discovery.ReferenceHandler(), ReadHeaderTimeout: 10 * time.Second}
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

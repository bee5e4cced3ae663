// Command trivialdns is the reference DNS responder: it answers every query
// with the same 8 A records for svc.bench.local, doing no lookup.
//
//	go run ./bench/dns/cmd/trivialdns -addr 127.0.0.1:8054 -sockets 2
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"

	benchdns "github.com/cloudmap/cloudmap/bench/dns"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8054", "UDP address")
	sockets := flag.Int("sockets", 1, "UDP sockets with SO_REUSEPORT")
	flag.Parse()
	t, err := benchdns.StartTrivial(*addr, *sockets)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("trivial responder on", t.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
	t.Close()
}

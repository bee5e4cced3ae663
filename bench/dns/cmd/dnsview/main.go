// Command dnsview compares cloudmap's DNS server, answering from the real
// in-memory view over a bbolt store on disk, with the trivial responder, in
// one run: 10,000 services of a private DNS namespace with 10 instances each
// (100,000 instances), one instance re-registered through the store every
// millisecond while cloudmap is measured, and a freshness check at the end.
//
//	go run ./bench/dns/cmd/dnsview -d 5s -rounds 2
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap"
	benchdns "github.com/cloudmap/cloudmap/bench/dns"
	"github.com/cloudmap/cloudmap/bolt"
	"github.com/cloudmap/cloudmap/dnsserver"
	"github.com/cloudmap/cloudmap/view"
)

const nsID = "ns-benchdnsview00"

func main() {
	services := flag.Int("services", 10_000, "services")
	perService := flag.Int("instances", 10, "instances per service")
	sockets := flag.Int("sockets", 2, "UDP sockets per server (SO_REUSEPORT)")
	workers := flag.Int("c", 16, "concurrent clients")
	d := flag.Duration("d", 5*time.Second, "duration per server and round (at most 1m)")
	rounds := flag.Int("rounds", 2, "alternating rounds")
	flag.Parse()
	if *d <= 0 || *d > time.Minute {
		fmt.Fprintln(os.Stderr, "dnsview: -d must be in (0, 1m]")
		os.Exit(2)
	}
	if err := run(*services, *perService, *sockets, *workers, *d, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "dnsview:", err)
		os.Exit(1)
	}
}

func run(services, perService, sockets, workers int, d time.Duration, rounds int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "cloudmap-dnsview-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := bolt.Open(dir, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	t0 := time.Now()
	if err := populate(ctx, store, services, perService); err != nil {
		return err
	}
	fmt.Printf("stored %d services x %d instances in %v\n", services, perService, time.Since(t0).Round(time.Millisecond))
	v := view.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := v.Start(ctx); err != nil {
		return err
	}
	defer v.Close()
	srv := dnsserver.New(v, dnsserver.Config{Addr: "127.0.0.1:0", UDPSockets: sockets})
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Close()
	triv, err := benchdns.StartTrivial("127.0.0.1:0", sockets)
	if err != nil {
		return err
	}
	defer triv.Close()

	queries := make([][]byte, services)
	for i := range queries {
		queries[i] = benchdns.PackQuery(fmt.Sprintf("svc-%05d.bench.local.", i), dns.TypeA)
	}
	var trivial, cm benchdns.Result
	var updates atomic.Int64
	load := benchdns.Config{Workers: workers, Duration: d}
	for range rounds {
		runtime.GC()
		load.Addr, load.Queries = triv.Addr().String(), nil
		trivial = add(trivial, benchdns.Run(ctx, load))
		runtime.GC()
		load.Addr, load.Queries = srv.UDPAddr().String(), queries
		stop := churn(store, services, &updates)
		cm = add(cm, benchdns.Run(ctx, load))
		stop()
	}
	fresh, err := checkFresh(ctx, store, v, srv.UDPAddr().String())
	if err != nil {
		return err
	}
	fmt.Printf("trivial:  %v\ncloudmap: %v\n", trivial, cm)
	fmt.Printf("ratio %.2f, %d re-registrations through the store during the run, fresh after change: %v\n",
		cm.QPS()/trivial.QPS(), updates.Load(), fresh)
	return nil
}

func add(a, b benchdns.Result) benchdns.Result {
	a.Sent += b.Sent
	a.Received += b.Received
	a.Lost += b.Lost
	a.Errors += b.Errors
	a.Elapsed += b.Elapsed
	return a
}

func svcID(i int) string { return fmt.Sprintf("srv-bench%011d", i) }

func instance(i, j, gen int) *cloudmap.Instance {
	return &cloudmap.Instance{Id: fmt.Sprintf("i-%03d", j), ServiceId: svcID(i), CreatedByAccount: "123456789012",
		Attributes: map[string]string{cloudmap.AttrIPv4: fmt.Sprintf("10.%d.%d.%d", gen%250, j, i%250)}}
}

// populate writes the namespace, the services and their instances in
// transactions of 500 services.
func populate(ctx context.Context, store cloudmap.Store, services, perService int) error {
	ns := &cloudmap.Namespace{Id: nsID, Name: "bench.local", Type: cloudmap.NamespaceDNSPrivate,
		Properties: cloudmap.NamespaceProperties{DnsProperties: &cloudmap.DnsProperties{SOA: cloudmap.NewSOA(60)},
			HttpProperties: &cloudmap.HttpProperties{HttpName: "bench.local"}}}
	if _, err := store.Update(ctx, func(tx cloudmap.Tx) error {
		return tx.Put(cloudmap.NamespaceKey(nsID), cloudmap.Encode(ns))
	}); err != nil {
		return err
	}
	for lo := 0; lo < services; lo += 500 {
		_, err := store.Update(ctx, func(tx cloudmap.Tx) error {
			for i := lo; i < min(lo+500, services); i++ {
				svc := &cloudmap.Service{Id: svcID(i), NamespaceId: nsID, Name: fmt.Sprintf("svc-%05d", i),
					Type: cloudmap.ServiceDNSHTTP, DnsConfig: &cloudmap.DnsConfig{RoutingPolicy: cloudmap.RoutingMultivalue,
						DnsRecords: []cloudmap.DnsRecord{{Type: cloudmap.RecordA, TTL: 60}}}}
				if err := tx.Put(cloudmap.ServiceKey(svc.Id), cloudmap.Encode(svc)); err != nil {
					return err
				}
				for j := range perService {
					if err := tx.Put(cloudmap.InstanceKey(svc.Id, fmt.Sprintf("i-%03d", j)), cloudmap.Encode(instance(i, j, 0))); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// churn re-registers one instance with a new address every millisecond
// until stopped: each one is a durable commit the view must apply.
func churn(store cloudmap.Store, services int, updates *atomic.Int64) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for gen := 1; ; gen++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			i := gen * 7919 % services
			if _, err := store.Update(ctx, func(tx cloudmap.Tx) error {
				return tx.Put(cloudmap.InstanceKey(svcID(i), "i-000"), cloudmap.Encode(instance(i, 0, gen)))
			}); err == nil {
				updates.Add(1)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// checkFresh re-registers service 0's only answer set with a new address and
// checks that the very next query after the view applied it answers with it.
func checkFresh(ctx context.Context, store cloudmap.Store, v *view.View, addr string) (bool, error) {
	rev, err := store.Update(ctx, func(tx cloudmap.Tx) error {
		for _, key := range []string{cloudmap.InstancePrefix(svcID(0))} {
			var keys []string
			if err := tx.Range(key, "", func(k string, _ []byte) bool { keys = append(keys, k); return true }); err != nil {
				return err
			}
			for _, k := range keys {
				if err := tx.Delete(k); err != nil {
					return err
				}
			}
		}
		inst := &cloudmap.Instance{Id: "fresh", ServiceId: svcID(0), Attributes: map[string]string{cloudmap.AttrIPv4: "192.0.2.77"}}
		return tx.Put(cloudmap.InstanceKey(svcID(0), "fresh"), cloudmap.Encode(inst))
	})
	if err != nil {
		return false, err
	}
	if err := v.WaitFor(ctx, rev); err != nil {
		return false, err
	}
	m := new(dns.Msg)
	m.SetQuestion("svc-00000.bench.local.", dns.TypeA)
	r, err := dns.Exchange(m, addr)
	if err != nil {
		return false, err
	}
	return len(r.Answer) == 1 && r.Answer[0].(*dns.A).A.String() == "192.0.2.77", nil
}

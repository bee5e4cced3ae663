// Command memory measures what a cloudmap server holds in memory per
// instance. It runs in two steps so that the measured process holds
// nothing but the server:
//
//	go run ./bench/memory -populate 1000000 -data-dir /tmp/cm-mem   # writes the store
//	go run ./bench/memory -data-dir /tmp/cm-mem -heapprofile heap.prof
//	go tool pprof -sample_index=inuse_space -top heap.prof
//
// -populate writes one private DNS namespace with services of 10 instances
// of 4 attributes each (the records as the registry stores them) straight
// into a bbolt data dir. The measuring step starts the server on it
// (embed.Start: the view loads every record), collects garbage, returns
// freed memory to the OS, and prints the process's resident memory from
// /proc/self/status (anonymous, file-backed: the bbolt mmap pages read)
// and the Go heap, in total and per instance.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/bolt"
	"github.com/cloudmap/cloudmap/embed"
)

const nsID = "ns-membench0000000"

func main() {
	populate := flag.Int("populate", 0, "write this many instances into -data-dir and exit")
	dataDir := flag.String("data-dir", "", "data directory")
	heapProfile := flag.String("heapprofile", "", "write a heap profile after the view loaded")
	flag.Parse()
	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "memory: -data-dir is required")
		os.Exit(2)
	}
	var err error
	if *populate > 0 {
		err = write(*dataDir, *populate)
	} else {
		err = measure(*dataDir, *heapProfile)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "memory:", err)
		os.Exit(1)
	}
}

// write populates dir with n instances, 10 per service.
func write(dir string, n int) error {
	st, err := bolt.Open(dir, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	ns := &cloudmap.Namespace{Id: nsID, Name: "mem.local", Type: cloudmap.NamespaceDNSPrivate,
		Arn: "arn:aws:servicediscovery:us-east-1:123456789012:namespace/" + nsID, CreateDate: time.Now(),
		Properties: cloudmap.NamespaceProperties{DnsProperties: &cloudmap.DnsProperties{SOA: cloudmap.NewSOA(60)},
			HttpProperties: &cloudmap.HttpProperties{HttpName: "mem.local"}}}
	if _, err := st.Update(ctx, func(tx cloudmap.Tx) error {
		return tx.Put(cloudmap.NamespaceKey(nsID), cloudmap.Encode(ns))
	}); err != nil {
		return err
	}
	const per = 10
	services := (n + per - 1) / per
	t0 := time.Now()
	for lo := 0; lo < services; lo += 500 {
		_, err := st.Update(ctx, func(tx cloudmap.Tx) error {
			for i := lo; i < min(lo+500, services); i++ {
				id := fmt.Sprintf("srv-mem%013d", i)
				svc := &cloudmap.Service{Id: id, NamespaceId: nsID, Name: fmt.Sprintf("svc-%06d", i),
					Arn: "arn:aws:servicediscovery:us-east-1:123456789012:service/" + id, CreateDate: time.Now(),
					Type: cloudmap.ServiceDNSHTTP, DnsConfig: &cloudmap.DnsConfig{RoutingPolicy: cloudmap.RoutingMultivalue,
						DnsRecords: []cloudmap.DnsRecord{{Type: cloudmap.RecordA, TTL: 60}}}}
				if err := tx.Put(cloudmap.ServiceKey(id), cloudmap.Encode(svc)); err != nil {
					return err
				}
				for j := range min(per, n-i*per) {
					inst := &cloudmap.Instance{Id: fmt.Sprintf("i-%07d-%02d", i, j), CreatedByAccount: "123456789012",
						CreatorRequestId: fmt.Sprintf("%08x-aaaa-bbbb-cccc-%012d", i, j),
						Attributes: map[string]string{cloudmap.AttrIPv4: fmt.Sprintf("10.%d.%d.%d", i/62500, i/250%250, i%250),
							cloudmap.AttrPort: "8080", "zone": "us-east-1a", "version": "v1.2.3"}}
					if err := tx.Put(cloudmap.InstanceKey(id, inst.Id), cloudmap.Encode(inst)); err != nil {
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
	fmt.Printf("wrote %d instances in %d services in %v\n", n, services, time.Since(t0).Round(time.Millisecond))
	return nil
}

// measure starts the server on dir and prints its memory.
func measure(dir, heapProfile string) error {
	cfg := embed.DefaultConfig()
	cfg.APIAddr, cfg.DNSAddr, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", dir
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	t0 := time.Now()
	srv, err := embed.Start(context.Background(), cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	took := time.Since(t0)
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st, err := status()
	if err != nil {
		return err
	}
	var n int
	srv.Store().View(context.Background(), func(tx cloudmap.ReadTx) error {
		n, err = tx.Count(cloudmap.PrefixInstance)
		return err
	})
	if n == 0 {
		return fmt.Errorf("no instances in %s: populate it first", dir)
	}
	fi, err := os.Stat(dir + "/" + bolt.FileName)
	if err != nil {
		return err
	}
	per := func(kib int64) string { return fmt.Sprintf("%8.0f", float64(kib*1024)/float64(n)) }
	fmt.Printf("%d instances, started in %v, data file %.1f MiB\n", n, took.Round(time.Millisecond), float64(fi.Size())/(1<<20))
	fmt.Printf("%-28s %10s %10s\n", "", "MiB", "B/instance")
	for _, k := range []string{"VmRSS", "RssAnon", "RssFile"} {
		fmt.Printf("%-28s %10.1f %s\n", k, float64(st[k])/1024, per(st[k]))
	}
	fmt.Printf("%-28s %10.1f %s\n", "Go heap in use", float64(ms.HeapInuse)/(1<<20), per(int64(ms.HeapInuse/1024)))
	fmt.Printf("%-28s %10.1f %s\n", "Go runtime total (Sys)", float64(ms.Sys)/(1<<20), per(int64(ms.Sys/1024)))
	if heapProfile != "" {
		f, err := os.Create(heapProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		return pprof.Lookup("heap").WriteTo(f, 0)
	}
	return nil
}

// status reads the kB fields of /proc/self/status.
func status() (map[string]int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return nil, fmt.Errorf("resident memory needs Linux /proc: %w", err)
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var kb int64
		if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err == nil {
			out[k] = kb
		}
	}
	return out, sc.Err()
}

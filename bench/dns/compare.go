package dns

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	cloudmap "github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/dnsserver"
	"github.com/cloudmap/cloudmap/dnsserver/dnstest"
)

// CompareConfig is one comparison of cloudmap's DNS server with the trivial
// responder.
type CompareConfig struct {
	Services            int           // default 10,000
	InstancesPerService int           // default 10
	Sockets             int           // UDP sockets of each server (default 1)
	Workers             int           // load generator clients (default 16)
	Duration            time.Duration // per server and round (default 3s)
	Rounds              int           // alternating rounds (default 1)
	// ChurnEvery replaces one service's instances this often while the
	// cloudmap server is measured (default 1ms; negative: none).
	ChurnEvery time.Duration
}

// CompareResult is the outcome of Compare.
type CompareResult struct {
	Trivial, Cloudmap Result
	// Ratio is cloudmap's answered queries per second over the trivial
	// responder's.
	Ratio float64
	// Updates is the number of service changes applied during the cloudmap
	// runs; Fresh says whether a change made after the load was answered by
	// the very next query.
	Updates int64
	Fresh   bool
}

// String formats the result for humans.
func (r CompareResult) String() string {
	return fmt.Sprintf("trivial:  %v\ncloudmap: %v\nratio %.2f, %d updates during the run, fresh after change: %v",
		r.Trivial, r.Cloudmap, r.Ratio, r.Updates, r.Fresh)
}

// BenchSource builds a fake view with one private namespace "bench.local"
// holding services svc-00000... with MULTIVALUE A records, and returns the
// packed A queries for every service.
func BenchSource(services, perService int) (*dnstest.Source, *cloudmap.Namespace, [][]byte) {
	src := dnstest.New()
	ns := dnstest.Namespace("ns-bench", "bench.local", cloudmap.NamespaceDNSPrivate, 60)
	src.PutNamespace(ns)
	queries := make([][]byte, services)
	for i := range services {
		src.PutService(benchEntry(ns, i, perService, 0))
		queries[i] = PackQuery(fmt.Sprintf("svc-%05d.bench.local.", i), dns.TypeA)
	}
	return src, ns, queries
}

// benchEntry is service i with n instances whose addresses depend on gen.
func benchEntry(ns *cloudmap.Namespace, i, n, gen int) *cloudmap.ServiceEntry {
	svc := dnstest.Service(ns, fmt.Sprintf("svc-%05d", i), cloudmap.RoutingMultivalue, "A", 60)
	ins := make([]cloudmap.InstanceEntry, n)
	for j := range ins {
		ip := netip.AddrFrom4([4]byte{10, byte(gen), byte(j), byte(i % 250)})
		ins[j] = dnstest.Instance(fmt.Sprintf("i-%05d-%03d", i, j), cloudmap.Unknown, cloudmap.AttrIPv4, ip.String())
	}
	return dnstest.Entry(ns, svc, ins...)
}

// Compare measures the trivial responder and cloudmap's server with the same
// load generator, alternating, in one process.
func Compare(ctx context.Context, cfg CompareConfig) (CompareResult, error) {
	if cfg.Services <= 0 {
		cfg.Services = 10_000
	}
	if cfg.InstancesPerService <= 0 {
		cfg.InstancesPerService = 10
	}
	if cfg.Sockets <= 0 {
		cfg.Sockets = 1
	}
	if cfg.Rounds <= 0 {
		cfg.Rounds = 1
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 3 * time.Second
	}
	if cfg.ChurnEvery == 0 {
		cfg.ChurnEvery = time.Millisecond
	}
	src, ns, queries := BenchSource(cfg.Services, cfg.InstancesPerService)
	srv := dnsserver.New(src, dnsserver.Config{Addr: "127.0.0.1:0", UDPSockets: cfg.Sockets})
	if err := srv.Start(); err != nil {
		return CompareResult{}, err
	}
	defer srv.Close()
	triv, err := StartTrivial("127.0.0.1:0", cfg.Sockets)
	if err != nil {
		return CompareResult{}, err
	}
	defer triv.Close()

	var res CompareResult
	load := Config{Workers: cfg.Workers, Duration: cfg.Duration}
	for range cfg.Rounds {
		runtime.GC() // start each measurement without the other's garbage
		load.Addr, load.Queries = triv.Addr().String(), nil
		res.Trivial = add(res.Trivial, Run(ctx, load))
		load.Addr, load.Queries = srv.UDPAddr().String(), queries
		runtime.GC()
		stop := churn(src, ns, cfg, &res.Updates)
		res.Cloudmap = add(res.Cloudmap, Run(ctx, load))
		stop()
	}
	if q := res.Trivial.QPS(); q > 0 {
		res.Ratio = res.Cloudmap.QPS() / q
	}
	res.Fresh, err = checkFresh(src, ns, cfg.InstancesPerService, srv.UDPAddr().String())
	return res, err
}

// churn replaces random services' instances until stopped.
func churn(src *dnstest.Source, ns *cloudmap.Namespace, cfg CompareConfig, updates *int64) (stop func()) {
	if cfg.ChurnEvery < 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(cfg.ChurnEvery)
		defer t.Stop()
		for gen := 1; ; gen++ {
			select {
			case <-done:
				return
			case <-t.C:
				src.PutService(benchEntry(ns, rand.IntN(cfg.Services), cfg.InstancesPerService, gen%200+1))
				atomic.AddInt64(updates, 1)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// checkFresh changes service 0 to addresses 10.250.x.x and checks that the
// next query over UDP answers them.
func checkFresh(src *dnstest.Source, ns *cloudmap.Namespace, n int, addr string) (bool, error) {
	src.PutService(benchEntry(ns, 0, n, 250))
	q := new(dns.Msg)
	q.SetQuestion("svc-00000.bench.local.", dns.TypeA)
	r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(q, addr)
	if err != nil {
		return false, fmt.Errorf("freshness query: %w", err)
	}
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); !ok || a.A[1] != 250 {
			return false, nil
		}
	}
	return len(r.Answer) > 0, nil
}

func add(a, b Result) Result {
	return Result{Sent: a.Sent + b.Sent, Received: a.Received + b.Received, Lost: a.Lost + b.Lost,
		Errors: a.Errors + b.Errors, Elapsed: a.Elapsed + b.Elapsed}
}

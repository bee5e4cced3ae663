// Command health measures the health checker at scale: it starts loopback
// targets (minimal HTTP responders that answer 200, and listeners that never
// accept, so their connections stay unanswered in the backlog),
// points N instances at them, runs the checker for a bounded time and
// reports probes per second, late rounds, goroutines, CPU and store writes.
//
//	go run ./bench/health -n 10000 -interval 1s -d 10s -silent 0.5
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/health"
)

// Config is one run.
type Config struct {
	// Instances is the number of targets; Silent the fraction of them that
	// never answer.
	Instances int
	Silent    float64
	// Interval, Concurrency and ResponseTimeout configure the checker.
	Interval        time.Duration
	Concurrency     int
	ResponseTimeout time.Duration
	// Type is the health check type of every target (default HTTP).
	Type cloudmap.HealthCheckType
	// Pipe replaces the network with in-memory pipes (net.Pipe) to measure
	// the checker's own cost without the kernel's TCP work.
	Pipe bool
	// Duration bounds the run.
	Duration time.Duration
	// Addrs is the number of loopback addresses (127.0.0.x) the targets are
	// spread over, each with one answering and one silent listener.
	Addrs int
}

// Result is what a run measured.
type Result struct {
	Elapsed              time.Duration
	Stats                health.Stats
	PassingTargets       int
	MaxGoroutines        int
	CPU                  time.Duration
	SinkCalls, ToHealthy int64
	ToUnhealthy          int64
}

// ProbesPerSecond is the completed probes per second.
func (r Result) ProbesPerSecond() float64 { return float64(r.Stats.Probes) / r.Elapsed.Seconds() }

// CPUPercent is the process CPU (checker and targets) per wall second.
func (r Result) CPUPercent() float64 { return 100 * r.CPU.Seconds() / r.Elapsed.Seconds() }

func (r Result) String() string {
	return fmt.Sprintf("%v: %d probes (%.0f/s; passed %d, failed %d), late rounds %d (of passing targets %d), skipped %d, "+
		"max goroutines %d, in flight at end %d, CPU %.0f%%, sink calls %d (to HEALTHY %d, to UNHEALTHY %d)",
		r.Elapsed.Round(time.Millisecond), r.Stats.Probes, r.ProbesPerSecond(), r.Stats.Passed, r.Stats.Failed,
		r.Stats.LateRounds, r.Stats.LatePassing, r.Stats.Skipped, r.MaxGoroutines, r.Stats.InFlight,
		r.CPUPercent(), r.SinkCalls, r.ToHealthy, r.ToUnhealthy)
}

// targets is a fixed Targets.
type targets []cloudmap.HealthTarget

func (t targets) HealthTargets() []cloudmap.HealthTarget { return t }
func (t targets) Notify() <-chan struct{}                { return nil }

// sink counts SetHealth calls.
type sink struct{ calls, healthy, unhealthy atomic.Int64 }

func (s *sink) SetHealth(_ context.Context, _, _ string, st cloudmap.HealthStatus) (bool, error) {
	s.calls.Add(1)
	if st == cloudmap.Healthy {
		s.healthy.Add(1)
	} else {
		s.unhealthy.Add(1)
	}
	return true, nil
}

// Run starts the targets and the checker, runs for cfg.Duration and stops
// everything it started.
func Run(ctx context.Context, cfg Config) (Result, error) {
	var closers []func()
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	var live, silent []string
	for i := range max(1, cfg.Addrs) {
		ip := "127.0.0." + strconv.Itoa(i+1)
		ln, err := net.Listen("tcp4", ip+":0")
		if err != nil {
			return Result{}, fmt.Errorf("listen: %w", err)
		}
		go serveOK(ln)
		closers = append(closers, func() { ln.Close() })
		live = append(live, ln.Addr().String())
		// Never accepted: connections wait in the backlog, unanswered.
		sl, err := net.Listen("tcp4", ip+":0")
		if err != nil {
			return Result{}, fmt.Errorf("listen: %w", err)
		}
		closers = append(closers, func() { sl.Close() })
		silent = append(silent, sl.Addr().String())
	}
	typ := cfg.Type
	if typ == "" {
		typ = cloudmap.HealthCheckHTTP
	}
	nSilent := int(float64(cfg.Instances) * cfg.Silent)
	list := make(targets, 0, cfg.Instances)
	for i := range cfg.Instances {
		addrs := live
		if i < nSilent {
			addrs = silent
		}
		host, port, _ := net.SplitHostPort(addrs[i%len(addrs)])
		list = append(list, cloudmap.HealthTarget{
			ServiceId: "srv-bench", InstanceId: "i-" + strconv.Itoa(i),
			Config: cloudmap.HealthCheckConfig{Type: typ},
			IPv4:   host, Port: port, Health: cloudmap.Healthy,
		})
	}
	s := &sink{}
	hcfg := health.Config{
		Interval: cfg.Interval, Concurrency: cfg.Concurrency, ResponseTimeout: cfg.ResponseTimeout,
		Logger: slog.New(slog.DiscardHandler),
		Allow:  []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, // the load's targets are on loopback
	}
	if cfg.Pipe {
		hcfg.Dial = pipeDial(silent)
	}
	c := health.New(list, s, hcfg)
	cpu0 := cpuTime()
	t0 := time.Now()
	if err := c.Start(ctx); err != nil {
		return Result{}, err
	}
	var maxG atomic.Int64
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if n := int64(runtime.NumGoroutine()); n > maxG.Load() {
				maxG.Store(n)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	select {
	case <-ctx.Done():
	case <-time.After(cfg.Duration):
	}
	if dumpGoroutines != "" {
		if f, err := os.Create(dumpGoroutines); err == nil {
			_ = pprof.Lookup("goroutine").WriteTo(f, 1)
			f.Close()
		}
	}
	st := c.Stats()
	elapsed := time.Since(t0)
	cpu := cpuTime() - cpu0
	close(done)
	wg.Wait()
	c.Stop()
	return Result{
		Elapsed: elapsed, Stats: st, PassingTargets: cfg.Instances - nSilent,
		MaxGoroutines: int(maxG.Load()), CPU: cpu,
		SinkCalls: s.calls.Load(), ToHealthy: s.healthy.Load(), ToUnhealthy: s.unhealthy.Load(),
	}, nil
}

// okResponse is what the answering targets send.
const okResponse = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

// serveOK answers every connection with 200 as cheaply as it can: one read
// of the request, one write, close. It returns when ln is closed.
func serveOK(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 512)
			if _, err := c.Read(buf); err != nil {
				return
			}
			_, _ = io.WriteString(c, okResponse)
		}()
	}
}

// pipeDial returns a Dial hook serving each connection over net.Pipe:
// addresses in silent never answer, the others answer 200.
func pipeDial(silent []string) func(context.Context, string, string) (net.Conn, error) {
	quiet := make(map[string]bool, len(silent))
	for _, a := range silent {
		quiet[a] = true
	}
	return func(_ context.Context, _, addr string) (net.Conn, error) {
		client, server := net.Pipe()
		go func() {
			defer server.Close()
			buf := make([]byte, 512)
			if _, err := server.Read(buf); err != nil || quiet[addr] {
				_, _ = io.Copy(io.Discard, server)
				return
			}
			_, _ = io.WriteString(server, okResponse)
		}()
		return client, nil
	}
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// dumpGoroutines, when set, is a file the goroutine profile is written to
// at the end of the run.
var dumpGoroutines string

func main() {
	flag.StringVar(&dumpGoroutines, "goroutines", "", "write the goroutine profile at the end of the run to this file")
	var cfg Config
	flag.IntVar(&cfg.Instances, "n", 10000, "instances")
	flag.Float64Var(&cfg.Silent, "silent", 0.5, "fraction of instances that never answer")
	flag.DurationVar(&cfg.Interval, "interval", time.Second, "health check interval")
	flag.IntVar(&cfg.Concurrency, "c", 24000, "probes in flight at most")
	flag.DurationVar(&cfg.ResponseTimeout, "response-timeout", 0, "response timeout (0: Route 53's 2s)")
	flag.StringVar((*string)(&cfg.Type), "type", "HTTP", "health check type: HTTP or TCP")
	flag.BoolVar(&cfg.Pipe, "pipe", false, "probe over in-memory pipes instead of loopback TCP")
	flag.DurationVar(&cfg.Duration, "d", 10*time.Second, "run time")
	flag.IntVar(&cfg.Addrs, "addrs", 8, "loopback addresses to spread targets over")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println(res)
}

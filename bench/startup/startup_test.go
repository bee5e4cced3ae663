package startup_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/bench/startup"
	"github.com/cloudmap/cloudmap/bolt"
	"github.com/cloudmap/cloudmap/view"
)

// big is the population of the startup budget: 1,000,000 instances in
// 10,000 services.
var big = startup.Population{Services: 10_000, PerService: 100}

var (
	bigOnce sync.Once
	bigDir  string
	bigErr  error
	bigKept string // the directory named by keepEnv
)

// keepEnv names an environment variable: when set, the big store is kept
// in that directory across runs (filled on the first run) instead of a
// temporary directory written on every run.
const keepEnv = "CLOUDMAP_STARTUP_DIR"

func TestMain(m *testing.M) {
	code := m.Run()
	if bigDir != "" {
		os.RemoveAll(bigDir)
	}
	os.Exit(code)
}

// bigStore returns the directory of a bolt store holding the big
// population, written once per test binary run (it takes a while).
func bigStore(b *testing.B) string {
	b.Helper()
	bigOnce.Do(func() {
		if dir := os.Getenv(keepEnv); dir != "" {
			if _, err := os.Stat(filepath.Join(dir, bolt.FileName)); err == nil {
				bigKept = dir
				return
			}
			bigKept, bigErr = dir, fill(dir, big)
			return
		}
		bigDir, bigErr = os.MkdirTemp("", "cloudmap-startup-")
		if bigErr != nil {
			return
		}
		t0 := time.Now()
		bigErr = fill(bigDir, big)
		b.Logf("wrote %d keys in %v", big.Keys(), time.Since(t0).Round(time.Millisecond))
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	if bigKept != "" {
		return bigKept
	}
	return bigDir
}

func fill(dir string, p startup.Population) error {
	st, err := bolt.Open(dir, nil)
	if err != nil {
		return err
	}
	// One big transaction logs one big change; keep only a few.
	st.Retention = 10
	if _, err := startup.Populate(context.Background(), st, p); err != nil {
		st.Close()
		return err
	}
	return st.Close()
}

// snapshot opens the store in dir and returns its first Watch change.
func snapshot(tb testing.TB, dir string) cloudmap.Change {
	tb.Helper()
	st, err := bolt.Open(dir, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := st.Watch(ctx, 0)
	if err != nil {
		tb.Fatal(err)
	}
	c, ok := <-ch
	if !ok || !c.Snapshot {
		tb.Fatalf("first change: ok %v, snapshot %v; want a snapshot", ok, c.Snapshot)
	}
	return c
}

// start opens the store in dir and starts a view of it.
func start(tb testing.TB, dir string) (*bolt.Store, *view.View) {
	tb.Helper()
	st, err := bolt.Open(dir, nil)
	if err != nil {
		tb.Fatal(err)
	}
	v := view.New(st, nil)
	if err := v.Start(context.Background()); err != nil {
		st.Close()
		tb.Fatal(err)
	}
	return st, v
}

// TestPopulate_ViewStart checks that a populated bolt store snapshots
// every key and that the view started on it serves every service.
func TestPopulate_ViewStart(t *testing.T) {
	p := startup.Population{Services: 30, PerService: 8, ServicesPerTx: 7}
	dir := t.TempDir()
	if err := fill(dir, p); err != nil {
		t.Fatal(err)
	}
	if got, want := len(snapshot(t, dir).Events), p.Keys(); got != want {
		t.Errorf("snapshot events = %d, want %d", got, want)
	}
	st, v := start(t, dir)
	defer st.Close()
	defer v.Close()
	for s := range p.Services {
		in := &cloudmap.DiscoverInstancesInput{NamespaceName: "bench", ServiceName: fmt.Sprintf("svc-%d", s),
			HealthStatus: cloudmap.FilterAll}
		out, err := v.DiscoverInstances(context.Background(), in)
		if err != nil {
			t.Fatalf("svc-%d: %v", s, err)
		}
		if got, want := len(out.Instances), p.PerService; got != want {
			t.Errorf("svc-%d: %d instances, want %d", s, got, want)
		}
		in.HealthStatus = cloudmap.FilterHealthy
		out, err = v.DiscoverInstances(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		want := p.PerService // unchecked: every instance counts healthy
		if s%2 == 1 {
			want = p.PerService - p.PerService/4 // every fourth is UNHEALTHY
		}
		if got := len(out.Instances); got != want {
			t.Errorf("svc-%d: %d healthy instances, want %d", s, got, want)
		}
	}
}

// heapInUse returns the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkBoltSnapshot1M times bolt's part of a restart: open the store
// and receive the snapshot of 1,000,000 instances (1.5 M keys).
func BenchmarkBoltSnapshot1M(b *testing.B) {
	dir := bigStore(b)
	snapshot(b, dir) // warm the page cache: every run reads from memory
	runtime.GC()
	for b.Loop() {
		if got, want := len(snapshot(b, dir).Events), big.Keys(); got != want {
			b.Fatalf("snapshot events = %d, want %d", got, want)
		}
	}
}

// BenchmarkStart1M times a restart with 1,000,000 instances on disk: open
// the bolt store and start a view until it is ready to serve. It reports
// the heap the view holds per instance once loaded, the CPU time the
// process used, and the heap memory held from the OS after the load (a
// proxy for the peak).
func BenchmarkStart1M(b *testing.B) {
	dir := bigStore(b)
	snapshot(b, dir) // warm the page cache
	var per float64
	var cpu time.Duration
	var peak uint64 // heap memory held from the OS right after the load
	for b.Loop() {
		b.StopTimer()
		before := heapInUse()
		cpu0 := cpuTime()
		b.StartTimer()
		st, v := start(b, dir)
		b.StopTimer()
		cpu += cpuTime() - cpu0
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapSys-m.HeapReleased)
		if s := v.ServiceNamed(startup.NamespaceID, "svc-9999"); s == nil || len(s.Instances) != big.PerService {
			b.Fatalf("svc-9999 not loaded")
		}
		per = float64(heapInUse()-before) / float64(big.Instances())
		v.Close()
		st.Close()
		runtime.GC()
		b.StartTimer()
	}
	b.ReportMetric(per, "B/instance")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(peak)/(1<<20), "heap-MB")
}

package view_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/storetest/memstore"
	"github.com/cloudmap/cloudmap/view"
)

// population returns the records of one namespace "bench" with services
// svc-0… and perService instances each, 4 attributes per instance; every
// other service has a custom health check.
func population(services, perService int) map[string][]byte {
	kv := make(map[string][]byte, services*(perService*2+1)+1)
	kv[cloudmap.NamespaceKey("ns-bench")] = cloudmap.Encode(&cloudmap.Namespace{Id: "ns-bench", Name: "bench",
		Type: cloudmap.NamespaceHTTP, Properties: cloudmap.NamespaceProperties{HttpProperties: &cloudmap.HttpProperties{HttpName: "bench"}}})
	for s := range services {
		check := ""
		if s%2 == 1 {
			check = "custom"
		}
		id := fmt.Sprintf("srv-%d", s)
		kv[cloudmap.ServiceKey(id)] = cloudmap.Encode(service(id, "ns-bench", fmt.Sprintf("svc-%d", s), check))
		for i := range perService {
			iid := fmt.Sprintf("i-%d-%d", s, i)
			kv[cloudmap.InstanceKey(id, iid)] = cloudmap.Encode(&cloudmap.Instance{Id: iid, ServiceId: id,
				CreatorRequestId: fmt.Sprintf("6f1c2d9e-4b7a-4c1e-9d2f-%012d", s*perService+i),
				Attributes: map[string]string{
					cloudmap.AttrIPv4: fmt.Sprintf("10.%d.%d.%d", s/256%256, s%256, i%256),
					cloudmap.AttrPort: "8080",
					"stage":           []string{"prod", "dev"}[i%2],
					"zone":            fmt.Sprintf("us-east-1%c", 'a'+i%3),
				}})
			if check != "" {
				st := cloudmap.Healthy
				if i%4 == 3 {
					st = cloudmap.Unhealthy
				}
				kv[cloudmap.HealthKey(id, iid)] = cloudmap.Encode(&cloudmap.Health{Status: st})
			}
		}
	}
	return kv
}

func startLoaded(tb testing.TB, kv map[string][]byte) (*memstore.Store, *view.View) {
	tb.Helper()
	st := memstore.New()
	st.Load(kv)
	v := view.New(st, nil)
	if err := v.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		v.Close()
		st.Close()
	})
	return st, v
}

// BenchmarkView_DiscoverInstances: 10,000 services, 100,000 instances, a
// default request (HEALTHY, no filters) for a random service.
func BenchmarkView_DiscoverInstances(b *testing.B) {
	const services = 10_000
	_, v := startLoaded(b, population(services, 10))
	names := make([]string, services)
	for i := range names {
		names[i] = fmt.Sprintf("svc-%d", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		in := &cloudmap.DiscoverInstancesInput{NamespaceName: "bench"}
		for pb.Next() {
			in.ServiceName = names[rand.IntN(services)]
			out, err := v.DiscoverInstances(context.Background(), in)
			if err != nil || len(out.Instances) == 0 {
				b.Fatalf("DiscoverInstances: %v", err)
			}
		}
	})
}

// BenchmarkView_DiscoverInstancesFiltered: 1,000 instances in one service,
// a query and optional parameters, 10 of the matches chosen at random.
func BenchmarkView_DiscoverInstancesFiltered(b *testing.B) {
	_, v := startLoaded(b, population(1, 1000))
	in := &cloudmap.DiscoverInstancesInput{NamespaceName: "bench", ServiceName: "svc-0", MaxResults: 10,
		QueryParameters: map[string]string{"stage": "prod"}, OptionalParameters: map[string]string{"zone": "us-east-1b"}}
	b.ReportAllocs()
	for b.Loop() {
		if out, err := v.DiscoverInstances(context.Background(), in); err != nil || len(out.Instances) != 10 {
			b.Fatalf("DiscoverInstances: %v", err)
		}
	}
}

// BenchmarkView_DiscoverUnderWriteFlood discovers while one writer
// registers instances as fast as the store takes them.
func BenchmarkView_DiscoverUnderWriteFlood(b *testing.B) {
	const services = 1000
	st, v := startLoaded(b, population(services, 10))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var writes atomic.Int64
	go func() {
		defer close(done)
		for i := 0; ctx.Err() == nil && i < 5_000_000; i++ {
			id := fmt.Sprintf("srv-%d", i%services)
			_, err := st.Update(ctx, put(cloudmap.InstanceKey(id, fmt.Sprintf("flood-%d", i%5000)),
				&cloudmap.Instance{Attributes: map[string]string{"n": fmt.Sprint(i)}}))
			if err != nil {
				return
			}
			writes.Add(1)
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		in := &cloudmap.DiscoverInstancesInput{NamespaceName: "bench"}
		for pb.Next() {
			in.ServiceName = fmt.Sprintf("svc-%d", rand.IntN(services))
			if _, err := v.DiscoverInstances(context.Background(), in); err != nil {
				b.Fatalf("DiscoverInstances: %v", err)
			}
		}
	})
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(writes.Load())/b.Elapsed().Seconds(), "writes/s")
}

// BenchmarkView_RegistrationVisible measures the time from a commit to the
// view having applied it, with 10,000 services loaded.
func BenchmarkView_RegistrationVisible(b *testing.B) {
	st, v := startLoaded(b, population(10_000, 10))
	lat := make([]time.Duration, 0, b.N)
	i := 0
	for b.Loop() {
		i++
		id := fmt.Sprintf("srv-%d", i%10_000)
		rev, err := st.Update(context.Background(), put(cloudmap.InstanceKey(id, fmt.Sprintf("new-%d", i)),
			&cloudmap.Instance{Attributes: map[string]string{cloudmap.AttrIPv4: "10.9.9.9"}}))
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if err := v.WaitFor(context.Background(), rev); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// heapInUse returns the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// viewBytesPerInstance loads n instances (10 per service, 4 attributes
// each) and returns the view's heap per instance.
func viewBytesPerInstance(tb testing.TB, n int) float64 {
	kv := population(n/10, 10)
	st := memstore.New()
	st.Load(kv)
	kv = nil
	before := heapInUse()
	v := view.New(st, nil)
	if err := v.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	after := heapInUse()
	runtime.KeepAlive(v)
	v.Close()
	st.Close()
	return float64(after-before) / float64(n)
}

func TestView_MemoryPerInstance(t *testing.T) {
	if got := viewBytesPerInstance(t, 20_000); got > 2048 {
		t.Errorf("view holds %.0f bytes per instance, budget 2048", got)
	}
}

// BenchmarkView_Memory reports the heap the view holds per instance with
// 100,000 instances of 4 attributes.
func BenchmarkView_Memory(b *testing.B) {
	var per float64
	for b.Loop() {
		per = viewBytesPerInstance(b, 100_000)
	}
	b.ReportMetric(per, "B/instance")
}

// BenchmarkView_Start1M loads a snapshot of 1,000,000 instances (10,000
// services of 100) and reports the time until the view is ready.
func BenchmarkView_Start1M(b *testing.B) {
	st := memstore.New()
	st.Load(population(10_000, 100))
	defer st.Close()
	for b.Loop() {
		v := view.New(st, nil)
		if err := v.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		v.Close()
		runtime.GC()
		b.StartTimer()
	}
}

package storetest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
)

// Bench runs the store benchmarks, one workload and one set of metric
// names for every backend, so that their figures compare:
//
//	Update/parallel  registration-shaped commits (read the service, put a
//	                 ~300-byte instance) from 64 goroutines: commits/s
//	Update/serial    the same commit one at a time: ns/op is the latency
//	                 of one durable commit
//	Watch/delivery   from the return of Update to the change reaching a
//	                 watcher: µs-delivery/op
//
// open returns a fresh, empty store, closed when the benchmark ends.
func Bench(b *testing.B, open func(b *testing.B) cloudmap.Store) {
	b.Run("Update/parallel", func(b *testing.B) { benchUpdateParallel(b, open(b)) })
	b.Run("Update/serial", func(b *testing.B) { benchUpdateSerial(b, open(b)) })
	b.Run("Watch/delivery", func(b *testing.B) { benchWatchDelivery(b, open(b)) })
}

var benchValue = []byte(strings.Repeat("v", 300))

// register is the workload's commit: read the service, put an instance.
func register(s cloudmap.Store, i int64) (int64, error) {
	return s.Update(context.Background(), func(tx cloudmap.Tx) error {
		if _, err := tx.Get("svc/s"); err != nil {
			return err
		}
		return tx.Put(fmt.Sprintf("inst/s%d/i-%d", i%100, i), benchValue)
	})
}

func seedService(b *testing.B, s cloudmap.Store) {
	b.Helper()
	if _, err := s.Update(context.Background(), func(tx cloudmap.Tx) error {
		return tx.Put("svc/s", []byte("{}"))
	}); err != nil {
		b.Fatal(err)
	}
}

func benchUpdateParallel(b *testing.B, s cloudmap.Store) {
	seedService(b, s)
	var n atomic.Int64
	b.SetParallelism((64 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := register(s, n.Add(1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "commits/s")
}

func benchUpdateSerial(b *testing.B, s cloudmap.Store) {
	seedService(b, s)
	b.ResetTimer()
	for i := range b.N {
		if _, err := register(s, int64(i)); err != nil {
			b.Fatal(err)
		}
	}
}

func benchWatchDelivery(b *testing.B, s cloudmap.Store) {
	seedService(b, s)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rev, err := s.Revision(ctx)
	if err != nil {
		b.Fatal(err)
	}
	ch, err := s.Watch(ctx, rev)
	if err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	b.ResetTimer()
	for i := range b.N {
		rev, err := register(s, int64(i))
		if err != nil {
			b.Fatal(err)
		}
		committed := time.Now()
		for c := range ch {
			if c.Revision >= rev {
				break
			}
		}
		total += time.Since(committed)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs-delivery/op")
}

package bolt_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/bolt"
)

// benchStore opens a store in a fresh directory for a benchmark.
func benchStore(b *testing.B) *bolt.Store {
	b.Helper()
	s, err := bolt.Open(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// BenchmarkUpdate_Parallel commits ~300-byte puts from 64 goroutines; group
// commit shares one transaction and fsync between them.
func BenchmarkUpdate_Parallel(b *testing.B) {
	s := benchStore(b)
	value := []byte(strings.Repeat("v", 300))
	var n atomic.Int64
	b.SetParallelism((64 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Sprintf("inst/svc-%d/i-%d", n.Add(1)%100, n.Load())
			if _, err := s.Update(context.Background(), func(tx cloudmap.Tx) error {
				return tx.Put(key, value)
			}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "commits/s")
}

// BenchmarkUpdate_Serial commits ~300-byte puts one at a time: the latency
// of one durable commit.
func BenchmarkUpdate_Serial(b *testing.B) {
	s := benchStore(b)
	value := []byte(strings.Repeat("v", 300))
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Update(context.Background(), func(tx cloudmap.Tx) error {
			return tx.Put(fmt.Sprintf("k/%d", i), value)
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWatch_Delivery measures from the return of Update to the
// change arriving at a watcher.
func BenchmarkWatch_Delivery(b *testing.B) {
	s := benchStore(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := s.Watch(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
	<-ch // the snapshot
	value := []byte(strings.Repeat("v", 300))
	var total time.Duration
	b.ResetTimer()
	for i := range b.N {
		rev, err := s.Update(context.Background(), func(tx cloudmap.Tx) error {
			return tx.Put(fmt.Sprintf("k/%d", i), value)
		})
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

package etcd_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/etcd/etcdtest"
)

// BenchmarkUpdate_Parallel commits ~300-byte registrations (a Get of the
// service, a Count of its instances, a Put) from 64 goroutines against one
// local etcd member, and reports commits per second.
func BenchmarkUpdate_Parallel(b *testing.B) {
	s := open(b, etcdtest.Start(b))
	value := []byte(strings.Repeat("v", 300))
	put(b, s, "svc/s", "{}")
	var n atomic.Int64
	b.SetParallelism((64 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			_, err := s.Update(context.Background(), func(tx cloudmap.Tx) error {
				if _, err := tx.Get("svc/s"); err != nil {
					return err
				}
				return tx.Put(fmt.Sprintf("inst/s%d/i-%d", i%100, i), value)
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "commits/s")
}

// BenchmarkWatch_Latency measures commit-to-delivery time on the feed.
func BenchmarkWatch_Latency(b *testing.B) {
	s := open(b, etcdtest.Start(b))
	ch := watch(b, s, put(b, s, "start", "x"))
	var total time.Duration
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		rev := put(b, s, fmt.Sprintf("k/%d", i%50), "v")
		for c := range ch {
			if c.Revision >= rev {
				break
			}
		}
		total += time.Since(t0)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "us/commit+delivery")
}

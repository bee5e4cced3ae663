package etcd_test

import (
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/etcd/etcdtest"
	"github.com/cloudmap/cloudmap/storetest"
)

// BenchmarkStore runs the store benchmarks shared by every backend
// (storetest.Bench) against one local etcd member: the same workload and
// metric names as bolt's.
func BenchmarkStore(b *testing.B) {
	endpoints := etcdtest.Start(b)
	storetest.Bench(b, func(b *testing.B) cloudmap.Store { return open(b, endpoints) })
}

package bolt_test

import (
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/bolt"
	"github.com/cloudmap/cloudmap/storetest"
)

// BenchmarkStore runs the store benchmarks shared by every backend
// (storetest.Bench): the same workload and metric names as etcd's.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) cloudmap.Store {
		s, err := bolt.Open(b.TempDir(), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s
	})
}

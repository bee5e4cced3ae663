package etcd_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/etcd"
	"github.com/cloudmap/cloudmap/etcd/etcdtest"
	"github.com/cloudmap/cloudmap/storetest"
)

// prefixes numbers the fresh prefixes of one test binary.
var prefixes atomic.Int64

// open returns a store on endpoints under a fresh prefix, closed at cleanup.
func open(t testing.TB, endpoints []string, mod ...func(*etcd.Config)) *etcd.Store {
	t.Helper()
	cfg := etcd.Config{
		Endpoints: endpoints,
		Prefix:    fmt.Sprintf("/test%d/", prefixes.Add(1)),
		MaxTxnOps: etcdtest.MaxTxnOps,
	}
	for _, m := range mod {
		m(&cfg)
	}
	return openCfg(t, cfg)
}

func openCfg(t testing.TB, cfg etcd.Config) *etcd.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := etcd.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestStore runs the conformance suite against one embedded etcd member,
// each subtest under its own prefix.
func TestStore(t *testing.T) {
	runSuite(t, etcdtest.Start(t))
}

// TestStore_OtherWriters runs the conformance suite while another client
// commits to the same etcd outside the prefix, so that etcd's revision moves
// under the suite: the store's revisions have gaps, and its feed reports the
// foreign commits at most as progress markers.
func TestStore_OtherWriters(t *testing.T) {
	endpoints := etcdtest.Start(t)
	other := open(t, endpoints)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < 100_000; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			_, err := other.Update(ctx, func(tx cloudmap.Tx) error {
				return tx.Put(fmt.Sprintf("noise/%d", i%10), []byte("x"))
			})
			if err != nil && ctx.Err() == nil {
				t.Errorf("foreign write: %v", err)
				return
			}
		}
	}()
	defer func() { cancel(); <-done }()
	runSuite(t, endpoints)
}

// runSuite runs the conformance suite on endpoints, each subtest under its
// own prefix.
func runSuite(t *testing.T, endpoints []string) {
	t.Helper()
	storetest.Run(t, func(t *testing.T) storetest.Open {
		cfg := etcd.Config{
			Endpoints: endpoints, Prefix: fmt.Sprintf("/suite%d/", prefixes.Add(1)),
			MaxTxnOps: etcdtest.MaxTxnOps,
			// The suite proves correctness under contention (16 writers on
			// one key retry their conflicts); on a loaded machine one
			// writer's retries can outlast the 5 s default, which is a
			// bound for an unreachable etcd, tested on its own.
			RequestTimeout: time.Minute,
		}
		return func() (cloudmap.Store, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return etcd.Open(ctx, cfg)
		}
	})
}

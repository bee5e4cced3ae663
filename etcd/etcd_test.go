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
	endpoints := etcdtest.Start(t)
	storetest.Run(t, func(t *testing.T) storetest.Open {
		cfg := etcd.Config{
			Endpoints: endpoints, Prefix: fmt.Sprintf("/suite%d/", prefixes.Add(1)),
			MaxTxnOps: etcdtest.MaxTxnOps,
		}
		return func() (cloudmap.Store, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return etcd.Open(ctx, cfg)
		}
	})
}

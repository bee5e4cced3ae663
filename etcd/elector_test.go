package etcd_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/etcd"
	"github.com/cloudmap/cloudmap/etcd/etcdtest"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// node opens a store on its own etcd client under prefix, as a cloudmap
// node would.
func node(t *testing.T, endpoints []string, prefix string) *etcd.Store {
	t.Helper()
	return openCfg(t, etcd.Config{Endpoints: endpoints, Prefix: prefix, MaxTxnOps: etcdtest.MaxTxnOps})
}

// campaign runs e.Campaign in the background and returns its result later.
func campaign(ctx context.Context, e *etcd.Elector) <-chan context.Context {
	won := make(chan context.Context, 1)
	go func() {
		lctx, err := e.Campaign(ctx)
		if err == nil {
			won <- lctx
		}
		close(won)
	}()
	return won
}

func leads(t *testing.T, won <-chan context.Context) context.Context {
	t.Helper()
	select {
	case lctx, ok := <-won:
		if !ok {
			t.Fatal("campaign failed")
		}
		return lctx
	case <-time.After(wait):
		t.Fatal("did not become leader")
	}
	return nil
}

func notYet(t *testing.T, won <-chan context.Context) {
	t.Helper()
	select {
	case <-won:
		t.Fatal("two leaders at once")
	case <-time.After(200 * time.Millisecond):
	}
}

func TestElector_FailoverOnClose(t *testing.T) {
	endpoints := etcdtest.Start(t)
	a, b := node(t, endpoints, "/fo/"), node(t, endpoints, "/fo/")
	ctx := context.Background()
	la := leads(t, campaign(ctx, a.NewElector("leader", time.Second)))
	wonB := campaign(ctx, b.NewElector("leader", time.Second))
	notYet(t, wonB)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-la.Done():
	case <-time.After(wait):
		t.Fatal("leader context not cancelled by Close")
	}
	lb := leads(t, wonB)
	if _, err := b.Update(lb, func(tx cloudmap.Tx) error { return tx.Put("op", []byte("b")) }); err != nil {
		t.Errorf("new leader's fenced write: %v", err)
	}
}

// TestElector_FailoverOnCrash: a leader whose process dies (no revoke, the
// lease just stops being renewed) is replaced once its lease expires.
func TestElector_FailoverOnCrash(t *testing.T) {
	endpoints := etcdtest.Start(t)
	b := node(t, endpoints, "/crash/")
	crashed := rawClient(t, endpoints)
	sess, err := concurrency.NewSession(crashed, concurrency.WithTTL(1))
	if err != nil {
		t.Fatal(err)
	}
	// The same election key layout as Store.NewElector("leader", ...).
	if err := concurrency.NewElection(sess, "/crash.election/leader/").Campaign(context.Background(), "crashed"); err != nil {
		t.Fatal(err)
	}
	wonB := campaign(context.Background(), b.NewElector("leader", time.Second))
	notYet(t, wonB)
	sess.Orphan() // stop renewing: the process "died"
	leads(t, wonB)
}

func TestElector_Resign(t *testing.T) {
	endpoints := etcdtest.Start(t)
	a, b := node(t, endpoints, "/rs/"), node(t, endpoints, "/rs/")
	ea := a.NewElector("leader", 5*time.Second)
	la := leads(t, campaign(context.Background(), ea))
	wonB := campaign(context.Background(), b.NewElector("leader", 5*time.Second))
	notYet(t, wonB)
	if err := ea.Resign(context.Background()); err != nil {
		t.Fatalf("Resign: %v", err)
	}
	if la.Err() == nil {
		t.Error("leader context alive after Resign")
	}
	leads(t, wonB) // long before the 5 s lease would expire
}

// TestElector_Fencing: a write carrying the fence of a lost leadership
// fails with ErrFenced and writes nothing; the new leader's write works.
func TestElector_Fencing(t *testing.T) {
	endpoints := etcdtest.Start(t)
	a, b := node(t, endpoints, "/fence/"), node(t, endpoints, "/fence/")
	ea := a.NewElector("leader", 5*time.Second)
	la := leads(t, campaign(context.Background(), ea))
	fence, ok := cloudmap.FenceFrom(la)
	if !ok || fence.Key == "" || fence.Revision == 0 {
		t.Fatalf("leader context fence = %+v, %v", fence, ok)
	}
	if _, err := a.Update(la, func(tx cloudmap.Tx) error { return tx.Put("k", []byte("a1")) }); err != nil {
		t.Fatalf("leader's write: %v", err)
	}
	wonB := campaign(context.Background(), b.NewElector("leader", 5*time.Second))
	if err := ea.Resign(context.Background()); err != nil {
		t.Fatal(err)
	}
	lb := leads(t, wonB)
	// A write of the deposed leader still in flight: same fence, live context.
	stale := cloudmap.WithFence(context.Background(), fence)
	_, err := a.Update(stale, func(tx cloudmap.Tx) error { return tx.Put("k", []byte("a2")) })
	if !errors.Is(err, cloudmap.ErrFenced) {
		t.Errorf("deposed leader's write: err = %v, want ErrFenced", err)
	}
	if _, err := b.Update(lb, func(tx cloudmap.Tx) error { return tx.Put("k", []byte("b1")) }); err != nil {
		t.Fatalf("new leader's write: %v", err)
	}
	err = a.View(context.Background(), func(tx cloudmap.ReadTx) error {
		v, err := tx.Get("k")
		if err == nil && string(v) != "b1" {
			t.Errorf("k = %q, want b1", v)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

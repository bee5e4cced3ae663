package etcd_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/etcd"
	"github.com/cloudmap/cloudmap/etcd/etcdtest"
)

// TestUpdate_Conflicts runs read-modify-write transactions from two nodes
// (two clients) at once: no update is lost, and a limit checked with Count
// holds although both nodes insert under the same prefix.
func TestUpdate_Conflicts(t *testing.T) {
	endpoints := etcdtest.Start(t)
	nodes := []*etcd.Store{node(t, endpoints, "/cf/"), node(t, endpoints, "/cf/")}
	const workers, each, limit = 8, 10, 25
	var wg sync.WaitGroup
	var full atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := nodes[w%len(nodes)]
			for i := range each {
				_, err := s.Update(context.Background(), func(tx cloudmap.Tx) error {
					v, err := tx.Get("counter")
					n := 0
					if err == nil {
						n, _ = strconv.Atoi(string(v))
					}
					return tx.Put("counter", []byte(strconv.Itoa(n+1)))
				})
				if err != nil {
					t.Errorf("counter: %v", err)
					return
				}
				_, err = s.Update(context.Background(), func(tx cloudmap.Tx) error {
					n, err := tx.Count("items/")
					if err != nil || n >= limit {
						return err
					}
					return tx.Put(fmt.Sprintf("items/%d-%d", w, i), nil)
				})
				if err != nil {
					t.Errorf("limited insert: %v", err)
					return
				}
			}
			full.Add(1)
		}()
	}
	wg.Wait()
	if full.Load() != workers {
		t.FailNow()
	}
	err := nodes[0].View(context.Background(), func(tx cloudmap.ReadTx) error {
		v, err := tx.Get("counter")
		if err != nil {
			return err
		}
		if got, want := string(v), strconv.Itoa(workers*each); got != want {
			t.Errorf("counter = %s, want %s", got, want)
		}
		n, err := tx.Count("items/")
		if got, want := n, limit; got != want {
			t.Errorf("items = %d, want exactly the limit %d", got, want)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUpdate_ReadSetOverBudget: a transaction reading more keys than one
// etcd transaction may compare still detects a conflicting write.
func TestUpdate_ReadSetOverBudget(t *testing.T) {
	endpoints := etcdtest.Start(t)
	s := open(t, endpoints)
	for i := range 20 {
		put(t, s, fmt.Sprintf("k/%02d", i), "0")
	}
	small := openCfg(t, etcd.Config{Endpoints: endpoints, Prefix: s.Prefix(), MaxTxnOps: 8})
	runs := 0
	_, err := small.Update(context.Background(), func(tx cloudmap.Tx) error {
		runs++
		sum := 0
		for i := range 20 {
			v, err := tx.Get(fmt.Sprintf("k/%02d", i))
			if err != nil {
				return err
			}
			n, _ := strconv.Atoi(string(v))
			sum += n
		}
		if runs == 1 { // another node writes a key this transaction read
			put(t, s, "k/07", "5")
		}
		return tx.Put("sum", []byte(strconv.Itoa(sum)))
	})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 2 {
		t.Errorf("fn ran %d times, want 2 (one conflict)", runs)
	}
	if got := getValue(t, s, "sum"); got != "5" {
		t.Errorf("sum = %s, want 5", got)
	}
}

func getValue(t *testing.T, s cloudmap.Store, key string) string {
	t.Helper()
	var got string
	err := s.View(context.Background(), func(tx cloudmap.ReadTx) error {
		v, err := tx.Get(key)
		got = string(v)
		return err
	})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return got
}

// TestUpdate_CanceledFast: an Update with a done context fails at once.
func TestUpdate_CanceledFast(t *testing.T) {
	endpoints := etcdtest.Start(t)
	s := open(t, endpoints)
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	if _, err := s.Update(ctx, func(tx cloudmap.Tx) error { return tx.Put("a", nil) }); err == nil {
		t.Error("Update with a done context: err = nil")
	}
}

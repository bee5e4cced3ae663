package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/etcd"
	"github.com/cloudmap/cloudmap/etcd/etcdtest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// wait bounds every wait of these tests; only a lost change hits it.
const wait = 15 * time.Second

// rawClient returns a plain etcd client for manipulating etcd directly.
func rawClient(t testing.TB, endpoints []string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

func put(t testing.TB, s cloudmap.Store, key, value string) int64 {
	t.Helper()
	rev, err := s.Update(context.Background(), func(tx cloudmap.Tx) error { return tx.Put(key, []byte(value)) })
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return rev
}

func watch(t testing.TB, s cloudmap.Store, from int64) <-chan cloudmap.Change {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch, err := s.Watch(ctx, from)
	if err != nil {
		t.Fatalf("Watch(%d): %v", from, err)
	}
	return ch
}

func next(t testing.TB, ch <-chan cloudmap.Change) cloudmap.Change {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("watch channel closed")
		}
		return c
	case <-time.After(wait):
		t.Fatal("no change received")
	}
	return cloudmap.Change{}
}

// nextEvents skips progress changes (no events, not a snapshot).
func nextEvents(t testing.TB, ch <-chan cloudmap.Change) cloudmap.Change {
	t.Helper()
	for {
		if c := next(t, ch); c.Snapshot || len(c.Events) > 0 {
			return c
		}
	}
}

func TestWatch_AfterCompaction(t *testing.T) {
	endpoints := etcdtest.Start(t)
	s := open(t, endpoints)
	old := put(t, s, "a", "1")
	put(t, s, "b", "2")
	last := put(t, s, "a", "3")
	if _, err := rawClient(t, endpoints).Compact(context.Background(), last); err != nil {
		t.Fatalf("compact: %v", err)
	}
	ch := watch(t, s, old)
	snap := next(t, ch)
	if !snap.Snapshot || snap.Revision < last {
		t.Fatalf("first change: snapshot %v at %d, want a snapshot at >= %d", snap.Snapshot, snap.Revision, last)
	}
	got := map[string]string{}
	for _, e := range snap.Events {
		got[e.Key] = string(e.Value)
	}
	if want := map[string]string{"a": "3", "b": "2"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("snapshot = %v, want %v", got, want)
	}
	rev := put(t, s, "c", "4")
	if c := nextEvents(t, ch); c.Revision != rev || c.Snapshot || len(c.Events) != 1 || c.Events[0].Key != "c" {
		t.Errorf("after snapshot: %+v, want c at %d", c, rev)
	}
}

// TestWatch_Progress: commits outside the prefix move etcd's revision; a
// caller handed that revision sees the feed reach it without events.
func TestWatch_Progress(t *testing.T) {
	endpoints := etcdtest.Start(t)
	s := open(t, endpoints)
	base := put(t, s, "a", "1")
	ch := watch(t, s, base)
	if _, err := rawClient(t, endpoints).Put(context.Background(), "/elsewhere", "x"); err != nil {
		t.Fatal(err)
	}
	rev, err := s.Revision(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rev <= base {
		t.Fatalf("Revision = %d, want > %d", rev, base)
	}
	c := next(t, ch)
	if c.Snapshot || len(c.Events) != 0 || c.Revision < rev {
		t.Errorf("change = %+v, want progress to >= %d", c, rev)
	}
}

// TestWatch_ProgressBesideAWatcherAtTheCurrentRevision: a feed that starts
// at the current revision (as the operations worker's does) must not keep
// progress from another feed on the same etcd watch stream.
func TestWatch_ProgressBesideAWatcherAtTheCurrentRevision(t *testing.T) {
	endpoints := etcdtest.Start(t)
	s := open(t, endpoints)
	base := put(t, s, "a", "1")
	ch := watch(t, s, 0)
	if c := next(t, ch); !c.Snapshot || c.Revision != base {
		t.Fatalf("first change %+v, want a snapshot at %d", c, base)
	}
	cli := rawClient(t, endpoints)
	resp, err := cli.Put(context.Background(), "/elsewhere", "x")
	if err != nil {
		t.Fatal(err)
	}
	// Like the worker: a feed of what comes after the current revision.
	watch(t, s, resp.Header.Revision)
	rev, err := s.Revision(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := next(t, ch); c.Snapshot || len(c.Events) != 0 || c.Revision < rev {
		t.Errorf("change = %+v, want progress to >= %d", c, rev)
	}
}

// TestWatch_ForeignKeys: keys and values under the prefix that cloudmap did
// not write reach consumers as they are.
func TestWatch_ForeignKeys(t *testing.T) {
	endpoints := etcdtest.Start(t)
	s := open(t, endpoints)
	cli := rawClient(t, endpoints)
	if _, err := cli.Put(context.Background(), s.Prefix()+"junk/\xff\x00key", "{not json"); err != nil {
		t.Fatal(err)
	}
	ch := watch(t, s, 0)
	snap := next(t, ch)
	if len(snap.Events) != 1 || snap.Events[0].Key != "junk/\xff\x00key" || string(snap.Events[0].Value) != "{not json" {
		t.Errorf("snapshot = %+v, want the foreign key as is", snap)
	}
	resp, err := cli.Put(context.Background(), s.Prefix(), "bare prefix")
	if err != nil {
		t.Fatal(err)
	}
	c := nextEvents(t, ch)
	if c.Revision != resp.Header.Revision || len(c.Events) != 1 || c.Events[0].Key != "" {
		t.Errorf("change = %+v, want the bare prefix key as \"\"", c)
	}
	err = s.View(context.Background(), func(tx cloudmap.ReadTx) error {
		v, err := tx.Get("junk/\xff\x00key")
		if err == nil && string(v) != "{not json" {
			err = fmt.Errorf("value %q", v)
		}
		return err
	})
	if err != nil {
		t.Errorf("View foreign key: %v", err)
	}
}

// TestStore_EtcdDown: with etcd stopped, Update fails with an
// infrastructure error; when etcd returns, writes work again and the feed
// resumes by itself without a gap or a duplicate.
func TestStore_EtcdDown(t *testing.T) {
	c := etcdtest.StartCluster(t, 1)
	s := open(t, c.Endpoints(), func(cfg *etcd.Config) {
		cfg.RequestTimeout = 500 * time.Millisecond
		cfg.DialTimeout = time.Second
	})
	base := put(t, s, "a", "1")
	ch := watch(t, s, base)
	c.Stop(0)
	_, err := s.Update(context.Background(), func(tx cloudmap.Tx) error { return tx.Put("b", []byte("2")) })
	if err == nil || cloudmap.ErrorCode(err) != "" || errors.Is(err, cloudmap.ErrFenced) {
		t.Fatalf("Update with etcd down: err = %v, want an infrastructure error", err)
	}
	if _, err := s.Revision(context.Background()); err == nil {
		t.Error("Revision with etcd down: err = nil")
	}
	c.Restart(0)
	var rev int64
	deadline := time.Now().Add(wait)
	for {
		rev, err = s.Update(context.Background(), func(tx cloudmap.Tx) error { return tx.Put("c", []byte("3")) })
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("Update after etcd returned: %v", err)
	}
	for {
		got := nextEvents(t, ch)
		if got.Snapshot || got.Revision <= base {
			t.Fatalf("change %+v after %d: want a commit after it", got, base)
		}
		if got.Revision == rev {
			if len(got.Events) != 1 || got.Events[0].Key != "c" {
				t.Errorf("change at %d = %+v, want c", rev, got)
			}
			break
		}
		if got.Events[0].Key != "b" { // a write that timed out may still have committed
			t.Fatalf("unexpected change %+v", got)
		}
		base = got.Revision
	}
}

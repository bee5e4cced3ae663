package memstore_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/storetest"
	"github.com/cloudmap/cloudmap/storetest/memstore"
)

// open is the storetest.Open of a memstore: the first call makes one, the
// next ones reopen its data; configure sets the hooks of each.
func open(configure func(*memstore.Store)) func(t *testing.T) storetest.Open {
	return func(t *testing.T) storetest.Open {
		var s *memstore.Store
		return func() (cloudmap.Store, error) {
			if s == nil {
				s = memstore.New()
			} else {
				s = s.Reopen()
			}
			configure(s)
			return s, nil
		}
	}
}

func TestConformance(t *testing.T) {
	storetest.RunOptions(t, storetest.Options{ContiguousRevisions: true}, open(func(*memstore.Store) {}))
}

// TestConformance_Rerun runs the suite with every closure run three times,
// as etcd re-runs closures on conflicts: the store stays conforming.
func TestConformance_Rerun(t *testing.T) {
	storetest.RunOptions(t, storetest.Options{ContiguousRevisions: true}, open(func(s *memstore.Store) { s.RerunUpdates(2) }))
}

var ctx = context.Background()

func put(t *testing.T, s *memstore.Store, kv ...string) int64 {
	t.Helper()
	rev, err := s.Update(ctx, func(tx cloudmap.Tx) error {
		for i := 0; i+1 < len(kv); i += 2 {
			if err := tx.Put(kv[i], []byte(kv[i+1])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

// next returns the next change of ch, failing when none comes in 10 s.
func next(t *testing.T, ch <-chan cloudmap.Change) (cloudmap.Change, bool) {
	t.Helper()
	select {
	case c, ok := <-ch:
		return c, ok
	case <-time.After(10 * time.Second):
		t.Fatal("no change within 10 s")
		return cloudmap.Change{}, false
	}
}

func keys(c cloudmap.Change) []string {
	var out []string
	for _, e := range c.Events {
		out = append(out, e.Key)
	}
	slices.Sort(out)
	return out
}

func TestStore_FailUpdate(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	boom := errors.New("disk on fire")
	s.SetFailUpdate(boom)
	ran := false
	if _, err := s.Update(ctx, func(tx cloudmap.Tx) error { ran = true; return nil }); !errors.Is(err, boom) {
		t.Errorf("Update with FailUpdate: err = %v, want %v", err, boom)
	}
	if ran {
		t.Error("the closure ran although the update failed first")
	}
	s.SetFailUpdate(nil)
	if rev := put(t, s, "k", "v"); rev != 1 {
		t.Errorf("revision after the failure ended = %d, want 1", rev)
	}
}

func TestStore_RerunUpdates(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	s.RerunUpdates(2)
	runs := 0
	rev, err := s.Update(ctx, func(tx cloudmap.Tx) error {
		runs++
		if _, err := tx.Get("k"); !errors.Is(err, cloudmap.ErrKeyNotFound) {
			t.Errorf("run %d sees the writes of an earlier run: err = %v", runs, err)
		}
		return tx.Put("k", []byte("v"))
	})
	if err != nil || rev != 1 || runs != 3 {
		t.Errorf("Update = %d, %v after %d runs; want revision 1 after 3 runs", rev, err, runs)
	}
	runs = 0
	boom := errors.New("rule")
	if _, err := s.Update(ctx, func(cloudmap.Tx) error { runs++; return boom }); !errors.Is(err, boom) || runs != 1 {
		t.Errorf("failing closure: err %v after %d runs, want %v after 1", err, runs, boom)
	}
}

func TestStore_EndWatches(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	rev := put(t, s, "a", "1")
	ch, err := s.Watch(ctx, rev)
	if err != nil {
		t.Fatal(err)
	}
	s.EndWatches()
	if c, ok := next(t, ch); ok {
		t.Fatalf("after EndWatches got %+v, want the channel closed", c)
	}
	// A new watch works and resumes where asked.
	ch, err = s.Watch(ctx, rev)
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, "b", "2")
	if c, _ := next(t, ch); c.Snapshot || c.Revision != rev+1 || !slices.Equal(keys(c), []string{"b"}) {
		t.Errorf("after a new watch got %+v, want the commit of b", c)
	}
}

func TestStore_SnapshotNext(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	rev := put(t, s, "a", "1", "b", "2")
	s.SnapshotNext()
	ch, err := s.Watch(ctx, rev)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := next(t, ch); !c.Snapshot || c.Revision != rev || !slices.Equal(keys(c), []string{"a", "b"}) {
		t.Errorf("first change = %+v, want a snapshot of a and b at %d", c, rev)
	}
	ch2, err := s.Watch(ctx, rev)
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, "c", "3")
	if c, _ := next(t, ch2); c.Snapshot {
		t.Errorf("the second watch also started with a snapshot: %+v", c)
	}
}

func TestStore_CompactAndLoad(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	first := put(t, s, "a", "1")
	put(t, s, "b", "2")
	s.Compact()
	ch, err := s.Watch(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := next(t, ch); !c.Snapshot || !slices.Equal(keys(c), []string{"a", "b"}) {
		t.Errorf("watch from a compacted revision: %+v, want a snapshot of a and b", c)
	}
	rev := s.Load(map[string][]byte{"a": nil, "z": []byte("26")})
	if rev != 3 {
		t.Errorf("Load revision = %d, want 3", rev)
	}
	// The watch that was past the old log gets a new snapshot.
	if c, _ := next(t, ch); !c.Snapshot || c.Revision != rev || !slices.Equal(keys(c), []string{"b", "z"}) {
		t.Errorf("after Load: %+v, want a snapshot of b and z at %d", c, rev)
	}
	if got := s.Keys(""); !slices.Equal(got, []string{"b", "z"}) {
		t.Errorf("Keys = %q, want [b z]", got)
	}
}

func TestStore_ReadOnlyAndReopen(t *testing.T) {
	s := memstore.New()
	put(t, s, "p/1", "x", "p/2", "y", "q", "z")
	err := s.View(ctx, func(tx cloudmap.ReadTx) error {
		return tx.(cloudmap.Tx).Put("p/3", nil)
	})
	if err == nil || !strings.Contains(err.Error(), "write in a read-only transaction") {
		t.Errorf("Put in a View: err = %v, want a write in a read-only transaction", err)
	}
	s.Close()
	if _, err := s.Revision(ctx); !errors.Is(err, memstore.ErrClosed) {
		t.Errorf("Revision after Close: %v, want ErrClosed", err)
	}
	r := s.Reopen()
	defer r.Close()
	if got := r.Keys("p/"); !slices.Equal(got, []string{"p/1", "p/2"}) {
		t.Errorf("Keys(p/) after Reopen = %q", got)
	}
}

// BenchmarkStore runs the shared store benchmarks on memory: the floor the
// durable backends are compared with.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) cloudmap.Store {
		s := memstore.New()
		b.Cleanup(func() { s.Close() })
		return s
	})
}

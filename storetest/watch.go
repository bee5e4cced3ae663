package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
)

// watch starts a watch that ends with the test.
func watch(t *testing.T, s cloudmap.Store, from int64) <-chan cloudmap.Change {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch, err := s.Watch(ctx, from)
	if err != nil {
		t.Fatalf("Watch(%d): %v", from, err)
	}
	return ch
}

// next receives one change or fails the test after the timeout.
func next(t *testing.T, ch <-chan cloudmap.Change) cloudmap.Change {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("watch channel closed early")
		}
		return c
	case <-time.After(timeout):
		t.Fatalf("no change within %v", timeout)
	}
	return cloudmap.Change{}
}

// receive reads changes from ch until one at revision until or later.
func receive(t *testing.T, ch <-chan cloudmap.Change, until int64) []cloudmap.Change {
	t.Helper()
	var changes []cloudmap.Change
	for {
		c := next(t, ch)
		changes = append(changes, c)
		if c.Revision >= until {
			return changes
		}
	}
}

// collect watches from a revision and returns the changes up to until.
func collect(t *testing.T, s cloudmap.Store, from, until int64) []cloudmap.Change {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := s.Watch(ctx, from)
	if err != nil {
		t.Fatalf("Watch(%d): %v", from, err)
	}
	return receive(t, ch, until)
}

// revisions returns the revisions of changes, negative for snapshots.
func revisions(changes []cloudmap.Change) []int64 {
	revs := make([]int64, len(changes))
	for i, c := range changes {
		revs[i] = c.Revision
		if c.Snapshot {
			revs[i] = -c.Revision
		}
	}
	return revs
}

// apply applies a change to state: a snapshot replaces it.
func apply(state map[string]string, c cloudmap.Change) map[string]string {
	if c.Snapshot {
		state = map[string]string{}
	}
	for _, e := range c.Events {
		if e.Deleted {
			delete(state, e.Key)
		} else {
			state[e.Key] = string(e.Value)
		}
	}
	return state
}

// history commits a fixed series of puts and deletes and returns the state
// after each revision (index = revision - base).
func history(t *testing.T, s cloudmap.Store) (base int64, states []map[string]string) {
	t.Helper()
	base = revision(t, s)
	states = []map[string]string{contents(t, s)}
	steps := []struct {
		key, value string
		deleted    bool
	}{
		{"h/a", "1", false}, {"h/b", "2", false}, {"h/a", "3", false},
		{"h/b", "", true}, {"h/c", "4", false}, {"h/d", "5", false}, {"h/c", "", true},
	}
	for i, st := range steps {
		var rev int64
		if st.deleted {
			rev = del(t, s, st.key)
		} else {
			rev = put(t, s, st.key, st.value)
		}
		if want := base + int64(i) + 1; rev != want {
			t.Fatalf("history step %d: revision %d, want %d", i, rev, want)
		}
		states = append(states, apply(maps(states[len(states)-1]), cloudmap.Change{
			Events: []cloudmap.Event{{Key: st.key, Value: []byte(st.value), Deleted: st.deleted}},
		}))
	}
	return base, states
}

// maps returns a copy of m.
func maps(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// testWatchFromZero starts with a snapshot of every key, then new commits.
func testWatchFromZero(t *testing.T, open Open) {
	s := mustOpen(t, open)
	_, states := history(t, s)
	cur := revision(t, s)
	ch := watch(t, s, 0)
	snap := next(t, ch)
	if !snap.Snapshot || snap.Revision < cur {
		t.Fatalf("first change: snapshot %v at %d, want a snapshot at >= %d", snap.Snapshot, snap.Revision, cur)
	}
	for _, e := range snap.Events {
		if e.Deleted {
			t.Errorf("snapshot holds a deleted event for %q", e.Key)
		}
	}
	if diff := equalMaps(apply(nil, snap), states[len(states)-1]); diff != "" {
		t.Errorf("snapshot: %s", diff)
	}
	rev := put(t, s, "h/e", "6")
	if c := next(t, ch); c.Revision != rev || c.Snapshot || len(c.Events) != 1 || c.Events[0].Key != "h/e" {
		t.Errorf("after the snapshot: %+v, want the put of h/e at %d", c, rev)
	}
}

// testWatchFromOld delivers exactly the commits after the given revision.
func testWatchFromOld(t *testing.T, open Open) {
	s := mustOpen(t, open)
	base, states := history(t, s)
	last := base + int64(len(states)-1)
	for from := base + 1; from < last; from++ {
		changes := collect(t, s, from, last)
		wantRevs := []int64{}
		for r := from + 1; r <= last; r++ {
			wantRevs = append(wantRevs, r)
		}
		if got := revisions(changes); !slices.Equal(got, wantRevs) {
			t.Fatalf("Watch(%d) = revisions %v, want %v", from, got, wantRevs)
		}
		state := maps(states[from-base])
		for _, c := range changes {
			state = apply(state, c)
			if diff := equalMaps(state, states[c.Revision-base]); diff != "" {
				t.Fatalf("Watch(%d) at %d: %s", from, c.Revision, diff)
			}
		}
	}
}

// testWatchLive receives commits made after the watch started, in order.
func testWatchLive(t *testing.T, open Open) {
	s := mustOpen(t, open)
	base := put(t, s, "before", "x")
	ch := watch(t, s, base)
	for i := range 20 {
		rev := put(t, s, fmt.Sprintf("live/%02d", i), "v")
		c := next(t, ch)
		if c.Revision != rev || c.Snapshot || len(c.Events) != 1 || c.Events[0].Key != fmt.Sprintf("live/%02d", i) {
			t.Fatalf("commit %d at %d: got %+v", i, rev, c)
		}
	}
}

// testWatchFuture waits for the commits after a revision not reached yet.
func testWatchFuture(t *testing.T, open Open) {
	s := mustOpen(t, open)
	base := put(t, s, "a", "1")
	ch := watch(t, s, base+2)
	put(t, s, "b", "2")
	put(t, s, "c", "3")
	rev := put(t, s, "d", "4")
	if c := next(t, ch); c.Revision != rev || c.Snapshot {
		t.Errorf("Watch(%d): first change at %d snapshot %v, want %d", base+2, c.Revision, c.Snapshot, rev)
	}
}

// testWatchSlowReader commits many times while a watcher does not read, then
// reads everything: nothing is skipped.
func testWatchSlowReader(t *testing.T, open Open) {
	s := mustOpen(t, open)
	base := put(t, s, "start", "x")
	ch := watch(t, s, base)
	const n = 300
	state := contents(t, s)
	for i := range n {
		put(t, s, fmt.Sprintf("slow/%d", i%17), fmt.Sprint(i))
	}
	want := contents(t, s)
	changes := receive(t, ch, base+n)
	pos := base
	for _, c := range changes {
		if c.Snapshot {
			pos = c.Revision
			state = apply(state, c)
			continue
		}
		if c.Revision != pos+1 {
			t.Fatalf("change at %d after %d: a gap", c.Revision, pos)
		}
		pos = c.Revision
		state = apply(state, c)
	}
	if diff := equalMaps(state, want); diff != "" {
		t.Errorf("replayed state: %s", diff)
	}
}

// testWatchMultiEvent delivers a commit of several writes as one change
// whose events turn the previous state into the new one.
func testWatchMultiEvent(t *testing.T, open Open) {
	s := mustOpen(t, open)
	update(t, s, func(tx cloudmap.Tx) error {
		for _, k := range []string{"m/a", "m/b", "m/c"} {
			if err := tx.Put(k, []byte("old")); err != nil {
				return err
			}
		}
		return nil
	})
	before := contents(t, s)
	ch := watch(t, s, revision(t, s))
	rev := update(t, s, func(tx cloudmap.Tx) error {
		steps := []func() error{
			func() error { return tx.Put("m/a", []byte("new")) },
			func() error { return tx.Delete("m/b") },
			func() error { return tx.Put("m/d", []byte("tmp")) },
			func() error { return tx.Put("m/d", []byte("d")) },
			func() error { return tx.Put("m/e", []byte("gone")) },
			func() error { return tx.Delete("m/e") },
			func() error { return tx.Delete("m/missing") },
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	c := next(t, ch)
	if c.Revision != rev || c.Snapshot {
		t.Fatalf("change at %d snapshot %v, want one change at %d", c.Revision, c.Snapshot, rev)
	}
	if diff := equalMaps(apply(before, c), contents(t, s)); diff != "" {
		t.Errorf("applying the change: %s", diff)
	}
	seen := map[string]bool{}
	for _, e := range c.Events {
		if seen[e.Key] {
			t.Errorf("key %q appears twice in one change", e.Key)
		}
		seen[e.Key] = true
	}
}

// closed waits until ch is closed, discarding changes.
func closed(t *testing.T, ch <-chan cloudmap.Change) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("watch channel still open after %v", timeout)
		}
	}
}

// testWatchCancel closes the channel when the context ends.
func testWatchCancel(t *testing.T, open Open) {
	s := mustOpen(t, open)
	put(t, s, "a", "1")
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := s.Watch(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	next(t, ch)
	cancel()
	closed(t, ch)
	if ch, err := s.Watch(ctx, 0); err == nil {
		closed(t, ch) // refusing and closing at once are both fine
	}
	if got := put(t, s, "b", "2"); got != 2 {
		t.Errorf("commit after a canceled watch = revision %d, want 2", got)
	}
}

// testWatchClose closes every watch channel when the store closes.
func testWatchClose(t *testing.T, open Open) {
	s := mustOpen(t, open)
	rev := put(t, s, "a", "1")
	live, idle := watch(t, s, 0), watch(t, s, rev)
	next(t, live)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	closed(t, live)
	closed(t, idle)
}

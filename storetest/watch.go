package storetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
)

// feed reads one watch and checks its order: revisions strictly increase
// (a snapshot may repeat the position it starts from), snapshots hold no
// deletions, and with contiguous revisions every commit is the one after
// the previous change and there are no progress markers.
type feed struct {
	ch     <-chan cloudmap.Change
	strict bool
	last   int64 // the revision the feed is at: fromRev, then the last change's
}

// watch starts a watch that ends with the test.
func watch(t *testing.T, e env, s cloudmap.Store, from int64) *feed {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch, err := s.Watch(ctx, from)
	if err != nil {
		t.Fatalf("Watch(%d): %v", from, err)
	}
	return &feed{ch: ch, strict: e.ContiguousRevisions, last: from}
}

// progress reports whether c is a progress marker: no events, no snapshot.
func progress(c cloudmap.Change) bool { return !c.Snapshot && len(c.Events) == 0 }

// raw receives one change of any kind, checks it against the feed's
// position, and fails the test when none comes before deadline.
func (f *feed) raw(t *testing.T, deadline <-chan time.Time) cloudmap.Change {
	t.Helper()
	var c cloudmap.Change
	select {
	case got, ok := <-f.ch:
		if !ok {
			t.Fatalf("watch channel closed early (after revision %d)", f.last)
		}
		c = got
	case <-deadline:
		t.Fatalf("no change after revision %d within %v", f.last, timeout)
	}
	switch {
	case c.Snapshot && c.Revision < f.last:
		t.Fatalf("snapshot at %d after revision %d: the feed went back", c.Revision, f.last)
	case !c.Snapshot && c.Revision <= f.last:
		t.Fatalf("change at %d after revision %d: revisions must strictly increase", c.Revision, f.last)
	case f.strict && progress(c):
		t.Fatalf("progress change at %d: a store with contiguous revisions sends none", c.Revision)
	case f.strict && !c.Snapshot && c.Revision != f.last+1:
		t.Fatalf("change at %d after revision %d: a gap (contiguous revisions)", c.Revision, f.last)
	}
	if c.Snapshot {
		for _, e := range c.Events {
			if e.Deleted {
				t.Fatalf("snapshot at %d holds a deleted event for %q", c.Revision, e.Key)
			}
		}
	}
	f.last = c.Revision
	return c
}

// next receives the next snapshot or commit, skipping progress markers, or
// fails the test after the timeout.
func (f *feed) next(t *testing.T) cloudmap.Change {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if c := f.raw(t, deadline); !progress(c) {
			return c
		}
	}
}

// until reads changes until one (a progress marker included) at revision
// until or later, and returns the snapshots and commits among them.
func (f *feed) until(t *testing.T, until int64) []cloudmap.Change {
	t.Helper()
	var changes []cloudmap.Change
	deadline := time.After(timeout)
	for f.last < until {
		if c := f.raw(t, deadline); !progress(c) {
			changes = append(changes, c)
		}
	}
	return changes
}

// collect watches from a revision and returns the snapshots and commits up
// to until.
func collect(t *testing.T, e env, s cloudmap.Store, from, until int64) []cloudmap.Change {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := s.Watch(ctx, from)
	if err != nil {
		t.Fatalf("Watch(%d): %v", from, err)
	}
	f := &feed{ch: ch, strict: e.ContiguousRevisions, last: from}
	return f.until(t, until)
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

// hist is a fixed series of commits: the revision before it, each step's
// revision, and the state before and after each step.
type hist struct {
	base   int64
	revs   []int64             // revs[i]: revision of step i
	states []map[string]string // states[0]: before; states[i+1]: after step i
}

// last returns the revision of the last step.
func (h hist) last() int64 { return h.revs[len(h.revs)-1] }

// final returns the state after the last step.
func (h hist) final() map[string]string { return h.states[len(h.states)-1] }

// after returns the state right after the step committed at rev.
func (h hist) after(t *testing.T, rev int64) map[string]string {
	t.Helper()
	i := slices.Index(h.revs, rev)
	if i < 0 {
		t.Fatalf("revision %d is none of the history's %v", rev, h.revs)
	}
	return h.states[i+1]
}

// history commits a fixed series of puts and deletes.
func history(t *testing.T, e env, s cloudmap.Store) hist {
	t.Helper()
	h := hist{base: revision(t, s)}
	h.states = []map[string]string{contents(t, s)}
	steps := []struct {
		key, value string
		deleted    bool
	}{
		{"h/a", "1", false}, {"h/b", "2", false}, {"h/a", "3", false},
		{"h/b", "", true}, {"h/c", "4", false}, {"h/d", "5", false}, {"h/c", "", true},
	}
	prev := h.base
	for i, st := range steps {
		var rev int64
		if st.deleted {
			rev = del(t, s, st.key)
		} else {
			rev = put(t, s, st.key, st.value)
		}
		e.step(t, prev, rev, fmt.Sprintf("history step %d", i))
		prev = rev
		h.revs = append(h.revs, rev)
		h.states = append(h.states, apply(maps.Clone(h.final()), cloudmap.Change{
			Events: []cloudmap.Event{{Key: st.key, Value: []byte(st.value), Deleted: st.deleted}},
		}))
	}
	return h
}

// testWatchFromZero starts with a snapshot of every key, then new commits.
func testWatchFromZero(t *testing.T, e env) {
	s := mustOpen(t, e)
	h := history(t, e, s)
	cur := revision(t, s)
	f := watch(t, e, s, 0)
	snap := f.next(t)
	if !snap.Snapshot || snap.Revision < cur {
		t.Fatalf("first change: snapshot %v at %d, want a snapshot at >= %d", snap.Snapshot, snap.Revision, cur)
	}
	if diff := equalMaps(apply(nil, snap), h.final()); diff != "" {
		t.Errorf("snapshot: %s", diff)
	}
	rev := put(t, s, "h/e", "6")
	if c := f.next(t); c.Revision != rev || c.Snapshot || len(c.Events) != 1 || c.Events[0].Key != "h/e" {
		t.Errorf("after the snapshot: %+v, want the put of h/e at %d", c, rev)
	}
}

// testWatchFromOld delivers exactly the commits after the given revision.
func testWatchFromOld(t *testing.T, e env) {
	s := mustOpen(t, e)
	h := history(t, e, s)
	for i, from := range h.revs[:len(h.revs)-1] {
		changes := collect(t, e, s, from, h.last())
		if got, want := revisions(changes), h.revs[i+1:]; !slices.Equal(got, want) {
			t.Fatalf("Watch(%d) = revisions %v, want %v", from, got, want)
		}
		state := maps.Clone(h.states[i+1])
		for _, c := range changes {
			state = apply(state, c)
			if diff := equalMaps(state, h.after(t, c.Revision)); diff != "" {
				t.Fatalf("Watch(%d) at %d: %s", from, c.Revision, diff)
			}
		}
	}
}

// testWatchLive receives commits made after the watch started, in order.
func testWatchLive(t *testing.T, e env) {
	s := mustOpen(t, e)
	base := put(t, s, "before", "x")
	f := watch(t, e, s, base)
	for i := range 20 {
		rev := put(t, s, fmt.Sprintf("live/%02d", i), "v")
		c := f.next(t)
		if c.Revision != rev || c.Snapshot || len(c.Events) != 1 || c.Events[0].Key != fmt.Sprintf("live/%02d", i) {
			t.Fatalf("commit %d at %d: got %+v", i, rev, c)
		}
	}
}

// testWatchFuture waits for the commits after a revision not reached yet:
// the first commit it delivers is the first one after that revision.
func testWatchFuture(t *testing.T, e env) {
	s := mustOpen(t, e)
	base := put(t, s, "a", "1")
	from := base + 2
	f := watch(t, e, s, from)
	var rev int64
	for i := 0; rev <= from; i++ {
		if i == 10 {
			t.Fatalf("10 commits after revision %d did not pass revision %d", base, from)
		}
		prev := rev
		rev = put(t, s, fmt.Sprintf("f/%d", i), "v")
		e.step(t, max(prev, base), rev, fmt.Sprintf("commit %d", i))
	}
	if c := f.next(t); c.Revision != rev || c.Snapshot {
		t.Errorf("Watch(%d): first change at %d snapshot %v, want %d", from, c.Revision, c.Snapshot, rev)
	}
}

// testWatchSlowReader commits many times while a watcher does not read, then
// reads everything: nothing is skipped (a backend may send a new snapshot to
// a reader that fell behind, but never a gap).
func testWatchSlowReader(t *testing.T, e env) {
	s := mustOpen(t, e)
	base := put(t, s, "start", "x")
	f := watch(t, e, s, base)
	const n = 300
	state := contents(t, s)
	revs := make([]int64, 0, n)
	prev := base
	for i := range n {
		rev := put(t, s, fmt.Sprintf("slow/%d", i%17), fmt.Sprint(i))
		e.step(t, prev, rev, fmt.Sprintf("commit %d", i))
		revs, prev = append(revs, rev), rev
	}
	want := contents(t, s)
	pending := revs // commits not delivered yet
	for _, c := range f.until(t, prev) {
		if c.Snapshot {
			for len(pending) > 0 && pending[0] <= c.Revision {
				pending = pending[1:]
			}
			state = apply(state, c)
			continue
		}
		if len(pending) == 0 || c.Revision != pending[0] {
			t.Fatalf("change at %d, want the commit at %v: a gap or a stranger", c.Revision, pending[:min(1, len(pending))])
		}
		pending = pending[1:]
		state = apply(state, c)
	}
	if len(pending) != 0 {
		t.Errorf("commits %v never delivered", pending)
	}
	if diff := equalMaps(state, want); diff != "" {
		t.Errorf("replayed state: %s", diff)
	}
}

// testWatchMultiEvent delivers a commit of several writes as one change
// whose events turn the previous state into the new one.
func testWatchMultiEvent(t *testing.T, e env) {
	s := mustOpen(t, e)
	update(t, s, func(tx cloudmap.Tx) error {
		for _, k := range []string{"m/a", "m/b", "m/c"} {
			if err := tx.Put(k, []byte("old")); err != nil {
				return err
			}
		}
		return nil
	})
	before := contents(t, s)
	f := watch(t, e, s, revision(t, s))
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
	c := f.next(t)
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

// testWatchCancel closes the channel when the context ends; the store goes
// on committing.
func testWatchCancel(t *testing.T, e env) {
	s := mustOpen(t, e)
	first := put(t, s, "a", "1")
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := s.Watch(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := &feed{ch: ch, strict: e.ContiguousRevisions}
	if c := f.next(t); !c.Snapshot {
		t.Errorf("Watch(0) first change = %+v, want a snapshot", c)
	}
	cancel()
	closed(t, ch)
	if ch, err := s.Watch(ctx, 0); err == nil {
		closed(t, ch) // refusing and closing at once are both fine
	}
	e.step(t, first, put(t, s, "b", "2"), "commit after a canceled watch")
}

// testWatchClose closes every watch channel when the store closes.
func testWatchClose(t *testing.T, e env) {
	s := mustOpen(t, e)
	rev := put(t, s, "a", "1")
	live, idle := watch(t, e, s, 0), watch(t, e, s, rev)
	live.next(t)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	closed(t, live.ch)
	closed(t, idle.ch)
}

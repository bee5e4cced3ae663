package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/cloudmap/cloudmap"
)

// testFnError returns the error of fn unchanged and writes nothing.
func testFnError(t *testing.T, e env) {
	s := mustOpen(t, e)
	base := put(t, s, "keep", "1")
	sentinel := errors.New("sentinel")
	awsErr := cloudmap.Errorf(cloudmap.ErrResourceInUse, "NamespaceId: namespace has services")
	for _, want := range []error{sentinel, awsErr, fmt.Errorf("wrapped: %w", sentinel)} {
		_, err := s.Update(context.Background(), func(tx cloudmap.Tx) error {
			if err := tx.Put("keep", []byte("changed")); err != nil {
				return err
			}
			if err := tx.Put("new", []byte("x")); err != nil {
				return err
			}
			if err := tx.Delete("keep"); err != nil {
				return err
			}
			return want
		})
		if err != want {
			t.Errorf("Update error = %v (%T), want the same value %v", err, err, want)
		}
	}
	var got *cloudmap.Error
	_, err := s.Update(context.Background(), func(tx cloudmap.Tx) error { return awsErr })
	if !errors.As(err, &got) || got != awsErr {
		t.Errorf("Update error = %v, want the same *cloudmap.Error", err)
	}
	if got := contents(t, s); equalMaps(got, map[string]string{"keep": "1"}) != "" {
		t.Errorf("after failed updates: %v, want only keep=1", got)
	}
	if got := revision(t, s); got < base || e.ContiguousRevisions && got != base {
		t.Errorf("Revision after failed updates = %d, want %d", got, base)
	}
	err = s.View(context.Background(), func(cloudmap.ReadTx) error { return awsErr })
	if err != awsErr {
		t.Errorf("View error = %v, want the same *cloudmap.Error", err)
	}
	// Nothing was committed: the feed goes from base straight to the next put.
	mark := put(t, s, "mark", "1")
	e.step(t, base, mark, "commit after failed updates")
	if got := revisions(collect(t, e, s, base, mark)); !slices.Equal(got, []int64{mark}) {
		t.Errorf("feed after %d = revisions %v, want only the next commit %d", base, got, mark)
	}
}

// testNoWrite returns the current revision for transactions that write
// nothing, and commits nothing for them.
func testNoWrite(t *testing.T, e env) {
	s := mustOpen(t, e)
	first := put(t, s, "first", "0") // so that the feed below has no snapshot
	base := put(t, s, "a", "1")
	e.step(t, first, base, "second commit")
	tests := []struct {
		name string
		fn   func(tx cloudmap.Tx) error
	}{
		{"nothing", func(cloudmap.Tx) error { return nil }},
		{"read only", func(tx cloudmap.Tx) error { _, err := tx.Get("a"); return err }},
		{"delete missing", func(tx cloudmap.Tx) error { return tx.Delete("missing") }},
	}
	for _, tc := range tests {
		got := update(t, s, tc.fn)
		cur := revision(t, s)
		if got < base || got > cur || e.ContiguousRevisions && got != base {
			t.Errorf("%s: Update = revision %d, want the current revision %d", tc.name, got, base)
		}
	}
	if got := revision(t, s); got < base || e.ContiguousRevisions && got != base {
		t.Errorf("Revision = %d, want %d", got, base)
	}
	next := put(t, s, "b", "2")
	e.step(t, base, next, "next commit")
	changes := collect(t, e, s, first, next)
	if got := revisions(changes); !slices.Equal(got, []int64{base, next}) {
		t.Errorf("feed after %d = revisions %v, want [%d %d]", first, got, base, next)
	}
}

// testRevisionOrder gives sequential commits increasing revisions (the next
// one each when revisions are contiguous), and Revision reports at least
// the last commit.
func testRevisionOrder(t *testing.T, e env) {
	s := mustOpen(t, e)
	prev := revision(t, s)
	for i := 1; i <= 10; i++ {
		rev := put(t, s, "k", strconv.Itoa(i))
		e.step(t, prev, rev, fmt.Sprintf("commit %d", i))
		if got := revision(t, s); got < rev || e.ContiguousRevisions && got != rev {
			t.Fatalf("Revision after commit %d at %d = %d", i, rev, got)
		}
		prev = rev
	}
}

// commits runs workers goroutines that each make each Updates of fn(w, i),
// and returns the key each successful Update reported by the revision it
// returned. It fails the test when two Updates return the same revision or
// an Update fails with another error than want(w, i) (nil: success).
func commits(t *testing.T, s cloudmap.Store, workers, each int, key func(w, i int) string, want func(w, i int) error) map[int64]string {
	t.Helper()
	var (
		mu    sync.Mutex
		byRev = map[int64]string{}
		wg    sync.WaitGroup
	)
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				k, wantErr := key(w, i), want(w, i)
				rev, err := s.Update(context.Background(), func(tx cloudmap.Tx) error {
					if err := tx.Put(k, []byte(k)); err != nil {
						return err
					}
					return wantErr
				})
				switch {
				case err != wantErr:
					errs <- fmt.Errorf("%s: err = %v, want %v", k, err, wantErr)
					continue
				case err != nil:
					continue
				}
				mu.Lock()
				if other, dup := byRev[rev]; dup {
					errs <- fmt.Errorf("revision %d returned for %s and %s", rev, other, k)
				}
				byRev[rev] = k
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	return byRev
}

// checkFeed checks that the feed after base holds exactly the commits of
// byRev, in revision order, each a put of its key, and, with contiguous
// revisions, that they are base+1, base+2 and so on.
func checkFeed(t *testing.T, e env, s cloudmap.Store, base int64, byRev map[int64]string) {
	t.Helper()
	revs := slices.Sorted(maps.Keys(byRev))
	if len(revs) == 0 {
		t.Fatal("no commits")
	}
	e.step(t, base, revs[0], "first commit")
	for i := 1; i < len(revs); i++ {
		e.step(t, revs[i-1], revs[i], fmt.Sprintf("commit %d in revision order", i))
	}
	changes := collect(t, e, s, base, revs[len(revs)-1])
	if got := revisions(changes); !slices.Equal(got, revs) {
		t.Fatalf("feed after %d = revisions %v, want the committed %v", base, got, revs)
	}
	for _, c := range changes {
		if len(c.Events) != 1 || c.Events[0].Key != byRev[c.Revision] || c.Events[0].Deleted {
			t.Fatalf("change %d: events %+v, want a put of %s", c.Revision, c.Events, byRev[c.Revision])
		}
	}
}

// testConcurrentUpdates commits from many goroutines: every commit gets its
// own revision, and the feed holds each one exactly once, in order.
func testConcurrentUpdates(t *testing.T, e env) {
	s := mustOpen(t, e)
	const workers, each = 32, 10
	base := put(t, s, "start", "x") // a watch from base > 0 has no snapshot
	byRev := commits(t, s, workers, each,
		func(w, i int) string { return fmt.Sprintf("c/%02d/%02d", w, i) },
		func(int, int) error { return nil })
	if len(byRev) != workers*each {
		t.Fatalf("%d commits, want %d", len(byRev), workers*each)
	}
	checkFeed(t, e, s, base, byRev)
}

// increment adds one to the decimal counter at key and returns the new value.
func increment(tx cloudmap.Tx, key string) (int, error) {
	n := 0
	v, err := tx.Get(key)
	switch {
	case errors.Is(err, cloudmap.ErrKeyNotFound):
	case err != nil:
		return 0, err
	default:
		if n, err = strconv.Atoi(string(v)); err != nil {
			return 0, fmt.Errorf("counter %s: %w", key, err)
		}
	}
	n++
	return n, tx.Put(key, []byte(strconv.Itoa(n)))
}

// hammer runs fn from workers goroutines, each times, and fails on error.
func hammer(t *testing.T, s cloudmap.Store, workers, times int, fn func(w int, tx cloudmap.Tx) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for range times {
				if _, err := s.Update(context.Background(), func(tx cloudmap.Tx) error { return fn(w, tx) }); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// testConcurrentCounters increments shared counters from many goroutines
// (read-modify-write) and records each value: no update is lost and no two
// transactions see the same value.
func testConcurrentCounters(t *testing.T, e env) {
	s := mustOpen(t, e)
	const workers, each = 16, 15
	hammer(t, s, workers, each, func(w int, tx cloudmap.Tx) error {
		n, err := increment(tx, "counter")
		if err != nil {
			return err
		}
		if _, err := increment(tx, fmt.Sprintf("counter-%d", w%2)); err != nil {
			return err
		}
		return tx.Put(fmt.Sprintf("seen/%04d", n), []byte(strconv.Itoa(w)))
	})
	want := workers * each
	got := contents(t, s)
	if got["counter"] != strconv.Itoa(want) {
		t.Errorf("counter = %s, want %d", got["counter"], want)
	}
	for i, key := range []string{"counter-0", "counter-1"} {
		if got[key] != strconv.Itoa(want/2) {
			t.Errorf("%s = %s, want %d (%d)", key, got[key], want/2, i)
		}
	}
	for n := 1; n <= want; n++ {
		if _, ok := got[fmt.Sprintf("seen/%04d", n)]; !ok {
			t.Fatalf("no transaction saw counter value %d", n)
		}
	}
}

// testConflictingTransfers moves units between accounts from many
// goroutines; the total never changes and every transfer is recorded once.
func testConflictingTransfers(t *testing.T, e env) {
	s := mustOpen(t, e)
	const accounts, start = 4, 1000
	update(t, s, func(tx cloudmap.Tx) error {
		for a := range accounts {
			if err := tx.Put(fmt.Sprintf("acct/%d", a), []byte(strconv.Itoa(start))); err != nil {
				return err
			}
		}
		return nil
	})
	const workers, each = 8, 10
	hammer(t, s, workers, each, func(w int, tx cloudmap.Tx) error {
		from, to := fmt.Sprintf("acct/%d", w%accounts), fmt.Sprintf("acct/%d", (w+1)%accounts)
		total := 0
		err := tx.Range("acct/", "", func(_ string, v []byte) bool {
			n, _ := strconv.Atoi(string(v))
			total += n
			return true
		})
		if err != nil {
			return err
		}
		if total != accounts*start {
			return fmt.Errorf("transaction saw total %d, want %d", total, accounts*start)
		}
		for key, delta := range map[string]int{from: -w - 1, to: w + 1} {
			v, err := tx.Get(key)
			if err != nil {
				return err
			}
			n, _ := strconv.Atoi(string(v))
			if err := tx.Put(key, []byte(strconv.Itoa(n+delta))); err != nil {
				return err
			}
		}
		_, err = increment(tx, "transfers")
		return err
	})
	got := contents(t, s)
	total := 0
	for a := range accounts {
		n, _ := strconv.Atoi(got[fmt.Sprintf("acct/%d", a)])
		total += n
	}
	if total != accounts*start {
		t.Errorf("total after transfers = %d, want %d", total, accounts*start)
	}
	if got["transfers"] != strconv.Itoa(workers*each) {
		t.Errorf("transfers = %s, want %d", got["transfers"], workers*each)
	}
	// Each worker w moves w+1 units from account w%4 to (w+1)%4, each times.
	want := map[int]int{}
	for w := range workers {
		want[w%accounts] -= (w + 1) * each
		want[(w+1)%accounts] += (w + 1) * each
	}
	for a := range accounts {
		key := fmt.Sprintf("acct/%d", a)
		if got[key] != strconv.Itoa(start+want[a]) {
			t.Errorf("%s = %s, want %d", key, got[key], start+want[a])
		}
	}
}

// testConcurrentFailures mixes failing and succeeding Updates from many
// goroutines: a failing one returns its own error and writes nothing, and
// it does not fail or undo the others.
func testConcurrentFailures(t *testing.T, e env) {
	s := mustOpen(t, e)
	const workers, each = 16, 8
	base := put(t, s, "start", "x")
	key := func(w, i int) string { return fmt.Sprintf("f/%02d/%d", w, i) }
	refusals := map[string]error{}
	for w := range workers {
		for i := range each {
			if (w+i)%2 == 0 {
				refusals[key(w, i)] = fmt.Errorf("refused %s", key(w, i))
			}
		}
	}
	byRev := commits(t, s, workers, each, key, func(w, i int) error { return refusals[key(w, i)] })
	got := contents(t, s)
	for w := range workers {
		for i := range each {
			k := key(w, i)
			if _, ok := got[k]; ok == (refusals[k] != nil) {
				t.Errorf("%s present = %v after its Update failed = %v", k, ok, !ok)
			}
		}
	}
	if len(byRev) != workers*each/2 {
		t.Errorf("%d successful Updates, want %d", len(byRev), workers*each/2)
	}
	if got, want := revision(t, s), base+workers*each/2; e.ContiguousRevisions && got != want {
		t.Errorf("Revision = %d, want %d (one per successful Update)", got, want)
	}
	checkFeed(t, e, s, base, byRev)
}

// testCanceledContext refuses work under a canceled context and writes nothing.
func testCanceledContext(t *testing.T, e env) {
	s := mustOpen(t, e)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Update(ctx, func(tx cloudmap.Tx) error { return tx.Put("k", []byte("v")) }); !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a canceled context: err = %v, want context.Canceled", err)
	}
	if err := s.View(ctx, func(cloudmap.ReadTx) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("View with a canceled context: err = %v, want context.Canceled", err)
	}
	if got := get(t, s, "k"); got != "<missing>" {
		t.Errorf("after a canceled Update, k = %q, want missing", got)
	}
}

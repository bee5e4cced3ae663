package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/bolt"
)

// openStore opens a store in dir and closes it at the end of the test.
func openStore(t *testing.T, dir string) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// put returns an Update function that puts key=value.
func put(key, value string) func(cloudmap.Tx) error {
	return func(tx cloudmap.Tx) error { return tx.Put(key, []byte(value)) }
}

// outcome is what one Update returned.
type outcome struct {
	rev int64
	err error
}

// sharedBatch holds the committer inside a first Update until every fn
// of fns is queued behind it (with its context), calls queued, then lets
// them commit together, and returns what each Update returned.
func sharedBatch(t *testing.T, s *bolt.Store, ctxs []context.Context, fns []func(cloudmap.Tx) error, queued func()) []outcome {
	t.Helper()
	release := make(chan struct{})
	blocked := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := s.Update(context.Background(), func(tx cloudmap.Tx) error {
			close(blocked)
			<-release
			return tx.Put("blocker", []byte("1"))
		})
		done <- err
	}()
	<-blocked
	out := make([]outcome, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i].rev, out[i].err = s.Update(ctxs[i], fn)
		}()
	}
	for i := 0; bolt.Queued(s) < len(fns); i++ {
		if i == 10_000 {
			close(release)
			t.Fatalf("only %d of %d Updates queued", bolt.Queued(s), len(fns))
		}
		time.Sleep(100 * time.Microsecond)
	}
	if queued != nil {
		queued()
	}
	close(release)
	wg.Wait()
	if err := <-done; err != nil {
		t.Fatalf("blocking Update: %v", err)
	}
	return out
}

func background(n int) []context.Context {
	ctxs := make([]context.Context, n)
	for i := range ctxs {
		ctxs[i] = context.Background()
	}
	return ctxs
}

// get returns the value of key, or "<missing>".
func get(t *testing.T, s *bolt.Store, key string) string {
	t.Helper()
	var v string
	err := s.View(context.Background(), func(tx cloudmap.ReadTx) error {
		b, err := tx.Get(key)
		if errors.Is(err, cloudmap.ErrKeyNotFound) {
			v = "<missing>"
			return nil
		}
		v = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestUpdate_SharesCommit queues 20 Updates behind a running one: they
// commit in one more bbolt transaction, each at its own revision.
func TestUpdate_SharesCommit(t *testing.T) {
	s := openStore(t, t.TempDir())
	const n = 20
	fns := make([]func(cloudmap.Tx) error, n)
	for i := range fns {
		fns[i] = put(fmt.Sprintf("k/%02d", i), "v")
	}
	before := s.Stats()
	out := sharedBatch(t, s, background(n), fns, nil)
	after := s.Stats()
	if got, want := after.Commits-before.Commits, int64(2); got != want {
		t.Errorf("commits = %d, want %d (the blocker, then the %d queued together)", got, want, n)
	}
	if got, want := after.Updates-before.Updates, int64(n+1); got != want {
		t.Errorf("updates = %d, want %d", got, want)
	}
	seen := map[int64]bool{}
	for i, o := range out {
		if o.err != nil {
			t.Fatalf("Update %d: %v", i, o.err)
		}
		if seen[o.rev] {
			t.Errorf("revision %d returned twice", o.rev)
		}
		seen[o.rev] = true
	}
	for rev := int64(2); rev <= n+1; rev++ {
		if !seen[rev] {
			t.Errorf("no Update committed at revision %d (want 2..%d)", rev, n+1)
		}
	}
}

var errRefused = errors.New("refused by the function")

// TestUpdate_FailureInSharedCommit shows that a function failing (error or
// panic) after writing leaves nothing behind and disturbs neither the
// Updates before it nor those after it in the same transaction.
func TestUpdate_FailureInSharedCommit(t *testing.T) {
	s := openStore(t, t.TempDir())
	if _, err := s.Update(context.Background(), put("pre", "old")); err != nil {
		t.Fatal(err)
	}
	failing := func(tx cloudmap.Tx) error {
		for _, w := range []struct{ k, v string }{{"a", "bad"}, {"x", "bad"}, {"pre", "bad"}, {"x", "worse"}} {
			if err := tx.Put(w.k, []byte(w.v)); err != nil {
				return err
			}
		}
		if err := tx.Delete("c0"); err != nil {
			return err
		}
		return errRefused
	}
	panicking := func(tx cloudmap.Tx) error {
		if err := tx.Put("p", []byte("bad")); err != nil {
			return err
		}
		panic("boom")
	}
	fns := []func(cloudmap.Tx) error{put("a", "A"), put("c0", "C0"), failing, panicking, put("c", "C")}
	out := sharedBatch(t, s, background(len(fns)), fns, nil)
	if !errors.Is(out[2].err, errRefused) {
		t.Errorf("failing Update: %v, want its own error", out[2].err)
	}
	if out[3].err == nil || !strings.Contains(out[3].err.Error(), "panicked") {
		t.Errorf("panicking Update: %v, want an error saying it panicked", out[3].err)
	}
	for _, i := range []int{0, 1, 4} {
		if out[i].err != nil {
			t.Errorf("Update %d: %v", i, out[i].err)
		}
	}
	tests := []struct{ key, want string }{
		{"a", "A"}, {"c0", "C0"}, {"c", "C"}, {"pre", "old"}, {"x", "<missing>"}, {"p", "<missing>"},
	}
	for _, tc := range tests {
		if got := get(t, s, tc.key); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.key, got, tc.want)
		}
	}
	// pre is revision 1, the blocker 2: the three that succeeded take 3..5
	// in whatever order they queued, the failures none.
	revs := map[int64]bool{out[0].rev: true, out[1].rev: true, out[4].rev: true}
	for rev := int64(3); rev <= 5; rev++ {
		if !revs[rev] {
			t.Errorf("revisions %v, want 3, 4 and 5 (failures take none)", revs)
			break
		}
	}
}

// TestUpdate_CanceledWhileQueued: an Update whose context ends while it
// waits for the committer returns the context's error and writes nothing.
func TestUpdate_CanceledWhileQueued(t *testing.T) {
	s := openStore(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	ran := false
	fns := []func(cloudmap.Tx) error{
		put("first", "1"),
		func(tx cloudmap.Tx) error { ran = true; return tx.Put("canceled", []byte("1")) },
	}
	out := sharedBatch(t, s, []context.Context{context.Background(), ctx}, fns, cancel)
	if out[0].err != nil {
		t.Fatal(out[0].err)
	}
	if !errors.Is(out[1].err, context.Canceled) {
		t.Errorf("canceled Update: %v, want context.Canceled", out[1].err)
	}
	if ran || get(t, s, "canceled") != "<missing>" {
		t.Errorf("the canceled Update ran (%v) or wrote", ran)
	}
}

// TestClose_CommitsQueued: Updates queued when Close is called are
// committed before the file closes.
func TestClose_CommitsQueued(t *testing.T) {
	dir := t.TempDir()
	s, err := bolt.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	release, blocked := make(chan struct{}), make(chan struct{})
	go s.Update(context.Background(), func(tx cloudmap.Tx) error {
		close(blocked)
		<-release
		return nil
	})
	<-blocked
	errs := make(chan error, 3)
	for i := range 3 {
		go func() {
			_, err := s.Update(context.Background(), put(fmt.Sprintf("q/%d", i), "v"))
			errs <- err
		}()
	}
	for i := 0; bolt.Queued(s) < 3; i++ {
		if i == 10_000 {
			t.Fatal("Updates did not queue")
		}
		time.Sleep(100 * time.Microsecond)
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Errorf("queued Update: %v", err)
		}
	}
	if _, err := s.Update(context.Background(), put("late", "v")); err == nil {
		t.Error("Update after Close succeeded")
	}
	s = openStore(t, dir)
	for i := range 3 {
		if got := get(t, s, fmt.Sprintf("q/%d", i)); got != "v" {
			t.Errorf("q/%d = %q after reopening, want v", i, got)
		}
	}
}

// TestUpdate_FailureUndoesManyKeys: a failing function that wrote more
// keys than the transaction scans (so it indexes them) leaves none, and
// the keys it overwrote keep their values.
func TestUpdate_FailureUndoesManyKeys(t *testing.T) {
	s := openStore(t, t.TempDir())
	if _, err := s.Update(context.Background(), put("m/05", "old")); err != nil {
		t.Fatal(err)
	}
	rev, err := s.Revision(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Update(context.Background(), func(tx cloudmap.Tx) error {
		for i := range 40 {
			if err := tx.Put(fmt.Sprintf("m/%02d", i), []byte("new")); err != nil {
				return err
			}
		}
		if err := tx.Delete("m/05"); err != nil {
			return err
		}
		return errRefused
	})
	if !errors.Is(err, errRefused) {
		t.Fatalf("Update: %v, want its own error", err)
	}
	for i := range 40 {
		want := "<missing>"
		if i == 5 {
			want = "old"
		}
		if got := get(t, s, fmt.Sprintf("m/%02d", i)); got != want {
			t.Errorf("m/%02d = %q, want %q", i, got, want)
		}
	}
	if got, err := s.Revision(context.Background()); err != nil || got != rev {
		t.Errorf("revision after the failure = %d, %v; want %d", got, err, rev)
	}
}

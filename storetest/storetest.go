// Package storetest is the conformance suite every cloudmap.Store passes.
// A backend's test calls Run with a function that makes a fresh, empty data
// location per subtest. The suite assumes nothing about delivery latency: it
// waits on channels with generous timeouts and never sleeps.
//
// The suite is backend-neutral about revisions: a subtest takes the store's
// revision when it starts and compares relative to it. It requires that
// revisions strictly increase, that Update returns a distinct revision per
// commit, and that every revision returned by Update appears in the change
// feed exactly once, in order, as one Change. Changes without events that
// are not snapshots (progress markers: "the feed reached this revision")
// may appear anywhere in a feed; the suite checks that they keep the order
// and otherwise skips them. Backends that also promise revisions counted
// from 0 in steps of one run the stricter RunOptions with
// Options.ContiguousRevisions.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
)

// Open opens a store on the same underlying data each time it is called
// (after the previous store was closed), so restarts can be tested.
type Open func() (cloudmap.Store, error)

// timeout bounds every wait of the suite; it is generous so that slow
// machines and remote backends pass, and only a lost change hits it.
const timeout = 10 * time.Second

// Options declares what a backend promises beyond the cloudmap.Store
// contract, so that the suite checks it too.
type Options struct {
	// ContiguousRevisions says that an empty store is at revision 0, that
	// every commit adds exactly one to the revision, and that the change
	// feed has no progress markers: a feed after revision R holds R+1, R+2
	// and so on. The bolt store promises it; the etcd store, whose revision
	// is etcd's and counts commits of other etcd users, does not.
	ContiguousRevisions bool
}

// env is what every test of the suite gets: how to open the store, and the
// backend's promises.
type env struct {
	Options
	open Open
}

// suite is every test of Run, by name.
var suite = []struct {
	name string
	fn   func(t *testing.T, e env)
}{
	{"Empty", testEmpty},
	{"CRUD", testCRUD},
	{"EmptyValue", testEmptyValue},
	{"ValuesOutliveTx", testValuesOutliveTx},
	{"Range", testRange},
	{"RangeWhileWriting", testRangeWhileWriting},
	{"Count", testCount},
	{"TxSeesOwnWrites", testTxSeesOwnWrites},
	{"FnErrorWritesNothing", testFnError},
	{"NoWriteKeepsRevision", testNoWrite},
	{"RevisionOrder", testRevisionOrder},
	{"ConcurrentUpdates", testConcurrentUpdates},
	{"ConcurrentCounters", testConcurrentCounters},
	{"ConflictingTransfers", testConflictingTransfers},
	{"ConcurrentFailures", testConcurrentFailures},
	{"CanceledContext", testCanceledContext},
	{"WatchFromZero", testWatchFromZero},
	{"WatchFromOld", testWatchFromOld},
	{"WatchLive", testWatchLive},
	{"WatchFuture", testWatchFuture},
	{"WatchSlowReader", testWatchSlowReader},
	{"WatchMultiEvent", testWatchMultiEvent},
	{"WatchCancel", testWatchCancel},
	{"WatchClose", testWatchClose},
	{"Restart", testRestart},
	{"Closed", testClosed},
}

// Run runs the whole conformance suite with no promises beyond the Store
// contract; newOpen makes a fresh, empty data location per subtest.
func Run(t *testing.T, newOpen func(t *testing.T) Open) {
	t.Helper()
	RunOptions(t, Options{}, newOpen)
}

// RunOptions runs the whole conformance suite, checking the promises of
// opts too; newOpen makes a fresh, empty data location per subtest.
func RunOptions(t *testing.T, opts Options, newOpen func(t *testing.T) Open) {
	t.Helper()
	for _, tc := range suite {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, env{Options: opts, open: newOpen(t)})
		})
	}
}

// mustOpen opens a store that is closed when the test ends.
func mustOpen(t *testing.T, e env) cloudmap.Store {
	t.Helper()
	s, err := e.open()
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// step checks that rev, committed after prev, is a later revision, and the
// next one when revisions are contiguous.
func (e env) step(t *testing.T, prev, rev int64, what string) {
	t.Helper()
	switch {
	case rev <= prev:
		t.Fatalf("%s: revision %d, want a revision after %d", what, rev, prev)
	case e.ContiguousRevisions && rev != prev+1:
		t.Fatalf("%s: revision %d, want %d (contiguous revisions)", what, rev, prev+1)
	}
}

// put commits key=value in one transaction and returns its revision.
func put(t *testing.T, s cloudmap.Store, key, value string) int64 {
	t.Helper()
	return update(t, s, func(tx cloudmap.Tx) error { return tx.Put(key, []byte(value)) })
}

// del deletes key in one transaction and returns its revision.
func del(t *testing.T, s cloudmap.Store, key string) int64 {
	t.Helper()
	return update(t, s, func(tx cloudmap.Tx) error { return tx.Delete(key) })
}

// update runs fn in Update and fails the test on error.
func update(t *testing.T, s cloudmap.Store, fn func(tx cloudmap.Tx) error) int64 {
	t.Helper()
	rev, err := s.Update(context.Background(), fn)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	return rev
}

// revision returns the store's revision and fails the test on error.
func revision(t *testing.T, s cloudmap.Store) int64 {
	t.Helper()
	rev, err := s.Revision(context.Background())
	if err != nil {
		t.Fatalf("revision: %v", err)
	}
	return rev
}

// get returns the value of key in a View, or "<missing>".
func get(t *testing.T, s cloudmap.Store, key string) string {
	t.Helper()
	var got string
	err := s.View(context.Background(), func(tx cloudmap.ReadTx) error {
		v, err := tx.Get(key)
		if errors.Is(err, cloudmap.ErrKeyNotFound) {
			got = "<missing>"
			return nil
		}
		got = string(v)
		return err
	})
	if err != nil {
		t.Fatalf("view get %q: %v", key, err)
	}
	return got
}

// contents returns every key and value of the store as a map.
func contents(t *testing.T, s cloudmap.Store) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := s.View(context.Background(), func(tx cloudmap.ReadTx) error {
		return tx.Range("", "", func(k string, v []byte) bool {
			m[k] = string(v)
			return true
		})
	})
	if err != nil {
		t.Fatalf("view range: %v", err)
	}
	return m
}

// equalMaps reports the first difference between got and want, or "".
func equalMaps(got, want map[string]string) string {
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			return fmt.Sprintf("key %q missing, want %q", k, w)
		}
		if g != w {
			return fmt.Sprintf("key %q = %q, want %q", k, g, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			return fmt.Sprintf("unexpected key %q = %q", k, g)
		}
	}
	return ""
}

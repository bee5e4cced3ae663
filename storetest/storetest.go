// Package storetest is the conformance suite every cloudmap.Store passes.
// A backend's test calls Run with a function that makes a fresh, empty data
// location per subtest. The suite assumes nothing about delivery latency: it
// waits on channels with generous timeouts and never sleeps.
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

// suite is every test of Run, by name.
var suite = []struct {
	name string
	fn   func(t *testing.T, open Open)
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

// Run runs the whole conformance suite; newOpen makes a fresh, empty data
// location per subtest.
func Run(t *testing.T, newOpen func(t *testing.T) Open) {
	t.Helper()
	for _, tc := range suite {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newOpen(t))
		})
	}
}

// mustOpen opens a store that is closed when the test ends.
func mustOpen(t *testing.T, open Open) cloudmap.Store {
	t.Helper()
	s, err := open()
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
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

package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap"
)

// testEmpty checks a new store: no keys, and Watch(0) starts with an empty
// snapshot at the store's revision or later (revision 0 when revisions are
// contiguous).
func testEmpty(t *testing.T, e env) {
	s := mustOpen(t, e)
	base := revision(t, s)
	switch {
	case base < 0:
		t.Errorf("Revision of an empty store = %d, want >= 0", base)
	case e.ContiguousRevisions && base != 0:
		t.Errorf("Revision of an empty store = %d, want 0", base)
	}
	if got := contents(t, s); len(got) != 0 {
		t.Errorf("empty store holds %v", got)
	}
	c := watch(t, e, s, 0).next(t)
	if !c.Snapshot || c.Revision < base || len(c.Events) != 0 {
		t.Errorf("Watch(0) of an empty store = %+v, want an empty snapshot at %d or later", c, base)
	}
	if e.ContiguousRevisions && c.Revision != 0 {
		t.Errorf("Watch(0) of an empty store: snapshot at %d, want 0", c.Revision)
	}
}

// testCRUD puts, reads, overwrites and deletes keys.
func testCRUD(t *testing.T, e env) {
	s := mustOpen(t, e)
	rev := revision(t, s)
	for i, step := range []func() int64{
		func() int64 { return put(t, s, "a", "1") },
		func() int64 { return put(t, s, "b", "2") },
		func() int64 { return put(t, s, "a", "3") },
		func() int64 { return del(t, s, "b") },
	} {
		next := step()
		e.step(t, rev, next, fmt.Sprintf("write %d", i))
		rev = next
	}
	steps := []struct{ key, want string }{
		{"a", "3"},
		{"b", "<missing>"},
		{"c", "<missing>"},
	}
	for _, st := range steps {
		if got := get(t, s, st.key); got != st.want {
			t.Errorf("Get(%q) = %q, want %q", st.key, got, st.want)
		}
	}
	err := s.View(context.Background(), func(tx cloudmap.ReadTx) error {
		_, err := tx.Get("missing")
		return err
	})
	if !errors.Is(err, cloudmap.ErrKeyNotFound) {
		t.Errorf("Get of a missing key: err = %v, want ErrKeyNotFound", err)
	}
	if _, err := s.Update(context.Background(), func(tx cloudmap.Tx) error {
		return tx.Delete("never-existed")
	}); err != nil {
		t.Errorf("Delete of a missing key: %v, want nil", err)
	}
}

// testEmptyValue stores a zero-length value, which exists.
func testEmptyValue(t *testing.T, e env) {
	s := mustOpen(t, e)
	put(t, s, "empty", "")
	err := s.View(context.Background(), func(tx cloudmap.ReadTx) error {
		v, err := tx.Get("empty")
		if err != nil {
			return err
		}
		if len(v) != 0 {
			return fmt.Errorf("value = %q, want empty", v)
		}
		n, err := tx.Count("empty")
		if err != nil || n != 1 {
			return fmt.Errorf("Count = %d, %v, want 1", n, err)
		}
		return nil
	})
	if err != nil {
		t.Errorf("empty value: %v", err)
	}
}

// testValuesOutliveTx keeps values returned by Get and Range after their
// transaction and after later writes, and changes them without effect. It
// stores enough data that no backend keeps it all in one small page.
func testValuesOutliveTx(t *testing.T, e env) {
	s := mustOpen(t, e)
	pad := strings.Repeat("p", 200)
	fill := func(prefix string) {
		update(t, s, func(tx cloudmap.Tx) error {
			for i := range 100 {
				if err := tx.Put(fmt.Sprintf("k/%03d", i), []byte(fmt.Sprintf("%s%d-%s", prefix, i, pad))); err != nil {
					return err
				}
			}
			return nil
		})
	}
	fill("first")
	var fromGet []byte
	var fromRange [][]byte
	err := s.View(context.Background(), func(tx cloudmap.ReadTx) error {
		v, err := tx.Get("k/001")
		fromGet = v
		_ = tx.Range("k/", "", func(_ string, v []byte) bool {
			fromRange = append(fromRange, v)
			return true
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		fill(fmt.Sprintf("again%d-", i))
	}
	if got, want := string(fromGet), "first1-"+pad; got != want {
		t.Errorf("value from Get after the tx = %.20q, want %.20q", got, want)
	}
	for i, v := range fromRange {
		if got, want := string(v), fmt.Sprintf("first%d-%s", i, pad); got != want {
			t.Fatalf("value %d from Range after the tx = %.20q, want %.20q", i, got, want)
		}
	}
	fromGet[0] = 'X'
	fromRange[2][0] = 'X'
	if got, want := get(t, s, "k/001"), "again4-1-"+pad; got != want {
		t.Errorf("after changing a returned slice, Get = %.20q, want %.20q", got, want)
	}
	value := []byte("mine")
	update(t, s, func(tx cloudmap.Tx) error { return tx.Put("k/mine", value) })
	value[0] = 'X'
	if got, want := get(t, s, "k/mine"), "mine"; got != want {
		t.Errorf("after changing a slice given to Put, Get = %q, want %q", got, want)
	}
}

// rangeKeys returns the keys Range visits, stopping after limit (0: all).
func rangeKeys(t *testing.T, tx cloudmap.ReadTx, prefix, after string, limit int) []string {
	t.Helper()
	var keys []string
	err := tx.Range(prefix, after, func(k string, _ []byte) bool {
		keys = append(keys, k)
		return limit == 0 || len(keys) < limit
	})
	if err != nil {
		t.Fatalf("Range(%q, %q): %v", prefix, after, err)
	}
	return keys
}

// testRange lists keys by prefix, after a key, and with an early stop.
func testRange(t *testing.T, e env) {
	s := mustOpen(t, e)
	keys := []string{"a", "b/1", "b/2", "b/3", "b/30", "b0", "c/1"}
	update(t, s, func(tx cloudmap.Tx) error {
		for _, k := range slices.Backward(keys) {
			if err := tx.Put(k, []byte("v-"+k)); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		prefix, after string
		limit         int
		want          []string
	}{
		{"", "", 0, keys},
		{"b/", "", 0, []string{"b/1", "b/2", "b/3", "b/30"}},
		{"b/", "b/2", 0, []string{"b/3", "b/30"}},
		{"b/", "b/25", 0, []string{"b/3", "b/30"}},
		{"b/", "a", 0, []string{"b/1", "b/2", "b/3", "b/30"}},
		{"b/", "b/30", 0, nil},
		{"b/", "c", 0, nil},
		{"b/", "", 2, []string{"b/1", "b/2"}},
		{"b", "", 0, []string{"b/1", "b/2", "b/3", "b/30", "b0"}},
		{"d/", "", 0, nil},
		{"", "b0", 0, []string{"c/1"}},
	}
	err := s.View(context.Background(), func(tx cloudmap.ReadTx) error {
		for _, tc := range tests {
			got := rangeKeys(t, tx, tc.prefix, tc.after, tc.limit)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Range(%q, %q) limit %d = %q, want %q", tc.prefix, tc.after, tc.limit, got, tc.want)
			}
		}
		return tx.Range("b/3", "", func(k string, v []byte) bool {
			if want := "v-" + k; string(v) != want {
				t.Errorf("Range value of %q = %q, want %q", k, v, want)
			}
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testRangeWhileWriting deletes and puts keys from inside a Range callback of
// a write transaction, over more keys than any backend's page size.
func testRangeWhileWriting(t *testing.T, e env) {
	s := mustOpen(t, e)
	const n = 300
	update(t, s, func(tx cloudmap.Tx) error {
		for i := range n {
			if err := tx.Put(fmt.Sprintf("r/%04d", i), []byte("x")); err != nil {
				return err
			}
		}
		return nil
	})
	var visited int
	update(t, s, func(tx cloudmap.Tx) error {
		visited = 0
		var werr error
		err := tx.Range("r/", "", func(k string, _ []byte) bool {
			visited++
			if werr = tx.Delete(k); werr == nil {
				werr = tx.Put("moved/"+k, []byte("y"))
			}
			return werr == nil
		})
		return errors.Join(err, werr)
	})
	if visited != n {
		t.Errorf("Range visited %d keys while writing, want %d", visited, n)
	}
	err := s.View(context.Background(), func(tx cloudmap.ReadTx) error {
		r, err1 := tx.Count("r/")
		m, err2 := tx.Count("moved/")
		if r != 0 || m != n {
			t.Errorf("after moving: Count(r/) = %d, Count(moved/) = %d, want 0, %d", r, m, n)
		}
		return errors.Join(err1, err2)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testCount counts keys by prefix.
func testCount(t *testing.T, e env) {
	s := mustOpen(t, e)
	update(t, s, func(tx cloudmap.Tx) error {
		for i := range 25 {
			if err := tx.Put(fmt.Sprintf("x/%d", i), nil); err != nil {
				return err
			}
		}
		return tx.Put("y", []byte("1"))
	})
	del(t, s, "x/3")
	tests := []struct {
		prefix string
		want   int
	}{{"", 25}, {"x/", 24}, {"x/1", 11}, {"y", 1}, {"z", 0}}
	err := s.View(context.Background(), func(tx cloudmap.ReadTx) error {
		for _, tc := range tests {
			got, err := tx.Count(tc.prefix)
			if err != nil {
				return err
			}
			if got != tc.want {
				t.Errorf("Count(%q) = %d, want %d", tc.prefix, got, tc.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testTxSeesOwnWrites reads a transaction's writes inside it.
func testTxSeesOwnWrites(t *testing.T, e env) {
	s := mustOpen(t, e)
	put(t, s, "p/old", "old")
	update(t, s, func(tx cloudmap.Tx) error {
		if err := tx.Put("p/new", []byte("new")); err != nil {
			return err
		}
		if err := tx.Delete("p/old"); err != nil {
			return err
		}
		if v, err := tx.Get("p/new"); err != nil || string(v) != "new" {
			t.Errorf("Get of own put = %q, %v, want new", v, err)
		}
		if _, err := tx.Get("p/old"); !errors.Is(err, cloudmap.ErrKeyNotFound) {
			t.Errorf("Get of own delete: err = %v, want ErrKeyNotFound", err)
		}
		if got := rangeKeys(t, tx, "p/", "", 0); !slices.Equal(got, []string{"p/new"}) {
			t.Errorf("Range after own writes = %q, want [p/new]", got)
		}
		if n, err := tx.Count("p/"); err != nil || n != 1 {
			t.Errorf("Count after own writes = %d, %v, want 1", n, err)
		}
		return nil
	})
	if got := contents(t, s); equalMaps(got, map[string]string{"p/new": "new"}) != "" {
		t.Errorf("after commit: %v, want only p/new=new", got)
	}
}

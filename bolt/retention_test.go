package bolt_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/bolt"
)

// open opens a store in a fresh directory, closed when the test ends.
func open(t *testing.T) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// commit puts key=value and returns the revision.
func commit(t *testing.T, s *bolt.Store, key, value string) int64 {
	t.Helper()
	rev, err := s.Update(context.Background(), func(tx cloudmap.Tx) error {
		return tx.Put(key, []byte(value))
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	return rev
}

// recv receives one change or fails after a generous timeout.
func recv(t *testing.T, ch <-chan cloudmap.Change) cloudmap.Change {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("watch closed")
		}
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no change within 10s")
	}
	return cloudmap.Change{}
}

func TestStore_Retention(t *testing.T) {
	s := open(t)
	s.Retention = 5
	for i := range 20 {
		commit(t, s, fmt.Sprintf("k/%d", i%3), fmt.Sprint(i))
	}
	tests := []struct {
		from int64
		want []int64 // negative: a snapshot at that revision
	}{
		{15, []int64{16, 17, 18, 19, 20}},
		{18, []int64{19, 20}},
		{14, []int64{-20}},
		{3, []int64{-20}},
		{0, []int64{-20}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.from), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ch, err := s.Watch(ctx, tc.from)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for len(got) == 0 || abs(got[len(got)-1]) < 20 {
				c := recv(t, ch)
				r := c.Revision
				if c.Snapshot {
					r = -r
					if len(c.Events) != 3 {
						t.Errorf("snapshot holds %d keys, want 3", len(c.Events))
					}
				}
				got = append(got, r)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Watch(%d) = %v, want %v", tc.from, got, tc.want)
			}
		})
	}
}

func abs(n int64) int64 { return max(n, -n) }

// A watcher that falls behind the retention window gets a new snapshot
// instead of a gap.
func TestStore_WatchResnapshot(t *testing.T) {
	s := open(t)
	s.Retention = 5
	s.WatchBatch = 1
	base := commit(t, s, "start", "x")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := s.Watch(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	const n = 200 // more than the watch channel buffers
	for i := range n {
		commit(t, s, fmt.Sprintf("k/%d", i%7), fmt.Sprint(i))
	}
	pos, snapshots := base, 0
	state := map[string]string{"start": "x"}
	for pos < base+n {
		c := recv(t, ch)
		if c.Snapshot {
			snapshots++
			state = map[string]string{}
		} else if c.Revision != pos+1 {
			t.Fatalf("change %d after %d without a snapshot", c.Revision, pos)
		}
		for _, e := range c.Events {
			state[e.Key] = string(e.Value)
		}
		pos = c.Revision
	}
	if snapshots == 0 {
		t.Error("no snapshot for a watcher behind the retention window")
	}
	if len(state) != 8 || state["k/0"] != "196" || state["k/3"] != "199" {
		t.Errorf("replayed state = %v", state)
	}
}

package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/cloudmap/cloudmap"
)

// testRestart keeps data and revision across a close and reopen, and a
// watch from a revision before the restart gets exactly the later commits.
func testRestart(t *testing.T, open Open) {
	s := mustOpen(t, open)
	base, states := history(t, s)
	last := base + int64(len(states)-1)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = mustOpen(t, open)
	if got := revision(t, s); got != last {
		t.Errorf("Revision after restart = %d, want %d", got, last)
	}
	if diff := equalMaps(contents(t, s), states[len(states)-1]); diff != "" {
		t.Errorf("data after restart: %s", diff)
	}
	from := last - 3
	changes := collect(t, s, from, last)
	if got, want := revisions(changes), []int64{last - 2, last - 1, last}; !slices.Equal(got, want) {
		t.Errorf("Watch(%d) after restart = revisions %v, want %v", from, got, want)
	}
	state := maps(states[from-base])
	for _, c := range changes {
		state = apply(state, c)
	}
	if diff := equalMaps(state, states[len(states)-1]); diff != "" {
		t.Errorf("replayed after restart: %s", diff)
	}
	if got := put(t, s, "after", "restart"); got != last+1 {
		t.Errorf("first commit after restart = revision %d, want %d", got, last+1)
	}
}

// testClosed makes every method of a closed store fail without panicking,
// and a second Close harmless.
func testClosed(t *testing.T, open Open) {
	s, err := open()
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, "a", "1")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := context.Background()
	if _, err := s.Update(ctx, func(tx cloudmap.Tx) error { return tx.Put("b", nil) }); err == nil {
		t.Error("Update on a closed store: err = nil")
	}
	if err := s.View(ctx, func(cloudmap.ReadTx) error { return nil }); err == nil {
		t.Error("View on a closed store: err = nil")
	}
	if _, err := s.Revision(ctx); err == nil {
		t.Error("Revision on a closed store: err = nil")
	}
	if ch, err := s.Watch(ctx, 0); err == nil {
		closed(t, ch)
	}
}

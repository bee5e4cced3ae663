package storetest

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/cloudmap/cloudmap"
)

// testRestart keeps data and revision across a close and reopen, and a
// watch from a revision before the restart gets exactly the later commits.
func testRestart(t *testing.T, e env) {
	s := mustOpen(t, e)
	h := history(t, e, s)
	last := h.last()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = mustOpen(t, e)
	switch got := revision(t, s); {
	case got < last:
		t.Errorf("Revision after restart = %d, want at least %d", got, last)
	case e.ContiguousRevisions && got != last:
		t.Errorf("Revision after restart = %d, want %d", got, last)
	}
	if diff := equalMaps(contents(t, s), h.final()); diff != "" {
		t.Errorf("data after restart: %s", diff)
	}
	i := len(h.revs) - 4
	from := h.revs[i]
	changes := collect(t, e, s, from, last)
	if got, want := revisions(changes), h.revs[i+1:]; !slices.Equal(got, want) {
		t.Errorf("Watch(%d) after restart = revisions %v, want %v", from, got, want)
	}
	state := maps.Clone(h.states[i+1])
	for _, c := range changes {
		state = apply(state, c)
	}
	if diff := equalMaps(state, h.final()); diff != "" {
		t.Errorf("replayed after restart: %s", diff)
	}
	e.step(t, last, put(t, s, "after", "restart"), "first commit after restart")
}

// testClosed makes every method of a closed store fail without panicking,
// and a second Close harmless.
func testClosed(t *testing.T, e env) {
	s, err := e.open()
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

package view

import (
	"runtime/debug"
	"sync"
)

// loadGCPercent is the GC percent while a view loads its first snapshot.
//
// Why: the initial load allocates the whole index in one burst (about
// 800 MB for 1,000,000 instances, plus the snapshot the store hands over),
// and nearly everything it allocates stays live. With the default GOGC=100
// the collector starts a cycle every time the heap doubles and marks
// everything loaded so far, on the same two cores that decode; measured,
// that was about half of the startup time. Collecting less often during
// the load wastes no memory that the loaded index would not use anyway
// (the garbage is mostly the snapshot's values, freed right after), and
// GOMEMLIMIT, when set, still bounds the heap. The previous setting is
// restored once the snapshot is applied.
const loadGCPercent = 800

// gcBoost raises the GC percent while at least one view loads, and
// restores the setting found by the first when the last one is done, so
// views starting concurrently (tests) never leave it raised.
var gcBoost struct {
	mu      sync.Mutex
	loading int
	saved   int
	raised  bool
}

// boostGC raises the GC percent for a load; call the returned func when
// the load is done. A GC percent already higher (or GC off) is kept.
func boostGC() (restore func()) {
	b := &gcBoost
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.loading == 0 {
		b.saved = debug.SetGCPercent(loadGCPercent)
		b.raised = true
		if b.saved < 0 || b.saved >= loadGCPercent {
			debug.SetGCPercent(b.saved)
			b.raised = false
		}
	}
	b.loading++
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			if b.loading--; b.loading == 0 && b.raised {
				debug.SetGCPercent(b.saved)
				b.raised = false
			}
		})
	}
}

package bolt

import (
	"sync/atomic"
	"time"
)

// Stats counts the work of the committer since Open.
type Stats struct {
	// Commits is how many bbolt transactions the committer wrote (each one
	// fsync), including those that wrote nothing and those retried.
	Commits int64
	// Updates is how many Updates the committer answered.
	Updates int64
}

// counters are the live values behind Stats.
type counters struct {
	commits, updates atomic.Int64
}

// Stats returns the committer's counters.
func (s *Store) Stats() Stats {
	return Stats{Commits: s.stats.commits.Load(), Updates: s.stats.updates.Load()}
}

// SetObserver sets a function told about every commit of the committer:
// how many Updates it carried, how long it took (the functions, the write
// and the fsync) and its error. It is called on the committer's goroutine
// and must not block.
func (s *Store) SetObserver(f func(updates int, elapsed time.Duration, err error)) {
	s.observer.Store(&f)
}

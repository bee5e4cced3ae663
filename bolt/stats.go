package bolt

import "sync/atomic"

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

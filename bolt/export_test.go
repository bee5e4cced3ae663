package bolt

// Queued returns how many Updates wait for the committer of s.
func Queued(s *Store) int { return s.queued() }

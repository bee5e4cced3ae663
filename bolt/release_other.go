//go:build !linux

package bolt

// ReleasePages does nothing on this platform (see the Linux version).
func (s *Store) ReleasePages() error { return nil }

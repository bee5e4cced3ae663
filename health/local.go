package health

import (
	"errors"
	"syscall"
)

// localErrors are failures of this process or machine, not of the target:
// out of file descriptors, buffers, memory or local ports. A probe that
// fails with one says nothing about the target; it is counted
// (Stats.LocalErrors) and the target is probed again at its next round.
var localErrors = []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.EADDRNOTAVAIL}

// isLocal reports whether err is a local resource error.
func isLocal(err error) bool {
	for _, e := range localErrors {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

//go:build !unix

package discovery

import "time"

// processCPU is not measured on this system: the CPU figures stay zero.
func processCPU() time.Duration { return 0 }

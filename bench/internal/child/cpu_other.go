//go:build !unix

package child

import "time"

// cpu is not measured on this system.
func cpu() time.Duration { return 0 }

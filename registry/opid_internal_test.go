package registry

import (
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestNewOperationID_TimeOrdered: operation ids made concurrently carry
// strictly increasing, distinct time prefixes, so the worker's queue
// (keyed by id) applies operations in submission order.
func TestNewOperationID_TimeOrdered(t *testing.T) {
	const goroutines, each = 4, 5000
	ids := make([][]string, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for range each {
				ids[g] = append(ids[g], newOperationID())
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for g := range ids {
		for i, id := range ids[g] {
			if len(id) != 41 || id[32] != '-' {
				t.Fatalf("id %q is not 32 characters, '-', 8 more", id)
			}
			prefix := id[:13]
			if seen[prefix] {
				t.Fatalf("time prefix %s given twice", prefix)
			}
			seen[prefix] = true
			if i > 0 && id <= ids[g][i-1] {
				t.Fatalf("id %s after %s in one goroutine: not increasing", id, ids[g][i-1])
			}
		}
	}
}

// TestNewOperationID_SameInstant: ids made at one instant (time does not
// move in a synctest bubble) still get distinct, increasing time prefixes
// that encode at least that instant.
func TestNewOperationID_SameInstant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lastOpTime.Store(0)
		now := time.Now().UnixNano()
		prev := ""
		for range 100 {
			id := newOperationID()
			if prev != "" && id[:13] <= prev[:13] {
				t.Fatalf("time prefix %s after %s at one instant: not increasing", id[:13], prev[:13])
			}
			if got := decodeOpTime(id[:13]); got < now || got > now+100 {
				t.Fatalf("time prefix of %s encodes %d, want %d to %d", id, got, now, now+100)
			}
			prev = id
		}
	})
}

// decodeOpTime reads the time an operation id's prefix encodes.
func decodeOpTime(prefix string) int64 {
	const sortable = "234567abcdefghijklmnopqrstuvwxyz"
	var v uint64
	for i := range len(prefix) {
		v = v<<5 | uint64(strings.IndexByte(sortable, prefix[i]))
	}
	return int64(v)
}

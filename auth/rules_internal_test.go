package auth

import (
	"testing"
	"time"
)

// TestMatchPattern: matchPattern is a glob over bytes: '*' matches any
// run (also an empty one, also at the end), every other byte only itself,
// so a pattern without '*' matches only the same string.
func TestMatchPattern(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"abc", "abc", true},
		{"abc", "xbc", false}, // a mismatch before any '*' is final
		{"ab", "ac", false},
		{"abc", "abx", false},
		{"a*", "a", true}, // a trailing '*' matches nothing
		{"a**", "a", true},
		{"*", "abc", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"*b*", "abc", true},
		{"a*b", "a", false},
	}
	for _, tt := range tests {
		if got := matchPattern(tt.p, tt.s); got != tt.want {
			t.Errorf("matchPattern(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}

// TestLimiter_BurstOne: a burst of 1 is one request at a time whatever the
// rate; only a burst below 1 becomes ceil(rate).
func TestLimiter_BurstOne(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		burst int
		want  int // requests allowed at one instant
	}{{1, 1}, {0, 5}, {-1, 5}, {2, 2}} {
		l := newLimiter(5, tc.burst, 10)
		n := 0
		for range 10 {
			if l.allow("k", t0) {
				n++
			}
		}
		if n != tc.want {
			t.Errorf("rate 5, burst %d: %d requests allowed at once, want %d", tc.burst, n, tc.want)
		}
	}
}

// TestLimiter_SweepEveryMinute: idle buckets (refilled to the burst) are
// dropped by the sweep that runs once sweepEvery has passed since the last
// one, inclusive.
func TestLimiter_SweepEveryMinute(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(10, 1, 100)
	l.allow("first", t0) // the first call sweeps (none before) and sets the time
	l.allow("idle", t0.Add(time.Second))
	l.allow("new", t0.Add(sweepEvery-time.Nanosecond))
	if got := l.size(); got != 3 {
		t.Fatalf("%d buckets before a minute passed, want 3 (no sweep)", got)
	}
	l.allow("last", t0.Add(sweepEvery))
	if got := l.size(); got != 2 {
		t.Errorf("%d buckets after the sweep at exactly a minute, want 2 (the busy one and the last)", got)
	}
}

// TestLimiter_SweepDropsExactlyFull: a bucket counts as idle once its
// tokens plus the refill (elapsed seconds times the rate) reach the burst,
// exactly; one short of it is kept. Seen when a full map forces a sweep.
func TestLimiter_SweepDropsExactlyFull(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Rate 4, burst 4: one token taken comes back after exactly 250 ms.
	for _, tc := range []struct {
		after time.Duration
		want  int
	}{
		{250 * time.Millisecond, 1},      // a and b refilled: dropped, only c
		{250*time.Millisecond - 1000, 2}, // not yet: one of them evicted
	} {
		l := newLimiter(4, 4, 2)
		l.allow("a", t0)
		l.allow("b", t0)
		l.allow("c", t0.Add(tc.after))
		if got := l.size(); got != tc.want {
			t.Errorf("after %v: %d buckets, want %d", tc.after, got, tc.want)
		}
	}
}

package auth

import (
	"math"
	"sync"
	"time"
)

// maxBuckets bounds the rate limiter's memory: one bucket per key or
// client address.
const maxBuckets = 10000

// sweepEvery is how often idle buckets are dropped.
const sweepEvery = time.Minute

// limiter is a set of token buckets, one per identity, each refilled at
// rate tokens per second up to burst. A bucket that has refilled to burst
// is indistinguishable from a new one, so such idle buckets are dropped
// freely to keep the map bounded.
type limiter struct {
	rate, burst float64
	max         int

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

// bucket is one identity's tokens as of last.
type bucket struct {
	tokens float64
	last   time.Time
}

// newLimiter returns a limiter; burst < 1 becomes ceil(rate).
func newLimiter(rate float64, burst, max int) *limiter {
	b := float64(burst)
	if burst < 1 {
		b = math.Max(1, math.Ceil(rate))
	}
	return &limiter{rate: rate, burst: b, max: max, buckets: map[string]*bucket{}}
}

// allow takes one token from id's bucket at time now, reporting whether
// there was one.
func (l *limiter) allow(id string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= sweepEvery {
		l.sweep(now)
	}
	b, ok := l.buckets[id]
	if !ok {
		if len(l.buckets) >= l.max {
			l.sweep(now)
			l.evictOne()
		}
		l.buckets[id] = &bucket{tokens: l.burst - 1, last: now}
		return true
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(l.burst, b.tokens+elapsed*l.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep drops the buckets that are full at now.
func (l *limiter) sweep(now time.Time) {
	l.lastSweep = now
	for id, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, id)
		}
	}
}

// evictOne makes room when every bucket is busy: it drops an arbitrary
// one, which at worst hands that identity a fresh burst.
func (l *limiter) evictOne() {
	if len(l.buckets) < l.max {
		return
	}
	for id := range l.buckets {
		delete(l.buckets, id)
		return
	}
}

// size is the number of buckets held (for tests).
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

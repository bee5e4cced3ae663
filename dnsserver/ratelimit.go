package dnsserver

import (
	"hash/maphash"
	"net/netip"
	"sync"
	"time"
)

// verdict is what the rate limiter says about one response.
type verdict int

const (
	allow verdict = iota // answer
	drop                 // send nothing
	slip                 // send an empty truncated reply (the client retries over TCP)
)

const (
	limiterShards   = 64
	limiterPerShard = 4096 // clients tracked per shard before idle ones are evicted
)

// Response rate limiting buckets clients by network, as RRL does: an IPv4
// /24 or an IPv6 /56 shares one bucket, so that one host cannot multiply
// its allowance by using many addresses of its network.
const (
	rrlIPv4Bits = 24
	rrlIPv6Bits = 56
)

// DefaultRateLimit is the UDP responses per second per client network that
// embed turns on when DNS listens beyond loopback and no rate is given.
const DefaultRateLimit = 100

// limiter is a token bucket per client network (see rrlIPv4Bits): rate
// tokens per second, a burst of one second's worth. Over the limit, every second response slips (TC=1,
// so legitimate clients behind a spoofed flood still get through over TCP)
// and the others are dropped.
type limiter struct {
	rate   float64
	now    func() time.Time
	seed   maphash.Seed
	shards [limiterShards]limiterShard
}

type limiterShard struct {
	mu      sync.Mutex
	buckets map[netip.Addr]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
	denied uint32
}

// newLimiter returns a limiter of rate responses per second; now defaults
// to time.Now.
func newLimiter(rate int, now func() time.Time) *limiter {
	if now == nil {
		now = time.Now
	}
	l := &limiter{rate: float64(rate), now: now, seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].buckets = map[netip.Addr]*bucket{}
	}
	return l
}

// clientNet is the network a client's bucket is keyed by.
func clientNet(client netip.Addr) netip.Addr {
	client = client.Unmap()
	bits := rrlIPv6Bits
	if client.Is4() {
		bits = rrlIPv4Bits
	}
	p, err := client.Prefix(bits)
	if err != nil {
		return client
	}
	return p.Addr()
}

// allow takes one token for client's network.
func (l *limiter) allow(client netip.Addr) verdict {
	client = clientNet(client)
	b16 := client.As16()
	sh := &l.shards[maphash.Bytes(l.seed, b16[:])%limiterShards]
	now := l.now()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b := sh.buckets[client]
	if b == nil {
		if len(sh.buckets) >= limiterPerShard {
			sh.evict(now, l.rate)
		}
		b = &bucket{tokens: l.rate, last: now}
		sh.buckets[client] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(l.rate, b.tokens+el*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return allow
	}
	b.denied++
	if b.denied%2 == 1 {
		return slip
	}
	return drop
}

// evict forgets buckets that have refilled (idle at least a second); if
// none has, it forgets all, which only lets a flood of distinct sources
// through at the rate it would get anyway.
func (sh *limiterShard) evict(now time.Time, rate float64) {
	for a, b := range sh.buckets {
		if now.Sub(b.last).Seconds()*rate+b.tokens >= rate {
			delete(sh.buckets, a)
		}
	}
	if len(sh.buckets) >= limiterPerShard {
		clear(sh.buckets)
	}
}

package dnsserver

import (
	"hash/maphash"
	"net/netip"
	"testing"
	"time"
)

// sameShard returns n client networks (IPv6 /56s) that the limiter keeps
// in one shard.
func sameShard(l *limiter, n int) []netip.Addr {
	var out []netip.Addr
	for i := 0; len(out) < n; i++ {
		a := netip.AddrFrom16([16]byte{0xfd, byte(i >> 16), byte(i >> 8), byte(i)})
		b16 := clientNet(a).As16()
		if maphash.Bytes(l.seed, b16[:])%limiterShards == 0 {
			out = append(out, a)
		}
	}
	return out
}

// TestLimiter_FullShardEvictsRefilledBuckets: a shard holds
// limiterPerShard clients. A new client past that first forgets the
// buckets that have refilled (idle long enough to be full again, to the
// exact token), which changes no verdict; only when none has does it
// forget all, letting the spent ones answer again.
func TestLimiter_FullShardEvictsRefilledBuckets(t *testing.T) {
	const rate = 5
	t0 := time.Unix(1_700_000_000, 0)
	spend := func(l *limiter, a netip.Addr, n int) {
		for range n {
			if v := l.allow(a); v != allow {
				t.Fatalf("%v: verdict %d within its rate", a, v)
			}
		}
	}
	t.Run("none refilled: all forgotten", func(t *testing.T) {
		now := t0
		l := newLimiter(rate, func() time.Time { return now })
		clients := sameShard(l, limiterPerShard+1)
		for _, a := range clients[:limiterPerShard] {
			spend(l, a, rate)
		}
		spent := clients[0]
		if v := l.allow(spent); v == allow {
			t.Fatal("a spent client was allowed")
		}
		spend(l, clients[limiterPerShard], 1) // the shard is full: forget all
		if v := l.allow(spent); v != allow {
			t.Errorf("a spent client after the full shard was cleared: verdict %d, want allow", v)
		}
	})
	t.Run("some refilled: only those forgotten", func(t *testing.T) {
		now := t0
		l := newLimiter(rate, func() time.Time { return now })
		clients := sameShard(l, limiterPerShard+1)
		half := limiterPerShard / 2
		for _, a := range clients[:half] {
			spend(l, a, 1) // 4 tokens left: full again 200 ms later, exactly
		}
		now = now.Add(200 * time.Millisecond)
		for _, a := range clients[half:limiterPerShard] {
			spend(l, a, rate)
		}
		spend(l, clients[limiterPerShard], 1) // forgets the refilled half only
		if n := len(l.shards[0].buckets); n != half+1 {
			t.Errorf("%d clients kept, want the %d spent ones and the new one", n, limiterPerShard-half)
		}
		if v := l.allow(clients[half]); v == allow {
			t.Error("a spent client was allowed: its bucket was forgotten")
		}
	})
}

package health

import (
	"container/heap"
	"context"
	"math/rand/v2"
	"time"

	"github.com/cloudmap/cloudmap"
)

// watch re-syncs the targets each time notify fires, at most once per
// Config.Debounce.
func (c *Checker) watch(ctx context.Context, notify <-chan struct{}) {
	defer c.wg.Done()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-notify:
		}
		if d := c.cfg.Debounce - time.Since(last); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		// Ask for the next change before reading, so none is missed.
		notify = c.targets.Notify()
		c.sync()
		last = time.Now()
	}
}

// sync makes the scheduled targets equal to Targets.HealthTargets(): new
// ones are scheduled at a random offset within the interval, gone ones
// removed, and ones whose check or address changed start over.
func (c *Checker) sync() {
	list := c.targets.HealthTargets()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byKey == nil {
		return
	}
	now := c.cfg.Now()
	seen := make(map[key]struct{}, len(list))
	for _, ht := range list {
		k := key{ht.ServiceId, ht.InstanceId}
		seen[k] = struct{}{}
		old := c.byKey[k]
		if old != nil && sameCheck(old.spec, ht) {
			continue
		}
		if old != nil {
			old.removed = true
		}
		t := newTarget(k, ht)
		t.due = now.Add(time.Duration(rand.Int64N(int64(c.cfg.Interval))))
		c.byKey[k] = t
		heap.Push(&c.due, t)
	}
	for k, t := range c.byKey {
		if _, ok := seen[k]; !ok {
			t.removed = true
			delete(c.byKey, k)
		}
	}
	c.signal()
}

// newTarget returns a target starting from the stored status.
func newTarget(k key, ht cloudmap.HealthTarget) *target {
	ep, err := endpointOf(ht)
	return &target{key: k, spec: ht, ep: ep, epErr: err, st: state{status: ht.Health}}
}

// sameCheck reports whether two versions of a target probe the same way.
// The stored health is left out: it follows the checker's own writes.
func sameCheck(a, b cloudmap.HealthTarget) bool {
	return a.Config == b.Config && a.IPv4 == b.IPv4 && a.Port == b.Port
}

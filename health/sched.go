package health

import (
	"container/heap"
	"context"
	"errors"
	"time"

	"github.com/cloudmap/cloudmap"
)

// key identifies a target.
type key struct{ serviceID, instanceID string }

// target is one instance being probed. Its fields are guarded by Checker.mu.
type target struct {
	key   key
	spec  cloudmap.HealthTarget
	ep    endpoint
	epErr error // non-nil: the target cannot be probed and always fails
	st    state
	due   time.Time
	// inFlight is set while a probe (and any write it causes) runs.
	inFlight bool
	// failing is set when the last probe failed; lane is the value it had
	// when the running probe started (which slot pool it holds).
	failing, lane bool
	// removed is set when the target left Targets or was replaced; its
	// heap entry is dropped lazily and its in-flight result discarded.
	removed bool
}

// sched is the scheduler state of one run, guarded by Checker.mu.
type sched struct {
	ctx     context.Context // the run's context, for probes
	byKey   map[key]*target
	due     dueHeap
	waiting []*target // failing targets due while their slots were full
	// inFlight counts running probes, inFlightFailing those of the
	// failing lane.
	inFlight, inFlightFailing int
}

func newSched(ctx context.Context) sched {
	return sched{ctx: ctx, byKey: make(map[key]*target)}
}

// clear forgets every target.
func (s *sched) clear() {
	for _, t := range s.byKey {
		t.removed = true
	}
	*s = sched{byKey: make(map[key]*target)}
}

// dueHeap is a min-heap of targets by due time.
type dueHeap []*target

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(*target)) }
func (h *dueHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return t
}

// schedule is the scheduler goroutine: it starts every due probe it has a
// slot for, then sleeps until the next due time, a freed slot or a change.
func (c *Checker) schedule(ctx context.Context) {
	defer c.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		if wait, ok := c.dispatchDue(); ok {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-c.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// dispatchDue starts the probes that are due and returns how long to sleep
// until the next one, or false when only a freed slot or a change can
// make progress.
func (c *Checker) dispatchDue() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Now()
	failCap := c.cfg.failingSlots()
	for len(c.waiting) > 0 && c.inFlight < c.cfg.Concurrency && c.inFlightFailing < failCap {
		t := c.waiting[0]
		c.waiting[0] = nil
		c.waiting = c.waiting[1:]
		if !t.removed {
			c.dispatch(t, now)
		}
	}
	for c.due.Len() > 0 {
		t := c.due[0]
		switch {
		case t.removed:
			heap.Pop(&c.due)
			continue
		case t.due.After(now):
			return t.due.Sub(now), true
		case c.inFlight >= c.cfg.Concurrency:
			return 0, false
		}
		heap.Pop(&c.due)
		switch {
		case t.inFlight:
			c.stats.Skipped++
			t.due = c.next(t.due, now)
			heap.Push(&c.due, t)
		case t.failing && c.inFlightFailing >= failCap:
			c.waiting = append(c.waiting, t)
		default:
			c.dispatch(t, now)
		}
	}
	return 0, false
}

// dispatch starts a probe of t and schedules its next round. c.mu is held.
func (c *Checker) dispatch(t *target, now time.Time) {
	if now.Sub(t.due) > c.cfg.Interval/2 {
		c.stats.LateRounds++
		if !t.failing {
			c.stats.LatePassing++
		}
	}
	c.inFlight++
	t.inFlight, t.lane = true, t.failing
	if t.lane {
		c.inFlightFailing++
	}
	t.due = c.next(t.due, now)
	heap.Push(&c.due, t)
	c.wg.Add(1)
	go c.run(c.sched.ctx, t, t.ep, t.epErr)
}

// next returns the first due time after now in due's phase.
func (c *Checker) next(due, now time.Time) time.Time {
	n := due.Add(c.cfg.Interval)
	if n.After(now) {
		return n
	}
	k := now.Sub(due)/c.cfg.Interval + 1
	return due.Add(k * c.cfg.Interval)
}

// run probes one target and records the result.
func (c *Checker) run(ctx context.Context, t *target, ep endpoint, epErr error) {
	defer c.wg.Done()
	err := epErr
	if err == nil {
		if err = c.policy.check(ep.addr.Addr()); err != nil {
			c.cfg.Logger.Debug("health: probe not sent", "service", t.key.serviceID,
				"instance", t.key.instanceID, "reason", err)
		}
	}
	if err == nil {
		start := c.cfg.Now()
		err = c.probe(ctx, ep)
		if c.cfg.Observe != nil && ctx.Err() == nil {
			c.cfg.Observe(ep.typ, err == nil, c.cfg.Now().Sub(start))
		}
	}
	c.record(ctx, t, err)
}

// record applies a probe result: it frees the slot, updates the target's
// state and writes the status when it changes.
func (c *Checker) record(ctx context.Context, t *target, probeErr error) {
	c.mu.Lock()
	c.inFlight--
	if t.lane {
		c.inFlightFailing--
	}
	c.signal()
	if ctx.Err() != nil || t.removed {
		// A cancelled probe says nothing; a removed target's result is
		// not wanted.
		if ctx.Err() == nil {
			c.stats.Discarded++
		}
		t.inFlight = false
		c.mu.Unlock()
		return
	}
	if isLocal(probeErr) {
		c.localError(t, probeErr)
		c.mu.Unlock()
		return
	}
	if errors.Is(probeErr, errBlocked) {
		c.stats.Blocked++
	}
	c.stats.Probes++
	if probeErr == nil {
		c.stats.Passed++
	} else {
		c.stats.Failed++
	}
	t.failing = probeErr != nil
	from := t.st.status
	status, flip := t.st.observe(probeErr == nil, t.ep.threshold)
	if !flip {
		t.inFlight = false
		c.mu.Unlock()
		return
	}
	c.stats.Writes++
	c.mu.Unlock()

	wctx := ctx
	if t.spec.Cell != (cloudmap.Cell{}) {
		wctx = cloudmap.WithCell(ctx, t.spec.Cell) // the instance's cell, where its health record lives
	}
	changed, err := c.sink.SetHealth(wctx, t.key.serviceID, t.key.instanceID, status)

	c.mu.Lock()
	defer c.mu.Unlock()
	t.inFlight = false
	if err != nil {
		c.stats.WriteErrors++
		c.cfg.Logger.Warn("health: write status", "service", t.key.serviceID,
			"instance", t.key.instanceID, "status", status, "err", err)
		return
	}
	t.st.set(status)
	if changed {
		c.stats.Changes++
	}
	c.cfg.Logger.Info("health status changed", "service", t.key.serviceID,
		"instance", t.key.instanceID, "from", from, "to", status, "reason", reason(probeErr))
}

// reason is the log text of a probe result.
func reason(err error) string {
	if err == nil {
		return "probe passed"
	}
	return err.Error()
}

// localError drops a probe result that says nothing about the target and
// counts it; a warning at most every localLogInterval. c.mu is held.
func (c *Checker) localError(t *target, err error) {
	c.stats.LocalErrors++
	t.inFlight = false
	if now := c.cfg.Now(); now.Sub(c.lastLocalLog) >= localLogInterval {
		c.lastLocalLog = now
		c.cfg.Logger.Warn("health: probe failed for a local reason; not counted against the target",
			"service", t.key.serviceID, "instance", t.key.instanceID, "err", err, "local_errors", c.stats.LocalErrors)
	}
}

// localLogInterval is the least time between two warnings about local errors.
const localLogInterval = 10 * time.Second

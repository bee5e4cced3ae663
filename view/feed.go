package view

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/cloudmap/cloudmap"
)

const (
	// maxBatch bounds how many queued commits one publish covers.
	maxBatch = 256
	// decodeChunk bounds how many events of a snapshot are decoded at once.
	decodeChunk = 1 << 16
)

// run applies the change feed until ctx is done. Commits already queued
// are applied together and published once, so a flood of writes costs one
// publish per batch instead of one per commit. When the feed ends while
// the view is open, it watches again from the applied revision.
func (v *View) run(ctx context.Context, ch <-chan cloudmap.Change) {
	defer close(v.done)
	s := newState()
	batch := make([]cloudmap.Change, 0, maxBatch)
	backoff := 10 * time.Millisecond
	for {
		var c cloudmap.Change
		var ok bool
		select {
		case c, ok = <-ch:
		case <-ctx.Done():
			return
		}
		if !ok {
			if ch = v.rewatch(ctx, &backoff); ch == nil {
				return
			}
			continue
		}
		backoff = 10 * time.Millisecond
		batch = append(batch[:0], c)
	drain:
		for len(batch) < maxBatch {
			select {
			case c, ok := <-ch:
				if !ok {
					break drain // the closed feed is noticed on the next receive
				}
				batch = append(batch, c)
			default:
				break drain
			}
		}
		s = v.applyBatch(s, batch)
		clear(batch) // drop the events (a snapshot's are the whole store) until reused
	}
}

// rewatch opens the feed again after it ended, with a bounded backoff.
// It returns nil when ctx is done.
func (v *View) rewatch(ctx context.Context, backoff *time.Duration) <-chan cloudmap.Change {
	for {
		v.log.Warn("change feed ended; watching again", "revision", v.Applied(), "backoff", *backoff)
		t := time.NewTimer(*backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		*backoff = min(2**backoff, 5*time.Second)
		ch, err := v.store.Watch(ctx, v.Applied())
		if err == nil {
			return ch
		}
		v.log.Error("watch failed", "revision", v.Applied(), "err", err)
	}
}

// applyBatch applies changes in order and publishes the result. A snapshot
// replaces the whole state. It returns the state to continue from.
func (v *View) applyBatch(s *state, batch []cloudmap.Change) *state {
	reset := false
	last := v.Applied()
	for _, c := range batch {
		if c.Revision <= last && !c.Snapshot {
			continue // already applied (a re-watch may repeat commits)
		}
		if c.Snapshot {
			s, reset, last = v.loadSnapshot(c), true, c.Revision
			continue
		}
		for lo := 0; lo < len(c.Events); lo += decodeChunk {
			events := c.Events[lo:min(lo+decodeChunk, len(c.Events))]
			recs := decodeAll(events)
			for i := range recs {
				r := &recs[i]
				if r.err != nil {
					v.log.Error("skipping undecodable record", "key", events[i].Key, "revision", c.Revision, "err", r.err)
					continue
				}
				s.apply(r, c.Revision)
			}
		}
		last = c.Revision
	}
	v.publish(s, reset)
	if last != v.Applied() {
		v.setApplied(last)
	}
	return s
}

// decodeAll decodes events, in parallel when there are many (a snapshot).
func decodeAll(events []cloudmap.Event) []record {
	recs := make([]record, len(events))
	workers := runtime.GOMAXPROCS(0)
	if len(events) < 4096 || workers < 2 {
		for i, e := range events {
			recs[i] = decode(e)
		}
		return recs
	}
	var wg sync.WaitGroup
	chunk := (len(events) + workers - 1) / workers
	for lo := 0; lo < len(events); lo += chunk {
		hi := min(lo+chunk, len(events))
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				recs[i] = decode(events[i])
			}
		})
	}
	wg.Wait()
	return recs
}

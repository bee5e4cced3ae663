package bolt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/cloudmap/cloudmap"
)

// request is one Update waiting for the committer.
type request struct {
	ctx  context.Context
	fn   func(tx cloudmap.Tx) error
	rev  int64
	err  error
	done chan struct{} // closed once rev and err are final
}

// finish answers the Update of r.
func (r *request) finish(rev int64, err error) {
	r.rev, r.err = rev, err
	close(r.done)
}

// commitLoop is the committer goroutine: it commits the queued Updates,
// many per transaction, until the store closes, then commits what is left.
func (s *Store) commitLoop() {
	defer s.wg.Done()
	last := 0 // Updates in the previous transaction
	for {
		select {
		case <-s.kick:
		case <-s.done:
			for s.flush() > 0 {
			}
			return
		}
		for {
			if !s.gather(last) {
				for s.flush() > 0 {
				}
				return
			}
			if last = s.flush(); last == 0 {
				break
			}
		}
	}
}

// gather waits up to MaxBatchDelay while fewer Updates are queued than the
// previous transaction held, so that under steady load each transaction
// carries as many as the last one instead of starting as soon as the first
// caller of a new round arrives. It returns false when the store closes.
func (s *Store) gather(last int) bool {
	want := min(last, max(s.MaxBatchSize, 1))
	if want <= 1 || s.MaxBatchDelay <= 0 || s.queued() >= want {
		return true
	}
	timer := time.NewTimer(s.MaxBatchDelay)
	defer timer.Stop()
	for s.queued() < want {
		select {
		case <-s.kick:
		case <-timer.C:
			return true
		case <-s.done:
			return false
		}
	}
	return true
}

// queued returns how many Updates wait for the committer.
func (s *Store) queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// flush commits up to MaxBatchSize queued Updates in one transaction and
// returns how many it committed.
func (s *Store) flush() int {
	s.mu.Lock()
	n := min(len(s.queue), max(s.MaxBatchSize, 1))
	batch := s.queue[:n:n]
	s.queue = s.queue[n:]
	if len(s.queue) == 0 {
		s.queue = nil
	}
	s.mu.Unlock()
	if n > 0 {
		s.commitBatch(batch)
	}
	return n
}

// result is the answer to one request.
type result struct {
	rev     int64
	changed bool
	err     error
}

// commitBatch runs the fn of every request in one transaction and commits
// it. A request whose fn panics, or whose writes cannot be undone after an
// error, is answered with that error and the transaction is retried
// without it; a failed commit is the error of every request whose fn
// succeeded.
func (s *Store) commitBatch(batch []*request) {
	for len(batch) > 0 {
		results := make([]result, len(batch))
		bad := -1
		start := time.Now()
		err := s.db.Update(func(btx *bbolt.Tx) error {
			kv, last := btx.Bucket(bucketKV), int64(0)
			kv.FillPercent = fillKV
			for i, r := range batch {
				res, evict := s.runOne(btx, kv, r)
				results[i] = res
				if evict {
					bad = i
					return res.err
				}
				if res.changed {
					last = res.rev
				}
			}
			if last > 0 {
				btx.OnCommit(func() { s.broadcast(last) })
			}
			return nil
		})
		s.stats.commits.Add(1)
		if obs := s.observer.Load(); obs != nil {
			(*obs)(len(batch), time.Since(start), err)
		}
		if bad >= 0 {
			s.stats.updates.Add(1)
			batch[bad].finish(0, results[bad].err)
			batch = append(batch[:bad:bad], batch[bad+1:]...)
			continue
		}
		s.stats.updates.Add(int64(len(batch)))
		for i, r := range batch {
			switch res := results[i]; {
			case res.err != nil:
				r.finish(0, res.err)
			case err != nil:
				r.finish(0, fmt.Errorf("bolt: commit: %w", err))
			default:
				r.finish(res.rev, nil)
			}
		}
		return
	}
}

// runOne runs the fn of r in the shared transaction and records its
// change. evict is true when the transaction must be aborted and retried
// without r: its fn panicked, its writes could not be undone, or its
// change could not be recorded.
func (s *Store) runOne(btx *bbolt.Tx, kv *bbolt.Bucket, r *request) (res result, evict bool) {
	if err := r.ctx.Err(); err != nil {
		return result{err: err}, false
	}
	t := newWriteTx(kv)
	if err := call(r.fn, t); err != nil {
		var p panicked
		if errors.As(err, &p) {
			return result{err: err}, true
		}
		return result{err: err}, t.undo() != nil
	}
	rev, changed, err := s.commit(btx, t)
	if err != nil {
		return result{err: fmt.Errorf("bolt: commit: %w", err)}, true
	}
	return result{rev: rev, changed: changed}, false
}

// panicked is the error of a transaction function that panicked.
type panicked struct{ reason any }

func (p panicked) Error() string {
	return fmt.Sprintf("bolt: transaction function panicked: %v", p.reason)
}

// call runs fn, turning a panic into an error.
func call(fn func(cloudmap.Tx) error, t *writeTx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicked{p}
		}
	}()
	return fn(t)
}

package registry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cloudmap/cloudmap"
)

// DefaultMaxBatch is the most operations the worker moves in one
// transaction when Config.MaxBatch is 0.
const DefaultMaxBatch = 1000

// OperationKeys is the most keys the worker writes to apply one
// registration or deregistration: the instance and its health record, the
// operation's status, and the deletion of its queue and in-progress
// markers. UpdateNamespace writes 4; CreateNamespace and DeleteNamespace
// write up to 4 + 3 plus one per tag (at most 50); UpdateService writes 4
// plus one per instance of the service when its HealthCheckConfig is added
// or removed. Moving an operation to PENDING writes 1.
const OperationKeys = 5

// BatchForTxnOps returns the Config.MaxBatch that keeps the transaction
// applying a batch of registrations within maxTxnOps operations (etcd's
// --max-txn-ops, 128 by default, 25 operations then): OperationKeys writes
// per operation, and one operation left for the fence of a fenced write.
// Batches holding heavier operations that a store refuses are split (see
// RunWorker).
func BatchForTxnOps(maxTxnOps int) int {
	return max(1, (maxTxnOps-1)/OperationKeys)
}

// maxBatch returns how many operations the worker moves in one transaction.
func (r *Registry) maxBatch() int {
	if r.cfg.MaxBatch > 0 {
		return r.cfg.MaxBatch
	}
	return DefaultMaxBatch
}

// retryDelay is how long the worker waits after a store failure.
const retryDelay = 500 * time.Millisecond

// RunWorker finishes queued operations until ctx is done: those submitted
// with Config.OperationDelay, once their delay has passed (they turn
// PENDING half way), and every operation left SUBMITTED or PENDING by an
// earlier run (after a crash), which it resumes first. Without a delay a
// request applies its own operation, so the worker only has the leftovers
// to do. It learns of queued operations from the store's change feed (so
// operations submitted on other nodes are seen too), from an in-process
// nudge and from a timer set to the next due time. Each batch of up to
// Config.MaxBatch operations is read and decoded outside the store's writer
// and applied in one Store.Update, each operation succeeding or failing on
// its own. When the store refuses a batch (other than for a canceled
// context or a lost fence), for instance because it holds more writes than
// etcd's --max-txn-ops, the two halves of the batch go on their own
// (applied in submission order), down to single operations; one that still
// fails is retried after a delay. It returns nil when ctx is done and an
// error when the change feed ends before.
func (r *Registry) RunWorker(ctx context.Context) error {
	rev, err := r.store.Revision(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("registry: worker: revision: %w", err)
	}
	feed, err := r.store.Watch(ctx, rev)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("registry: worker: watch: %w", err)
	}
	signal := make(chan struct{}, 1)
	feedDone := make(chan struct{})
	go func() {
		defer close(feedDone)
		for c := range feed {
			if r.noteQueued(c) {
				notify(signal)
			}
		}
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// A submission names its cell (feed, nudge): the worker drains that
	// cell. At start (to resume what a previous run left unfinished), when
	// the next operation is due, and after a failure, it drains every cell.
	all := true
	var deadline time.Time
	notify(signal)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-feedDone:
			if ctx.Err() != nil {
				return nil
			}
			return errors.New("registry: worker: the change feed ended")
		case <-signal:
		case <-r.nudge:
		case <-timer.C:
			all = true
		}
		var cells []cloudmap.Cell
		pending := r.takePending()
		if !all {
			cells = pending
		}
		next, err := r.drain(ctx, all, cells)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil:
			r.log.Warn("operations worker: batch failed, retrying", "err", err)
			all, deadline = true, r.now().Add(retryDelay)
		case all || deadline.IsZero() || !next.IsZero() && next.Before(deadline):
			all, deadline = false, next
		}
		if deadline.IsZero() {
			timer.Stop()
		} else {
			timer.Reset(max(deadline.Sub(r.now()), 0))
		}
	}
}

func notify(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// noteQueued records the cells in which a commit submitted an operation
// and reports whether there was one.
func (r *Registry) noteQueued(c cloudmap.Change) bool {
	found := false
	for _, e := range c.Events {
		if e.Deleted {
			continue
		}
		prefix, k, ok := cloudmap.SplitCellKey(e.Key)
		if !ok || !strings.HasPrefix(k, prefixOpQueue) {
			continue
		}
		cell, _ := cloudmap.CellOfPrefix(prefix)
		r.queuedIn(cell)
		found = true
	}
	return found
}

// drain processes the queues of the cells (every cell with all) until no
// queued operation is due. It returns when the next operation of those
// cells is due (zero: nothing queued).
func (r *Registry) drain(ctx context.Context, all bool, cells []cloudmap.Cell) (time.Time, error) {
	if all {
		var err error
		if cells, err = r.allCells(ctx); err != nil {
			return time.Time{}, err
		}
	}
	var next time.Time
	for _, c := range cells {
		at, err := r.drainCell(cellContext(ctx, c))
		if err != nil {
			return time.Time{}, err
		}
		if !at.IsZero() && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next, nil
}

// drainCell processes the batches of the cell of ctx until no queued
// operation is due, and returns when its next one is.
func (r *Registry) drainCell(ctx context.Context) (time.Time, error) {
	for ctx.Err() == nil {
		applied, next, err := r.processBatch(ctx)
		if err != nil || applied < r.maxBatch() {
			return next, err
		}
	}
	return time.Time{}, nil
}

// processBatch applies up to maxBatch queued operations that are due in
// one transaction, which also moves the SUBMITTED ones half way through
// their delay to PENDING. It returns how many it applied and when the next
// of the others is due to change (zero when none is queued).
func (r *Registry) processBatch(ctx context.Context) (int, time.Time, error) {
	jobs, err := r.readQueue(ctx, r.maxBatch())
	if err != nil || len(jobs) == 0 {
		return 0, time.Time{}, wrap("worker: read queue", err)
	}
	due, mark, next := r.schedule(jobs, r.now())
	if len(due) == 0 && len(mark) == 0 {
		return 0, next, nil
	}
	done, err := r.applyJobs(ctx, due, mark)
	if err != nil {
		return 0, time.Time{}, wrap("worker: apply", err)
	}
	for _, op := range done {
		if r.cfg.Finished != nil {
			r.cfg.Finished(op.Type, op.Status)
		}
		if op.Status == cloudmap.OpFail {
			r.log.Info("operation failed", "id", op.Id, "type", op.Type, "code", op.ErrorCode, "message", op.ErrorMessage)
		}
	}
	r.log.Debug("operations applied", "count", len(done), "pending", len(mark))
	return len(due), next, nil
}

// schedule splits queued jobs at time now into those due (their delay has
// passed, or their record is gone), the ids of the SUBMITTED ones to mark
// PENDING (half of their delay has passed), and the time the next of the
// others changes (zero when there is none).
func (r *Registry) schedule(jobs []*job, now time.Time) (due []*job, mark []string, next time.Time) {
	delay := r.cfg.OperationDelay
	for _, j := range jobs {
		if j.op == nil || !j.op.CreateDate.Add(delay).After(now) {
			due = append(due, j)
			continue
		}
		at := j.op.CreateDate.Add(delay)
		if half := j.op.CreateDate.Add(delay / 2); !j.pending {
			if half.After(now) {
				at = half
			} else {
				mark = append(mark, j.id)
			}
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return due, mark, next
}

// splittable reports whether a batch whose transaction failed with err may
// go through in smaller parts: not when ctx ended or the leadership is lost.
func splittable(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) &&
		!errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, cloudmap.ErrFenced)
}

// applyJobs applies jobs (in submission order) and marks the operations
// mark PENDING, in one transaction. When the store refuses it, it applies
// each half of jobs on its own, both halves even when the first fails, and
// returns the first error (the marks wait for the next round).
func (r *Registry) applyJobs(ctx context.Context, jobs []*job, mark []string) ([]*opRecord, error) {
	var done []*opRecord
	_, err := r.store.Update(ctx, func(tx cloudmap.Tx) error {
		var err error
		if done, err = r.applyBatch(tx, jobs); err != nil {
			return err
		}
		return r.markPending(tx, mark)
	})
	if len(jobs) < 2 || !splittable(ctx, err) {
		return done, err
	}
	r.log.Debug("operations worker: batch refused, splitting", "operations", len(jobs), "err", err)
	half := len(jobs) / 2
	first, err1 := r.applyJobs(ctx, jobs[:half], nil)
	second, err2 := r.applyJobs(ctx, jobs[half:], nil)
	return append(first, second...), cmp.Or(err1, err2)
}

// applyBatch applies jobs, in their order, that are still queued. A rule
// that no longer holds fails that operation alone; a store error fails the
// transaction.
func (r *Registry) applyBatch(tx cloudmap.Tx, jobs []*job) ([]*opRecord, error) {
	var ops []*opRecord
	now := r.now()
	for _, j := range jobs {
		if _, err := tx.Get(opQueueKey(j.id)); errors.Is(err, cloudmap.ErrKeyNotFound) {
			continue // finished since it was read
		} else if err != nil {
			return nil, fmt.Errorf("registry: get %s: %w", opQueueKey(j.id), err)
		}
		if j.op == nil {
			if err := del(tx, opQueueKey(j.id)); err != nil {
				return nil, err
			}
			continue
		}
		op := *j.op
		err := r.apply(tx, j)
		var e *cloudmap.Error
		switch {
		case err == nil:
			op.Status, op.UpdateDate = cloudmap.OpSuccess, now
			err = succeed(tx, &op)
		case errors.As(err, &e):
			op.Status, op.ErrorCode, op.ErrorMessage = cloudmap.OpFail, e.Code, e.Message
			err = finish(tx, &op, now)
		}
		if err != nil {
			return nil, err
		}
		ops = append(ops, &op)
	}
	return ops, nil
}

package bolt

import (
	"context"
	"encoding/binary"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/cloudmap/cloudmap"
)

// Update runs fn in a read-write transaction and returns the revision it
// committed at, once that commit is durable. Updates share bbolt
// transactions and fsyncs: one committer goroutine takes every Update queued
// while the previous commit was being written (up to MaxBatchSize, waiting
// up to MaxBatchDelay for as many as the previous commit held) into one
// transaction, so a lone Update commits at once and concurrent ones share
// the cost of a commit. Each fn still commits at its own revision, with its
// own change record. An Update whose ctx is done before its fn runs returns
// ctx.Err() and writes nothing.
//
// fn may run more than once (when another Update of its transaction panics
// or fails to commit, the others run again in a new transaction). Errors of
// fn are returned unchanged and its writes are undone, without disturbing
// the other Updates of the transaction; a transaction that writes nothing
// returns the current revision and adds nothing to the change log. fn must
// not call the Store: bbolt has one writer, so a nested Update would wait
// for itself.
func (s *Store) Update(ctx context.Context, fn func(tx cloudmap.Tx) error) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	req := &request{ctx: ctx, fn: fn, done: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, errClosed
	}
	s.queue = append(s.queue, req)
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	<-req.done
	return req.rev, req.err
}

// commit bumps the revision and appends the change record when t wrote
// something, inside the transaction. It returns the revision of the
// transaction and whether it changed anything.
func (s *Store) commit(btx *bbolt.Tx, t *writeTx) (int64, bool, error) {
	cur := readRevision(btx)
	events := t.changes()
	if len(events) == 0 {
		return cur, false, nil
	}
	rev := cur + 1
	if err := btx.Bucket(bucketMeta).Put(keyRevision, revKey(rev)); err != nil {
		return 0, false, fmt.Errorf("bolt: write revision %d: %w", rev, err)
	}
	changes := btx.Bucket(bucketChanges)
	changes.FillPercent = fillChanges
	if err := changes.Put(revKey(rev), encodeEvents(events)); err != nil {
		return 0, false, fmt.Errorf("bolt: append change %d: %w", rev, err)
	}
	if err := trim(changes, rev-max(s.Retention, 1)); err != nil {
		return 0, false, err
	}
	return rev, true, nil
}

// trim deletes the change records at or below revision cutoff.
func trim(changes *bbolt.Bucket, cutoff int64) error {
	if cutoff < 1 {
		return nil
	}
	c := changes.Cursor()
	for k, _ := c.First(); k != nil && revOf(k) <= cutoff; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return fmt.Errorf("bolt: trim change %d: %w", revOf(k), err)
		}
	}
	return nil
}

// broadcast wakes the watchers after the commit of rev.
func (s *Store) broadcast(rev int64) {
	s.mu.Lock()
	if rev > s.woken {
		s.woken = rev
		close(s.wake)
		s.wake = make(chan struct{})
	}
	s.mu.Unlock()
}

// readRevision returns the revision stored in the meta bucket.
func readRevision(btx *bbolt.Tx) int64 {
	v := btx.Bucket(bucketMeta).Get(keyRevision)
	if len(v) != 8 {
		return 0
	}
	return revOf(v)
}

// revKey is the big-endian form of a revision.
func revKey(rev int64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(rev))
}

// revOf reads a big-endian revision.
func revOf(k []byte) int64 {
	if len(k) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(k))
}

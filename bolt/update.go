package bolt

import (
	"context"
	"encoding/binary"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/cloudmap/cloudmap"
)

// Update runs fn in a read-write transaction and returns the revision it
// committed at. When other Updates are in flight, fn shares one bbolt
// transaction and one fsync with them (bbolt.DB.Batch); a lone Update commits
// at once. fn may run more than once. Errors of fn are returned unchanged and
// nothing is written; a transaction that writes nothing returns the current
// revision and adds nothing to the change log. fn must not call the Store:
// bbolt has one writer, so a nested Update would wait for itself.
func (s *Store) Update(ctx context.Context, fn func(tx cloudmap.Tx) error) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if s.isClosed() {
		return 0, errClosed
	}
	s.tune.Do(func() {
		s.db.MaxBatchDelay = s.MaxBatchDelay
		s.db.MaxBatchSize = max(s.MaxBatchSize, 1)
	})
	var (
		rev   int64
		fnErr error
	)
	run := func(btx *bbolt.Tx) error {
		rev, fnErr = 0, nil
		t := newWriteTx(btx.Bucket(bucketKV))
		if err := fn(t); err != nil {
			fnErr = err
			return err
		}
		r, changed, err := s.commit(btx, t)
		if err != nil {
			return err
		}
		rev = r
		if changed {
			btx.OnCommit(func() { s.broadcast(r) })
		}
		return nil
	}
	if err := s.run(run); err != nil {
		if fnErr != nil && err == fnErr {
			return 0, err
		}
		return 0, fmt.Errorf("bolt: commit: %w", err)
	}
	return rev, nil
}

// run commits fn at once when no other Update is in flight, and through
// bbolt.DB.Batch (one shared transaction and fsync) otherwise.
func (s *Store) run(fn func(*bbolt.Tx) error) error {
	defer s.pending.Add(-1)
	if s.pending.Add(1) == 1 {
		return s.db.Update(fn)
	}
	return s.db.Batch(fn)
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

package bolt

import (
	"bytes"
	"context"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/cloudmap/cloudmap"
)

// watchBuffer is the capacity of a watch channel.
const watchBuffer = 64

// Watch returns a feed of every commit after fromRev, one Change per commit
// in revision order. When fromRev is 0 or older than the change log keeps,
// the feed starts with a Snapshot of every key at the current revision. A
// watcher reads the change log at its own pace, so a slow reader misses
// nothing; one that falls behind the retention window gets a new snapshot.
// The channel is closed when ctx is done or the store is closed.
func (s *Store) Watch(ctx context.Context, fromRev int64) (<-chan cloudmap.Change, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if fromRev < 0 {
		return nil, fmt.Errorf("bolt: watch: negative revision %d", fromRev)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	out := make(chan cloudmap.Change, watchBuffer)
	s.wg.Add(1)
	go s.follow(ctx, out, fromRev)
	return out, nil
}

// follow feeds out from the change log, starting after pos, until ctx is
// done or the store closes.
func (s *Store) follow(ctx context.Context, out chan<- cloudmap.Change, pos int64) {
	defer s.wg.Done()
	defer close(out)
	snapshot := pos == 0
	for {
		wake := s.wakeChan()
		batch, caughtUp, err := s.read(pos, snapshot)
		if err != nil {
			s.log.Error("watch stopped", "revision", pos, "err", err)
			return
		}
		snapshot = false
		for _, c := range batch {
			select {
			case out <- c:
				pos = c.Revision
			case <-ctx.Done():
				return
			case <-s.done:
				return
			}
		}
		if !caughtUp {
			continue
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return
		case <-s.done:
			return
		}
	}
}

// wakeChan returns the channel closed by the next commit.
func (s *Store) wakeChan() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wake
}

// read returns the changes after pos in one read transaction: a snapshot
// when asked or when the change log no longer holds pos+1, else up to
// WatchBatch commits. caughtUp reports that nothing more was committed when
// the transaction began.
func (s *Store) read(pos int64, snapshot bool) (batch []cloudmap.Change, caughtUp bool, err error) {
	err = s.db.View(func(btx *bbolt.Tx) error {
		cur := readRevision(btx)
		if !snapshot && pos >= cur {
			caughtUp = true
			return nil
		}
		changes := btx.Bucket(bucketChanges)
		if !snapshot {
			k, _ := changes.Cursor().Seek(revKey(pos + 1))
			snapshot = k == nil || !bytes.Equal(k, revKey(pos+1))
		}
		if snapshot {
			c, err := snapshotAt(btx, cur)
			batch, caughtUp = []cloudmap.Change{c}, true
			return err
		}
		batch, caughtUp, err = logAfter(changes, pos, cur, max(s.WatchBatch, 1))
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("bolt: watch read after %d: %w", pos, err)
	}
	return batch, caughtUp, nil
}

// snapshotAt returns every key of the kv bucket as a Snapshot change at rev.
func snapshotAt(btx *bbolt.Tx, rev int64) (cloudmap.Change, error) {
	b := btx.Bucket(bucketKV)
	var events []cloudmap.Event
	err := b.ForEach(func(k, v []byte) error {
		events = append(events, cloudmap.Event{Key: string(k), Value: append([]byte{}, v...)})
		return nil
	})
	return cloudmap.Change{Revision: rev, Snapshot: true, Events: events}, err
}

// logAfter returns up to limit commits of the change log after pos, and
// whether they reach cur.
func logAfter(changes *bbolt.Bucket, pos, cur int64, limit int) ([]cloudmap.Change, bool, error) {
	batch := make([]cloudmap.Change, 0, min(cur-pos, int64(limit)))
	c := changes.Cursor()
	for k, v := c.Seek(revKey(pos + 1)); k != nil && len(batch) < limit; k, v = c.Next() {
		rev := revOf(k)
		if rev != pos+1 {
			return nil, false, fmt.Errorf("change log gap: want %d, found %d", pos+1, rev)
		}
		events, err := decodeEvents(v)
		if err != nil {
			return nil, false, fmt.Errorf("change %d: %w", rev, err)
		}
		batch = append(batch, cloudmap.Change{Revision: rev, Events: events})
		pos = rev
	}
	return batch, pos >= cur, nil
}

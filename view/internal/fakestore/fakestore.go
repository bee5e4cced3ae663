// Package fakestore is a tiny in-memory cloudmap.Store for the view's tests
// and benchmarks: a map under a mutex, a revision, and the full change log.
// Watch from 0 starts with a Snapshot whose events come in map order, which
// is random, so readers see keys out of order.
package fakestore

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"

	"github.com/cloudmap/cloudmap"
)

// Store is an in-memory cloudmap.Store. Make one with New.
type Store struct {
	mu       sync.Mutex
	data     map[string][]byte
	rev      int64
	base     int64             // revision of the oldest change kept in log minus one
	log      []cloudmap.Change // log[i] is the commit at revision base+i+1
	changed  chan struct{}     // closed and replaced on every commit
	closed   chan struct{}
	kick     chan struct{} // closed by EndWatches
	snapNext bool          // the next Watch starts with a snapshot
	wg       sync.WaitGroup
}

var _ cloudmap.Store = (*Store)(nil)

// ErrClosed is returned by every method once the store is closed.
var ErrClosed = errors.New("fakestore: closed")

// New returns an empty store.
func New() *Store {
	return &Store{data: map[string][]byte{}, changed: make(chan struct{}), closed: make(chan struct{}), kick: make(chan struct{})}
}

// EndWatches closes the channel of every current watch, as a backend does
// when it loses its connection.
func (s *Store) EndWatches() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.kick)
	s.kick = make(chan struct{})
}

// SnapshotNext makes the next Watch start with a snapshot whatever revision
// it asks for, as a backend does when the revision was compacted away.
func (s *Store) SnapshotNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snapNext = true
}

// Load sets keys (a nil value deletes) directly at one new revision
// without recording a change, as if the store had been compacted: only a
// snapshot shows them. Benchmarks use it to fill big stores fast.
func (s *Store) Load(kv map[string][]byte) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range kv {
		if v == nil {
			delete(s.data, k)
		} else {
			s.data[k] = v
		}
	}
	s.rev++
	s.base = s.rev
	s.log = nil
	close(s.changed)
	s.changed = make(chan struct{})
	return s.rev
}

// Compact forgets the change log, so that every Watch starts with a snapshot.
func (s *Store) Compact() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.base = s.rev
	s.log = nil
}

// View runs fn under the lock.
func (s *Store) View(ctx context.Context, fn func(tx cloudmap.ReadTx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isClosed() {
		return ErrClosed
	}
	return fn(&tx{s: s})
}

// Update runs fn with buffered writes and commits them at a new revision
// when something changed.
func (s *Store) Update(ctx context.Context, fn func(tx cloudmap.Tx) error) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isClosed() {
		return 0, ErrClosed
	}
	t := &tx{s: s, writes: map[string]*cloudmap.Event{}}
	if err := fn(t); err != nil {
		return 0, err
	}
	if len(t.order) == 0 {
		return s.rev, nil
	}
	s.rev++
	c := cloudmap.Change{Revision: s.rev}
	for _, k := range t.order {
		e := t.writes[k]
		if e.Deleted {
			delete(s.data, k)
		} else {
			s.data[k] = e.Value
		}
		c.Events = append(c.Events, *e)
	}
	s.log = append(s.log, c)
	close(s.changed)
	s.changed = make(chan struct{})
	return s.rev, nil
}

// Revision returns the latest revision.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isClosed() {
		return 0, ErrClosed
	}
	return s.rev, nil
}

// Watch feeds every commit after fromRev, starting with a snapshot when
// fromRev is 0 or older than the log.
func (s *Store) Watch(ctx context.Context, fromRev int64) (<-chan cloudmap.Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isClosed() {
		return nil, ErrClosed
	}
	out := make(chan cloudmap.Change, 16)
	if s.snapNext {
		fromRev, s.snapNext = 0, false
	}
	s.wg.Add(1)
	go s.follow(ctx, out, fromRev, s.kick)
	return out, nil
}

func (s *Store) follow(ctx context.Context, out chan<- cloudmap.Change, pos int64, kick <-chan struct{}) {
	defer s.wg.Done()
	defer close(out)
	for {
		batch, wake := s.next(pos)
		for _, c := range batch {
			select {
			case out <- c:
				pos = c.Revision
			case <-ctx.Done():
				return
			case <-s.closed:
				return
			case <-kick:
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return
		case <-s.closed:
			return
		case <-kick:
			return
		}
	}
}

// next returns the changes after pos (a snapshot when pos is before the
// log) and the channel closed by the next commit.
func (s *Store) next(pos int64) ([]cloudmap.Change, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pos == 0 || pos < s.base {
		snap := cloudmap.Change{Revision: s.rev, Snapshot: true, Events: make([]cloudmap.Event, 0, len(s.data))}
		for k, v := range s.data {
			snap.Events = append(snap.Events, cloudmap.Event{Key: k, Value: v})
		}
		return []cloudmap.Change{snap}, s.changed
	}
	from := pos - s.base
	if from >= int64(len(s.log)) {
		return nil, s.changed
	}
	return append([]cloudmap.Change(nil), s.log[from:]...), s.changed
}

// Close ends every watch.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.isClosed() {
		s.mu.Unlock()
		return nil
	}
	close(s.closed)
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func (s *Store) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

type tx struct {
	s      *Store
	writes map[string]*cloudmap.Event
	order  []string
}

func (t *tx) Get(key string) ([]byte, error) {
	if e, ok := t.writes[key]; ok {
		if e.Deleted {
			return nil, cloudmap.ErrKeyNotFound
		}
		return e.Value, nil
	}
	v, ok := t.s.data[key]
	if !ok {
		return nil, cloudmap.ErrKeyNotFound
	}
	return v, nil
}

func (t *tx) Range(prefix, startAfter string, fn func(key string, value []byte) bool) error {
	var keys []string
	for k := range t.s.data {
		if strings.HasPrefix(k, prefix) && k > startAfter {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := t.Get(k)
		if err != nil {
			continue
		}
		if !fn(k, v) {
			return nil
		}
	}
	return nil
}

func (t *tx) Count(prefix string) (int, error) {
	n := 0
	_ = t.Range(prefix, "", func(string, []byte) bool { n++; return true })
	return n, nil
}

func (t *tx) Put(key string, value []byte) error {
	t.record(key, &cloudmap.Event{Key: key, Value: append([]byte(nil), value...)})
	return nil
}

func (t *tx) Delete(key string) error {
	t.record(key, &cloudmap.Event{Key: key, Deleted: true})
	return nil
}

func (t *tx) record(key string, e *cloudmap.Event) {
	if _, ok := t.writes[key]; !ok {
		t.order = append(t.order, key)
	}
	t.writes[key] = e
}

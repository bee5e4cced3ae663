// Package memstore is a small in-memory cloudmap.Store for registry's tests:
// a sorted map under a mutex, a revision and a change log kept in full.
package memstore

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"

	"github.com/cloudmap/cloudmap"
)

// Store is an in-memory cloudmap.Store. The zero value is not usable; call New.
type Store struct {
	mu      sync.Mutex
	data    map[string][]byte
	rev     int64
	log     []cloudmap.Change // log[i] is the commit at revision i+1
	changed chan struct{}     // closed and replaced on every commit
	closed  bool

	// FailUpdate, when set, is returned by Update before fn runs; tests use
	// it to simulate an infrastructure failure.
	FailUpdate error
}

var _ cloudmap.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{data: map[string][]byte{}, changed: make(chan struct{})}
}

// View runs fn on a consistent copy-free view under the lock.
func (s *Store) View(ctx context.Context, fn func(tx cloudmap.ReadTx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("memstore: closed")
	}
	return fn(&tx{s: s})
}

// Update runs fn with buffered writes and commits them at a new revision
// when fn succeeds and something changed.
func (s *Store) Update(ctx context.Context, fn func(tx cloudmap.Tx) error) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errors.New("memstore: closed")
	}
	if s.FailUpdate != nil {
		return 0, s.FailUpdate
	}
	t := &tx{s: s, writes: map[string][]byte{}, deletes: map[string]bool{}}
	if err := fn(t); err != nil {
		return 0, err
	}
	var events []cloudmap.Event
	for k, v := range t.writes {
		s.data[k] = v
		events = append(events, cloudmap.Event{Key: k, Value: v})
	}
	for k := range t.deletes {
		if _, ok := s.data[k]; ok {
			delete(s.data, k)
			events = append(events, cloudmap.Event{Key: k, Deleted: true})
		}
	}
	if len(events) == 0 {
		return s.rev, nil
	}
	sort.Slice(events, func(i, j int) bool { return events[i].Key < events[j].Key })
	s.rev++
	s.log = append(s.log, cloudmap.Change{Revision: s.rev, Events: events})
	close(s.changed)
	s.changed = make(chan struct{})
	return s.rev, nil
}

// Revision returns the latest revision.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rev, nil
}

// Watch sends every commit after fromRev; fromRev 0 starts with a snapshot.
func (s *Store) Watch(ctx context.Context, fromRev int64) (<-chan cloudmap.Change, error) {
	ch := make(chan cloudmap.Change, 64)
	s.mu.Lock()
	next := fromRev
	var first *cloudmap.Change
	if fromRev == 0 {
		snap := cloudmap.Change{Revision: s.rev, Snapshot: true}
		for k, v := range s.data {
			snap.Events = append(snap.Events, cloudmap.Event{Key: k, Value: v})
		}
		first, next = &snap, s.rev
	}
	s.mu.Unlock()
	go func() {
		defer close(ch)
		if first != nil && !send(ctx, ch, *first) {
			return
		}
		for {
			s.mu.Lock()
			pending := append([]cloudmap.Change(nil), s.log[next:]...)
			wait, closed := s.changed, s.closed
			s.mu.Unlock()
			if closed {
				return
			}
			for _, c := range pending {
				if !send(ctx, ch, c) {
					return
				}
				next = c.Revision
			}
			if len(pending) > 0 {
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-wait:
			}
		}
	}()
	return ch, nil
}

func send(ctx context.Context, ch chan<- cloudmap.Change, c cloudmap.Change) bool {
	select {
	case ch <- c:
		return true
	case <-ctx.Done():
		return false
	}
}

// Close ends every watch.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.changed)
		s.changed = make(chan struct{})
	}
	return nil
}

// Keys returns every key with the prefix, sorted (for tests).
func (s *Store) Keys(prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k := range s.data {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

type tx struct {
	s       *Store
	writes  map[string][]byte
	deletes map[string]bool
}

func (t *tx) Get(key string) ([]byte, error) {
	if t.writes != nil {
		if v, ok := t.writes[key]; ok {
			return append([]byte(nil), v...), nil
		}
		if t.deletes[key] {
			return nil, cloudmap.ErrKeyNotFound
		}
	}
	v, ok := t.s.data[key]
	if !ok {
		return nil, cloudmap.ErrKeyNotFound
	}
	return append([]byte(nil), v...), nil
}

// merged returns the sorted keys with the prefix as the transaction sees them.
func (t *tx) merged(prefix string) []string {
	seen := map[string]bool{}
	var keys []string
	add := func(k string) {
		if strings.HasPrefix(k, prefix) && !seen[k] && !t.deletes[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for k := range t.s.data {
		add(k)
	}
	for k := range t.writes {
		add(k)
	}
	sort.Strings(keys)
	return keys
}

func (t *tx) Range(prefix, startAfter string, fn func(key string, value []byte) bool) error {
	for _, k := range t.merged(prefix) {
		if k <= startAfter {
			continue
		}
		v, err := t.Get(k)
		if err != nil {
			return err
		}
		if !fn(k, v) {
			return nil
		}
	}
	return nil
}

func (t *tx) Count(prefix string) (int, error) { return len(t.merged(prefix)), nil }

func (t *tx) Put(key string, value []byte) error {
	if t.writes == nil {
		return errors.New("memstore: write in a read-only transaction")
	}
	delete(t.deletes, key)
	t.writes[key] = append([]byte(nil), value...)
	return nil
}

func (t *tx) Delete(key string) error {
	if t.writes == nil {
		return errors.New("memstore: write in a read-only transaction")
	}
	delete(t.writes, key)
	t.deletes[key] = true
	return nil
}

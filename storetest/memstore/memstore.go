// Package memstore is the in-memory cloudmap.Store of the tests: a sorted
// key list and a map under one lock, a revision counted from 0 in steps of
// one, and the change log kept in full (until Compact or Load). It passes
// the whole storetest suite with contiguous revisions, so a test that runs
// on it runs on a store that keeps the contract (memstore_test.go).
//
// Beyond the contract it offers the hooks tests need to reach the paths a
// real backend takes only on a bad day:
//
//   - FailUpdate: every Update fails with an infrastructure error;
//   - RerunUpdates: every Update runs its closure again before it commits,
//     as etcd's conflict retry does, so a closure with effects outside its
//     transaction shows;
//   - EndWatches: every current watch ends, as when a backend loses its
//     connection;
//   - SnapshotNext: the next Watch starts with a snapshot whatever revision
//     it asks for;
//   - Compact and Load: the change log is forgotten (Load also writes keys
//     at one new revision), so a Watch from before starts with a snapshot.
//
// Snapshots list their keys in map order, which is random: readers must
// not depend on the order of a snapshot, which the contract leaves open.
package memstore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/cloudmap/cloudmap"
)

// ErrClosed is returned by every method of a closed store.
var ErrClosed = errors.New("memstore: closed")

// Store is an in-memory cloudmap.Store. Make one with New; Reopen makes
// another on the same data, as a restart does.
type Store struct {
	// FailUpdate, when not nil, is returned by every Update before its
	// closure runs, as an infrastructure failure. Set it while no Update
	// runs, or with SetFailUpdate.
	FailUpdate error

	d        *data
	closed   chan struct{}
	kick     chan struct{} // closed by EndWatches
	snapNext bool          // the next Watch starts with a snapshot
	reruns   int           // extra runs of every Update closure
	wg       sync.WaitGroup
}

// data is what survives a Reopen.
type data struct {
	mu      sync.RWMutex
	keys    []string // sorted
	values  map[string][]byte
	rev     int64
	base    int64             // the log starts after this revision
	log     []cloudmap.Change // log[i] is the commit at revision base+i+1
	changed chan struct{}     // closed and replaced on every commit
}

var _ cloudmap.Store = (*Store)(nil)

// New returns an empty store at revision 0.
func New() *Store {
	return open(&data{values: map[string][]byte{}, changed: make(chan struct{})})
}

func open(d *data) *Store {
	return &Store{d: d, closed: make(chan struct{}), kick: make(chan struct{})}
}

// Reopen returns a new store on s's data (keys, revision and change log),
// as the same store after a restart; close s first. The hooks start unset.
func (s *Store) Reopen() *Store { return open(s.d) }

// SetFailUpdate sets FailUpdate under the store's lock, so it may be
// called while Updates run; nil makes Updates work again.
func (s *Store) SetFailUpdate(err error) {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	s.FailUpdate = err
}

// RerunUpdates makes every Update run its closure n more times before
// the last run commits, each run on a fresh transaction, as etcd does when
// a commit conflicts. A closure that returns an error is not run again.
func (s *Store) RerunUpdates(n int) {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	s.reruns = n
}

// EndWatches closes the channel of every current watch, as a backend does
// when it loses its connection.
func (s *Store) EndWatches() {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	close(s.kick)
	s.kick = make(chan struct{})
}

// SnapshotNext makes the next Watch start with a snapshot whatever revision
// it asks for, as a backend does when that revision was compacted away.
func (s *Store) SnapshotNext() {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	s.snapNext = true
}

// Compact forgets the change log: a Watch from a revision before the
// current one, including every current watch that has not caught up,
// starts again with a snapshot.
func (s *Store) Compact() {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	s.d.base, s.d.log = s.d.rev, nil
}

// Load sets keys (a nil value deletes) at one new revision without
// recording a change, as if the store had been compacted right after:
// only a snapshot shows them. It returns the revision. Benchmarks use it
// to fill big stores fast.
func (s *Store) Load(kv map[string][]byte) int64 {
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, v := range kv {
		if v == nil {
			d.delete(k)
		} else {
			d.put(k, v)
		}
	}
	d.rev++
	d.base, d.log = d.rev, nil
	d.wake()
	return d.rev
}

// Keys returns every key with the prefix, sorted.
func (s *Store) Keys(prefix string) []string {
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	var out []string
	for _, k := range s.d.keys[s.d.from(prefix, ""):] {
		if !strings.HasPrefix(k, prefix) {
			break
		}
		out = append(out, k)
	}
	return out
}

// View runs fn on the current revision, under a read lock.
func (s *Store) View(ctx context.Context, fn func(tx cloudmap.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	if s.isClosed() {
		return ErrClosed
	}
	return fn(&tx{d: s.d})
}

// Update runs fn on a transaction whose writes are buffered (run again
// RerunUpdates times) and commits them at the next revision when fn
// succeeds and something was written.
func (s *Store) Update(ctx context.Context, fn func(tx cloudmap.Tx) error) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case s.isClosed():
		return 0, ErrClosed
	case s.FailUpdate != nil:
		return 0, s.FailUpdate
	}
	for run := 0; ; run++ {
		t := &tx{d: d, writes: map[string]*cloudmap.Event{}}
		if err := fn(t); err != nil {
			return 0, err
		}
		if run >= s.reruns {
			return d.commit(t), nil
		}
	}
}

// Revision returns the latest revision.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	if s.isClosed() {
		return 0, ErrClosed
	}
	return s.d.rev, nil
}

// Watch feeds every commit after fromRev, starting with a snapshot when
// fromRev is 0, before the log, or SnapshotNext was called.
func (s *Store) Watch(ctx context.Context, fromRev int64) (<-chan cloudmap.Change, error) {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
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

// Close ends every watch and waits for their goroutines; the data stays
// for Reopen. A second Close does nothing.
func (s *Store) Close() error {
	s.d.mu.Lock()
	if s.isClosed() {
		s.d.mu.Unlock()
		return nil
	}
	close(s.closed)
	s.d.mu.Unlock()
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

// follow sends the changes after pos to out until ctx is done, the store
// closes or EndWatches kicks it.
func (s *Store) follow(ctx context.Context, out chan<- cloudmap.Change, pos int64, kick <-chan struct{}) {
	defer s.wg.Done()
	defer close(out)
	for {
		batch, wake := s.d.after(pos)
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

// after returns the changes after pos (a snapshot when pos is 0 or before
// the log) and the channel the next commit closes.
func (d *data) after(pos int64) ([]cloudmap.Change, <-chan struct{}) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if pos == 0 || pos < d.base {
		snap := cloudmap.Change{Revision: d.rev, Snapshot: true, Events: make([]cloudmap.Event, 0, len(d.values))}
		for k, v := range d.values {
			snap.Events = append(snap.Events, cloudmap.Event{Key: k, Value: v})
		}
		return []cloudmap.Change{snap}, d.changed
	}
	from := pos - d.base
	if from >= int64(len(d.log)) {
		return nil, d.changed
	}
	return slices.Clone(d.log[from:]), d.changed
}

// commit applies t's writes at the next revision, when there are any.
func (d *data) commit(t *tx) int64 {
	c := cloudmap.Change{}
	for _, k := range t.order {
		e := t.writes[k]
		if e.Deleted {
			if _, ok := d.values[k]; !ok {
				continue // deleting a missing key changes nothing
			}
			d.delete(k)
		} else {
			d.put(k, e.Value)
		}
		c.Events = append(c.Events, *e)
	}
	if len(c.Events) == 0 {
		return d.rev
	}
	d.rev++
	c.Revision = d.rev
	d.log = append(d.log, c)
	d.wake()
	return d.rev
}

func (d *data) wake() {
	close(d.changed)
	d.changed = make(chan struct{})
}

func (d *data) put(k string, v []byte) {
	if _, ok := d.values[k]; !ok {
		i, _ := slices.BinarySearch(d.keys, k)
		d.keys = slices.Insert(d.keys, i, k)
	}
	d.values[k] = v
}

func (d *data) delete(k string) {
	if _, ok := d.values[k]; !ok {
		return
	}
	i, _ := slices.BinarySearch(d.keys, k)
	d.keys = slices.Delete(d.keys, i, i+1)
	delete(d.values, k)
}

// from is the index of the first stored key with the prefix after
// startAfter.
func (d *data) from(prefix, startAfter string) int {
	i, _ := slices.BinarySearch(d.keys, max(prefix, startAfter+"\x00"))
	return i
}

// tx is a transaction: reads of the stored data under the store's lock,
// overlaid by the buffered writes (nil in a View).
type tx struct {
	d      *data
	writes map[string]*cloudmap.Event
	order  []string // keys of writes, in first-write order
}

var errReadOnly = errors.New("memstore: write in a read-only transaction")

func (t *tx) Get(key string) ([]byte, error) {
	if e, ok := t.writes[key]; ok {
		if e.Deleted {
			return nil, cloudmap.ErrKeyNotFound
		}
		return slices.Clone(e.Value), nil
	}
	v, ok := t.d.values[key]
	if !ok {
		return nil, cloudmap.ErrKeyNotFound
	}
	return append([]byte{}, v...), nil
}

// keys returns the keys with the prefix after startAfter as the
// transaction sees them, sorted.
func (t *tx) keys(prefix, startAfter string) []string {
	var keys []string
	for _, k := range t.d.keys[t.d.from(prefix, startAfter):] {
		if !strings.HasPrefix(k, prefix) {
			break
		}
		if _, written := t.writes[k]; !written {
			keys = append(keys, k)
		}
	}
	for k, e := range t.writes {
		if !e.Deleted && strings.HasPrefix(k, prefix) && k > startAfter {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func (t *tx) Range(prefix, startAfter string, fn func(key string, value []byte) bool) error {
	for _, k := range t.keys(prefix, startAfter) {
		v, err := t.Get(k)
		if errors.Is(err, cloudmap.ErrKeyNotFound) {
			continue // deleted by fn during the range
		}
		if !fn(k, v) {
			return nil
		}
	}
	return nil
}

func (t *tx) Count(prefix string) (int, error) { return len(t.keys(prefix, "")), nil }

func (t *tx) Put(key string, value []byte) error {
	return t.record(&cloudmap.Event{Key: key, Value: append([]byte{}, value...)})
}

func (t *tx) Delete(key string) error {
	return t.record(&cloudmap.Event{Key: key, Deleted: true})
}

func (t *tx) record(e *cloudmap.Event) error {
	if t.writes == nil {
		return errReadOnly
	}
	if _, ok := t.writes[e.Key]; !ok {
		t.order = append(t.order, e.Key)
	}
	t.writes[e.Key] = e
	return nil
}

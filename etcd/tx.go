package etcd

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/cloudmap/cloudmap"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// pageSize is how many keys one range read fetches from etcd.
const pageSize = 512

// readTx reads etcd at one pinned revision: the header revision of its first
// read. It records what it read so that a read-write transaction can compare
// it on commit.
type readTx struct {
	s   *Store
	ctx context.Context
	rev int64 // pinned revision, 0 before the first read

	points   map[string]int64 // etcd key -> mod revision seen by Get (0: missing)
	seen     map[string]int64 // etcd key -> mod revision seen by Range or Count
	prefixes map[string]bool  // etcd prefixes ranged or counted
	err      error            // first infrastructure error of a read
}

func newReadTx(s *Store, ctx context.Context) *readTx {
	return &readTx{s: s, ctx: ctx, points: map[string]int64{}, seen: map[string]int64{}, prefixes: map[string]bool{}}
}

// fail remembers the first infrastructure error and returns it.
func (t *readTx) fail(err error) error {
	if t.err == nil {
		t.err = err
	}
	return err
}

// get runs an etcd Get at the pinned revision, pinning it on the first read.
func (t *readTx) get(key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	if t.rev > 0 {
		opts = append(opts, clientv3.WithRev(t.rev))
	}
	resp, err := t.s.cli.Get(t.ctx, key, opts...)
	if err != nil {
		return nil, err
	}
	if t.rev == 0 {
		t.rev = resp.Header.Revision
	}
	return resp, nil
}

// Get returns the value of key at the pinned revision.
func (t *readTx) Get(key string) ([]byte, error) {
	full := t.s.full(key)
	resp, err := t.get(full)
	if err != nil {
		return nil, t.fail(fmt.Errorf("etcd: get %s: %w", key, err))
	}
	if len(resp.Kvs) == 0 {
		t.points[full] = 0
		return nil, cloudmap.ErrKeyNotFound
	}
	kv := resp.Kvs[0]
	t.points[full] = kv.ModRevision
	return value(kv.Value), nil
}

// value returns a non-nil copy-owned value (etcd hands out fresh slices).
func value(v []byte) []byte {
	if v == nil {
		return []byte{}
	}
	return v
}

// kv is one key and value as the transaction sees it.
type kv struct {
	key   string
	value []byte
}

// pages calls fn for each stored key with the prefix after startAfter, in
// key order, page by page at the pinned revision, until fn returns false.
func (t *readTx) pages(prefix, startAfter string, fn func(kv) bool) error {
	t.prefixes[t.s.full(prefix)] = true
	from := t.s.full(prefix)
	if startAfter >= prefix {
		from = t.s.full(startAfter) + "\x00"
	}
	end := clientv3.GetPrefixRangeEnd(t.s.full(prefix))
	for {
		resp, err := t.get(from, clientv3.WithRange(end), clientv3.WithLimit(pageSize))
		if err != nil {
			return t.fail(fmt.Errorf("etcd: range %s: %w", prefix, err))
		}
		for _, e := range resp.Kvs {
			t.seen[string(e.Key)] = e.ModRevision
			key, _ := t.s.short(e.Key)
			if !fn(kv{key, value(e.Value)}) {
				return nil
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return nil
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// Range calls fn for each key with the prefix after startAfter, in order.
func (t *readTx) Range(prefix, startAfter string, fn func(key string, value []byte) bool) error {
	return t.pages(prefix, startAfter, func(e kv) bool { return fn(e.key, e.value) })
}

// Count returns the number of keys with the prefix.
func (t *readTx) Count(prefix string) (int, error) {
	n := 0
	err := t.pages(prefix, "", func(kv) bool { n++; return true })
	return n, err
}

// tx is a read-write transaction: reads as readTx, writes buffered until
// commit, reads see the buffered writes.
type tx struct {
	*readTx
	writes map[string][]byte // store key -> value; nil value with deleted
	dels   map[string]bool
}

func newTx(s *Store, ctx context.Context) *tx {
	return &tx{readTx: newReadTx(s, ctx), writes: map[string][]byte{}, dels: map[string]bool{}}
}

// Get returns the buffered value of key, or reads it.
func (t *tx) Get(key string) ([]byte, error) {
	if v, ok := t.writes[key]; ok {
		return append([]byte{}, v...), nil
	}
	if t.dels[key] {
		return nil, cloudmap.ErrKeyNotFound
	}
	return t.readTx.Get(key)
}

// Put buffers key=value.
func (t *tx) Put(key string, v []byte) error {
	if key == "" {
		return errors.New("etcd: put: empty key")
	}
	delete(t.dels, key)
	t.writes[key] = append([]byte{}, v...)
	return nil
}

// Delete buffers the deletion of key.
func (t *tx) Delete(key string) error {
	delete(t.writes, key)
	t.dels[key] = true
	return nil
}

// buffered returns the buffered puts with the prefix after startAfter, in
// key order.
func (t *tx) buffered(prefix, startAfter string) []kv {
	var out []kv
	for k, v := range t.writes {
		if strings.HasPrefix(k, prefix) && k > startAfter {
			out = append(out, kv{k, v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// Range merges the stored keys with the buffered writes.
func (t *tx) Range(prefix, startAfter string, fn func(key string, value []byte) bool) error {
	pending := t.buffered(prefix, startAfter)
	stopped := false
	emit := func(e kv) bool {
		if !fn(e.key, append([]byte{}, e.value...)) {
			stopped = true
		}
		return !stopped
	}
	err := t.pages(prefix, startAfter, func(e kv) bool {
		for len(pending) > 0 && pending[0].key < e.key {
			if !emit(pending[0]) {
				return false
			}
			pending = pending[1:]
		}
		if len(pending) > 0 && pending[0].key == e.key {
			e, pending = pending[0], pending[1:]
		} else if t.dels[e.key] {
			return true
		}
		return emit(e)
	})
	if err != nil || stopped {
		return err
	}
	for _, e := range pending {
		if !emit(e) {
			break
		}
	}
	return nil
}

// Count counts the keys with the prefix as the transaction sees them.
func (t *tx) Count(prefix string) (int, error) {
	n := 0
	err := t.Range(prefix, "", func(string, []byte) bool { n++; return true })
	return n, err
}

package bolt

import (
	"bytes"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/cloudmap/cloudmap"
)

// rangeChunk is how many entries Range copies out before calling fn, so fn
// may write to the transaction while it ranges.
const rangeChunk = 128

// readTx reads the kv bucket. Every value it returns is a copy, valid after
// the transaction ends.
type readTx struct {
	b *bbolt.Bucket
}

// lookup returns the stored value of key (memory of the transaction) and
// whether the key exists; empty values exist.
func (t *readTx) lookup(key []byte) ([]byte, bool) {
	k, v := t.b.Cursor().Seek(key)
	if k == nil || !bytes.Equal(k, key) {
		return nil, false
	}
	return v, true
}

// Get returns a copy of the value of key, or cloudmap.ErrKeyNotFound.
func (t *readTx) Get(key string) ([]byte, error) {
	v, ok := t.lookup([]byte(key))
	if !ok {
		return nil, cloudmap.ErrKeyNotFound
	}
	return append([]byte{}, v...), nil
}

// Range calls fn for each key with prefix after startAfter, in key order,
// until fn returns false.
func (t *readTx) Range(prefix, startAfter string, fn func(key string, value []byte) bool) error {
	type entry struct {
		key   string
		value []byte
	}
	after := startAfter
	if after < prefix {
		after = ""
	}
	buf := make([]entry, 0, rangeChunk)
	for {
		buf = buf[:0]
		c := t.b.Cursor()
		var k, v []byte
		if after == "" {
			k, v = c.Seek([]byte(prefix))
		} else {
			k, v = c.Seek([]byte(after))
			if k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil && bytes.HasPrefix(k, []byte(prefix)) && len(buf) < rangeChunk; k, v = c.Next() {
			buf = append(buf, entry{string(k), append([]byte{}, v...)})
		}
		for _, e := range buf {
			if !fn(e.key, e.value) {
				return nil
			}
		}
		if len(buf) < rangeChunk {
			return nil
		}
		after = buf[len(buf)-1].key
	}
}

// Count returns the number of keys with prefix.
func (t *readTx) Count(prefix string) (int, error) {
	p := []byte(prefix)
	n := 0
	c := t.b.Cursor()
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		n++
	}
	return n, nil
}

// writeTx writes the kv bucket and records the final state of every key it
// touched, for the change log.
type writeTx struct {
	readTx
	touched []touch
	index   map[string]int
}

// touch is the state of one key written by a transaction.
type touch struct {
	key     string
	value   []byte // nil when deleted
	deleted bool
	existed bool   // the key existed when the transaction first touched it
	orig    []byte // its value then, for undo
}

// newWriteTx returns a transaction over the kv bucket b.
func newWriteTx(b *bbolt.Bucket) *writeTx {
	return &writeTx{readTx: readTx{b: b}}
}

// Put sets key to a copy of value.
func (t *writeTx) Put(key string, value []byte) error {
	w := t.before(key)
	v := append([]byte{}, value...)
	if err := t.b.Put([]byte(key), v); err != nil {
		return fmt.Errorf("bolt: put %q: %w", key, err)
	}
	w.value, w.deleted = v, false
	t.record(w)
	return nil
}

// Delete removes key; deleting a missing key writes nothing.
func (t *writeTx) Delete(key string) error {
	v, ok := t.lookup([]byte(key))
	if !ok {
		return nil
	}
	w, seen := t.find(key)
	if !seen {
		w = touch{key: key, existed: true, orig: append([]byte{}, v...)}
	}
	if err := t.b.Delete([]byte(key)); err != nil {
		return fmt.Errorf("bolt: delete %q: %w", key, err)
	}
	w.value, w.deleted = nil, true
	t.record(w)
	return nil
}

// before returns the record of key with what it was when the transaction
// first touched it.
func (t *writeTx) before(key string) touch {
	if w, ok := t.find(key); ok {
		return w
	}
	v, ok := t.lookup([]byte(key))
	w := touch{key: key, existed: ok}
	if ok {
		w.orig = append([]byte{}, v...)
	}
	return w
}

// indexAt is how many keys a transaction touches before it indexes them
// in a map; below, a scan is cheaper than the map.
const indexAt = 16

// position returns the index in touched of key, or -1.
func (t *writeTx) position(key string) int {
	if t.index != nil {
		if i, ok := t.index[key]; ok {
			return i
		}
		return -1
	}
	for i := range t.touched {
		if t.touched[i].key == key {
			return i
		}
	}
	return -1
}

// find returns the record of key if the transaction touched it.
func (t *writeTx) find(key string) (touch, bool) {
	if i := t.position(key); i >= 0 {
		return t.touched[i], true
	}
	return touch{}, false
}

// record sets the final state of a key the transaction wrote.
func (t *writeTx) record(w touch) {
	if i := t.position(w.key); i >= 0 {
		t.touched[i] = w
		return
	}
	t.touched = append(t.touched, w)
	switch {
	case t.index != nil:
		t.index[w.key] = len(t.touched) - 1
	case len(t.touched) > indexAt:
		t.index = make(map[string]int, 2*len(t.touched))
		for i, x := range t.touched {
			t.index[x.key] = i
		}
	}
}

// undo restores every key the transaction wrote to what it was before, so
// a failed function leaves nothing in a shared bbolt transaction.
func (t *writeTx) undo() error {
	for i := len(t.touched) - 1; i >= 0; i-- {
		w := t.touched[i]
		var err error
		if w.existed {
			err = t.b.Put([]byte(w.key), w.orig)
		} else {
			err = t.b.Delete([]byte(w.key))
		}
		if err != nil {
			return fmt.Errorf("bolt: undo %q: %w", w.key, err)
		}
	}
	t.touched, t.index = nil, nil
	return nil
}

// changes returns the events of the transaction in first-touch order: the
// final value of every key put, and every key deleted that existed before.
func (t *writeTx) changes() []cloudmap.Event {
	events := make([]cloudmap.Event, 0, len(t.touched))
	for _, w := range t.touched {
		if w.deleted && !w.existed {
			continue
		}
		events = append(events, cloudmap.Event{Key: w.key, Value: w.value, Deleted: w.deleted})
	}
	return events
}

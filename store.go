package cloudmap

import (
	"context"
	"errors"
)

// Store is a transactional key-value store with a revision number that
// strictly increases with every commit that changes something, and a change
// feed. Revisions are not necessarily consecutive: the bolt store counts
// from 0 in steps of one, the etcd store uses etcd's revision, which also
// counts commits of other etcd users. Keys are UTF-8 strings ordered
// bytewise; values are opaque bytes. Backends (bolt, etcd) hold no Cloud Map
// rules; they all pass storetest.Run.
type Store interface {
	// View runs fn in a read-only transaction that sees one consistent
	// revision. Errors returned by fn are returned unchanged.
	View(ctx context.Context, fn func(tx ReadTx) error) error

	// Update runs fn in a read-write transaction and commits it durably
	// (fsync or quorum) before returning the revision it committed at. fn may
	// run more than once (group commit, conflict retry), so it must have no
	// effects outside tx. If fn returns an error nothing is written and the
	// error is returned unchanged. A transaction that writes nothing returns
	// the current revision. Infrastructure failures are wrapped errors that
	// are not *Error.
	Update(ctx context.Context, fn func(tx Tx) error) (rev int64, err error)

	// Revision returns the store's current revision: at least that of the
	// latest commit (0 or more for an empty store).
	Revision(ctx context.Context) (int64, error)

	// Watch returns a feed of every commit after fromRev, in strictly
	// increasing revision order, one Change per commit: every revision an
	// Update returned appears exactly once. When fromRev is 0 or older than
	// what the store retains, the first Change is a Snapshot of every key at
	// some revision R >= fromRev, followed by the commits after R. A Change
	// with no events and Snapshot false is a progress marker: it only says
	// that the feed has reached its Revision (no commit up to it is still
	// to come); subscribers advance their revision and apply nothing. The
	// channel is closed when ctx is done or the store is closed; a subscriber
	// that reads slowly is never handed a gap (backends block or re-snapshot,
	// never skip).
	Watch(ctx context.Context, fromRev int64) (<-chan Change, error)

	// Close releases the store. Watches end.
	Close() error
}

// ReadTx is a read-only transaction.
type ReadTx interface {
	// Get returns the value of key, or ErrKeyNotFound.
	Get(key string) ([]byte, error)
	// Range calls fn for each key with the prefix that sorts after
	// startAfter ("" for the first), in key order, until fn returns false.
	Range(prefix, startAfter string, fn func(key string, value []byte) bool) error
	// Count returns the number of keys with the prefix.
	Count(prefix string) (int, error)
}

// Tx is a read-write transaction. Reads see the transaction's own writes.
type Tx interface {
	ReadTx
	// Put sets key to value.
	Put(key string, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(key string) error
}

// ErrKeyNotFound is returned by ReadTx.Get for a missing key.
var ErrKeyNotFound = errors.New("key not found")

// Event is one key changed by a commit. Value is nil when Deleted.
type Event struct {
	Key     string
	Value   []byte
	Deleted bool
}

// Change is one commit of the change feed, a snapshot, or a progress
// marker. A Snapshot change holds every key of the store at Revision as
// non-deleted events; the subscriber replaces its state with it. A change
// that is not a Snapshot and has no Events is a progress marker: the feed
// reached Revision and nothing is to be applied.
type Change struct {
	Revision int64
	Snapshot bool
	Events   []Event
}

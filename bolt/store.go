// Package bolt is the embedded cloudmap.Store on bbolt: one file in the data
// directory, group commit through bbolt.DB.Batch, a revision counter and a
// durable change log that feeds Watch.
package bolt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"

	"github.com/cloudmap/cloudmap"
)

// FileName is the name of the database file inside the data directory.
const FileName = "cloudmap.db"

// Defaults of the tuning fields of Store.
const (
	DefaultRetention     = 100_000
	DefaultMaxBatchDelay = time.Millisecond
	DefaultMaxBatchSize  = 1000
	DefaultWatchBatch    = 512
)

// Fill factors of the buckets: the change log only appends, and most kv
// writes (operations and their queue, keyed by time) append too, so pages
// are split full rather than half full: fewer pages to write per commit.
const (
	fillChanges = 1.0
	fillKV      = 0.9
)

// Bucket names.
var (
	bucketKV      = []byte("kv")
	bucketMeta    = []byte("meta")
	bucketChanges = []byte("changes")
	keyRevision   = []byte("revision")
)

// errClosed is returned by every method of a closed Store.
var errClosed = errors.New("bolt: store closed")

var _ cloudmap.Store = (*Store)(nil)

// Store is a cloudmap.Store in one bbolt file. The exported fields tune it;
// set them after Open and before the first Update or Watch.
type Store struct {
	// Retention is how many of the latest commits the change log keeps. A
	// Watch from an older revision starts with a snapshot.
	Retention int64
	// MaxBatchDelay is how long the committer waits for more Updates
	// before it starts a transaction while fewer are queued than the
	// previous transaction held (under steady load, so that each commit
	// carries as many as the last). A lone Update after a lone Update
	// commits at once; 0 never waits.
	MaxBatchDelay time.Duration
	// MaxBatchSize is the most Updates one shared transaction holds.
	MaxBatchSize int
	// WatchBatch is the most commits a watcher reads per read transaction.
	WatchBatch int

	db    *bbolt.DB
	path  string
	log   *slog.Logger
	kick  chan struct{} // wakes the committer
	stats counters
	// observer is told about every commit (SetObserver); nil: none.
	observer atomic.Pointer[func(updates int, elapsed time.Duration, err error)]

	mu     sync.Mutex
	closed bool
	queue  []*request    // Updates waiting for the committer
	wake   chan struct{} // closed and replaced after each commit
	woken  int64         // highest revision broadcast
	done   chan struct{} // closed by Close
	wg     sync.WaitGroup
}

// Open opens (creating if needed) the store in dir: the file dir/cloudmap.db,
// with dir created 0o700. An unwritable dir, or a file another process holds
// open, is an error naming the path.
func Open(dir string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if dir == "" {
		return nil, errors.New("bolt: open: data directory is empty")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("bolt: create data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:        2 * time.Second,
		NoFreelistSync: true,
		FreelistType:   bbolt.FreelistMapType,
	})
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, fmt.Errorf("bolt: open %s: file is locked by another process: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketKV, bucketMeta, bucketChanges} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("bolt: initialize %s: %w", path, err)
	}
	s := &Store{
		Retention:     DefaultRetention,
		MaxBatchDelay: DefaultMaxBatchDelay,
		MaxBatchSize:  DefaultMaxBatchSize,
		WatchBatch:    DefaultWatchBatch,
		db:            db,
		path:          path,
		log:           logger,
		kick:          make(chan struct{}, 1),
		wake:          make(chan struct{}),
		done:          make(chan struct{}),
	}
	rev, err := s.Revision(context.Background())
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	s.woken = rev
	s.wg.Add(1)
	go s.commitLoop()
	logger.Info("store opened", "path", path, "revision", rev)
	return s, nil
}

// Path returns the path of the database file.
func (s *Store) Path() string { return s.path }

// Close ends every watch and closes the database. Calling it again returns nil.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	s.wg.Wait()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("bolt: close %s: %w", s.path, err)
	}
	return nil
}

// isClosed reports whether Close has been called.
func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Revision returns the revision of the latest commit (0 for an empty store).
func (s *Store) Revision(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var rev int64
	err := s.db.View(func(tx *bbolt.Tx) error {
		rev = readRevision(tx)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("bolt: read revision: %w", err)
	}
	return rev, nil
}

// View runs fn in a read-only transaction. Errors of fn are returned unchanged.
func (s *Store) View(ctx context.Context, fn func(tx cloudmap.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.isClosed() {
		return errClosed
	}
	var fnErr error
	err := s.db.View(func(btx *bbolt.Tx) error {
		fnErr = fn(&readTx{b: btx.Bucket(bucketKV)})
		return fnErr
	})
	if err != nil && fnErr == nil {
		return fmt.Errorf("bolt: view: %w", err)
	}
	return err
}

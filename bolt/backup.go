package bolt

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the database file to w, as of the
// revision it returns with the bytes written. It runs in one read
// transaction: Updates continue meanwhile (only one that needs the file to
// grow waits for the copy to end). The copy is a database file that
// Restore turns into a data directory.
func (s *Store) Backup(w io.Writer) (rev, n int64, err error) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return 0, 0, errClosed
	}
	err = s.db.View(func(btx *bbolt.Tx) error {
		rev = readRevision(btx)
		n, err = btx.WriteTo(w)
		return err
	})
	if err != nil {
		return 0, n, fmt.Errorf("bolt: backup: %w", err)
	}
	return rev, n, nil
}

// BackupDir writes a copy of the store in dir, which no running server may
// hold (use the running server's Backup then), to w.
func BackupDir(dir string, w io.Writer) (rev, n int64, err error) {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err != nil {
		return 0, 0, fmt.Errorf("bolt: backup: no store in %s: %w", dir, err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if errors.Is(err, bbolt.ErrTimeout) {
		return 0, 0, fmt.Errorf("bolt: backup: %s is in use by a running server: back it up through its admin listener", path)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("bolt: backup: open %s: %w", path, err)
	}
	defer db.Close()
	err = db.View(func(btx *bbolt.Tx) error {
		if btx.Bucket(bucketMeta) == nil || btx.Bucket(bucketKV) == nil {
			return fmt.Errorf("%s is not a cloudmap store", path)
		}
		rev = readRevision(btx)
		n, err = btx.WriteTo(w)
		return err
	})
	if err != nil {
		return 0, n, fmt.Errorf("bolt: backup: %w", err)
	}
	return rev, n, nil
}

// Restore writes the backup read from r as the store of dir and returns its
// revision. dir must not hold a store unless force is set (the old store is
// then replaced); the backup is written beside it and checked to be a
// complete cloudmap store before it takes the store's name, so a truncated
// or foreign file changes nothing.
func Restore(r io.Reader, dir string, force bool) (int64, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, fmt.Errorf("bolt: restore: create %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err == nil && !force {
		return 0, fmt.Errorf("bolt: restore: %s already holds a store: refusing to overwrite it without --force", dir)
	}
	tmp, err := os.CreateTemp(dir, ".restore-*")
	if err != nil {
		return 0, fmt.Errorf("bolt: restore: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("bolt: restore: write %s: %w", tmp.Name(), err)
	}
	rev, err := checkFile(tmp.Name())
	if err != nil {
		return 0, fmt.Errorf("bolt: restore: the backup is not a complete cloudmap store: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return 0, fmt.Errorf("bolt: restore: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("bolt: restore: %w", err)
	}
	return rev, nil
}

// checkFile opens a database file read-only, checks its pages and
// cloudmap's buckets, and returns its revision.
func checkFile(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var rev int64
	err = db.View(func(btx *bbolt.Tx) error {
		// A truncated copy would fault when its missing pages are read.
		if btx.Size() > fi.Size() {
			return fmt.Errorf("the file has %d bytes, its pages need %d: truncated", fi.Size(), btx.Size())
		}
		for _, b := range [][]byte{bucketKV, bucketMeta, bucketChanges} {
			if btx.Bucket(b) == nil {
				return fmt.Errorf("bucket %s is missing", b)
			}
		}
		var first error
		for err := range btx.Check() {
			if first == nil {
				first = err
			}
		}
		rev = readRevision(btx)
		return first
	})
	return rev, err
}

// StartAt makes an empty store (revision 0) continue counting from rev:
// its next commit is rev+1. An import uses it so that revisions (and the
// InstancesRevision derived from them) never go back after a move.
func (s *Store) StartAt(rev int64) error {
	if rev <= 0 {
		return nil
	}
	err := s.db.Update(func(btx *bbolt.Tx) error {
		if cur := readRevision(btx); cur != 0 {
			return fmt.Errorf("the store is at revision %d already", cur)
		}
		return btx.Bucket(bucketMeta).Put(keyRevision, revKey(rev))
	})
	if err != nil {
		return fmt.Errorf("bolt: start at revision %d: %w", rev, err)
	}
	return nil
}

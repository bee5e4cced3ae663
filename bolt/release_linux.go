package bolt

import (
	"fmt"
	"syscall"
	"unsafe"

	"go.etcd.io/bbolt"
)

// ReleasePages drops the database file's pages from this process's
// resident memory (madvise MADV_DONTNEED on bbolt's read-only shared
// mapping). The pages stay in the kernel's page cache and come back, as
// minor faults, when they are read again; nothing is lost, since bbolt
// never writes through the mapping. Opening the store (bbolt rebuilds its
// free list from every page) and loading the view touch the whole file
// once; after that only the pages in use stay resident. It runs inside a
// read transaction, during which bbolt cannot remap the file.
func (s *Store) ReleasePages() error {
	return s.db.View(func(btx *bbolt.Tx) error {
		info := s.db.Info()
		size := int(btx.Size())
		if info == nil || info.Data == 0 || size <= 0 {
			return nil
		}
		// info.Data is the address of bbolt's mapping, outside the Go heap.
		base := *(*unsafe.Pointer)(unsafe.Pointer(&info.Data))
		mem := unsafe.Slice((*byte)(base), size)
		if err := syscall.Madvise(mem, syscall.MADV_DONTNEED); err != nil {
			return fmt.Errorf("bolt: release pages: %w", err)
		}
		return nil
	})
}

package bolt_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cloudmap/cloudmap"
)

// TestStore_ReleasePages: dropping the mapped pages from memory loses
// nothing: every value reads back, and writes and reads go on.
func TestStore_ReleasePages(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	put := func(from, to int) {
		if _, err := s.Update(ctx, func(tx cloudmap.Tx) error {
			for i := from; i < to; i++ {
				if err := tx.Put(fmt.Sprintf("k/%05d", i), []byte(fmt.Sprintf("value %d", i))); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	put(0, 5000)
	if err := s.ReleasePages(); err != nil {
		t.Fatal(err)
	}
	put(5000, 6000)
	if err := s.ReleasePages(); err != nil {
		t.Fatal(err)
	}
	err := s.View(ctx, func(tx cloudmap.ReadTx) error {
		for i := range 6000 {
			v, err := tx.Get(fmt.Sprintf("k/%05d", i))
			if err != nil || string(v) != fmt.Sprintf("value %d", i) {
				return fmt.Errorf("k/%05d = %q, %v", i, v, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

package bolt_test

import (
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/bolt"
	"github.com/cloudmap/cloudmap/storetest"
)

// TestStore runs the conformance suite with the bolt store's stronger
// promise: revisions count from 0 in steps of one.
func TestStore(t *testing.T) {
	storetest.RunOptions(t, storetest.Options{ContiguousRevisions: true}, func(t *testing.T) storetest.Open {
		dir := t.TempDir()
		return func() (cloudmap.Store, error) { return bolt.Open(dir, nil) }
	})
}

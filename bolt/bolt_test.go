package bolt_test

import (
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/bolt"
	"github.com/cloudmap/cloudmap/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Open {
		dir := t.TempDir()
		return func() (cloudmap.Store, error) { return bolt.Open(dir, nil) }
	})
}

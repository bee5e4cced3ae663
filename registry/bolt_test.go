//go:build boltstore

package registry_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/bolt"
)

// With -tags boltstore the registry tests run on the bbolt store instead of
// the in-memory one: go test -tags boltstore ./registry/
func init() {
	newStore = func(t testing.TB) cloudmap.Store {
		s, err := bolt.Open(t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

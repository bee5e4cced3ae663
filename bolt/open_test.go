package bolt_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap/bolt"
)

func TestOpen_Unwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, dir string }{
		{"under a file", filepath.Join(file, "data")},
		{"a file", file},
		{"empty", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := bolt.Open(tc.dir, nil)
			if err == nil {
				_ = s.Close()
				t.Fatalf("Open(%q) succeeded", tc.dir)
			}
			if tc.dir != "" && !strings.Contains(err.Error(), tc.dir) {
				t.Errorf("Open(%q) error %q does not name the path", tc.dir, err)
			}
		})
	}
}

func TestOpen_CreatesPrivateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s, err := bolt.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), os.FileMode(0o700); got != want {
		t.Errorf("data dir mode = %v, want %v", got, want)
	}
	if got, want := s.Path(), filepath.Join(dir, bolt.FileName); got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
}

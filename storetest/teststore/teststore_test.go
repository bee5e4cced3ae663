package teststore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/storetest/teststore"
)

func TestNames(t *testing.T) {
	cases := []struct{ env, want, err string }{
		{"", "mem", ""},
		{"mem", "mem", ""},
		{"bolt", "bolt", ""},
		{"etcd", "etcd", ""},
		{"all", "mem,bolt,etcd", ""},
		{"postgres", "", `CLOUDMAP_TEST_STORE="postgres": want one of mem, bolt, etcd or all`},
	}
	for _, c := range cases {
		t.Setenv(teststore.Env, c.env)
		got, err := teststore.Names()
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: err = %v, want %q", c.env, err, c.err)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != c.want {
			t.Errorf("%q: Names = %v, %v, want %s", c.env, got, err, c.want)
		}
	}
}

// TestNewNamed opens every backend without Main (the etcd store on a
// member of the test's own) and checks each is empty and works.
func TestNewNamed(t *testing.T) {
	for _, name := range teststore.Stores {
		t.Run(name, func(t *testing.T) {
			s := teststore.NewNamed(t, name)
			runs := 0
			rev, err := s.Update(context.Background(), func(tx cloudmap.Tx) error {
				runs++
				if n, err := tx.Count(""); err != nil || n != 0 {
					t.Errorf("a new store holds %d keys (%v), want 0", n, err)
				}
				return tx.Put("k", []byte("v"))
			})
			if err != nil || rev <= 0 {
				t.Fatalf("Update = %d, %v", rev, err)
			}
			if want := map[string]int{"mem": 2}[name]; want != 0 && runs != want {
				t.Errorf("the closure ran %d times, want %d (as on an etcd conflict)", runs, want)
			}
		})
	}
}

package transfer_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/bolt"
	"github.com/cloudmap/cloudmap/transfer"
)

var ctx = context.Background()

func openStore(t *testing.T) *bolt.Store {
	t.Helper()
	st, err := bolt.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func fill(t *testing.T, st cloudmap.Store, kv map[string]string) {
	t.Helper()
	if _, err := st.Update(ctx, func(tx cloudmap.Tx) error {
		for k, v := range kv {
			if err := tx.Put(k, []byte(v)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func export(t *testing.T, st cloudmap.Store) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := transfer.Export(ctx, st, &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func opener(s string) func() (io.Reader, error) {
	return func() (io.Reader, error) { return strings.NewReader(s), nil }
}

var sample = map[string]string{
	"ns/ns-1":                     `{"Id":"ns-1","Name":"a <b> & c"}`,
	"inst/srv-1/i-1":              `{"Id":"i-1","Attributes":{"k":"v"}}`,
	"idx/svcname/ns-1/web":        "srv-1",
	"opq/op-1":                    "",
	"x/binary":                    "\xff\x00",
	"tag/ns-1/team":               `"web"`,
	"attr/srv-1":                  `{"owner":"me"}`,
	"health/srv-1/i-1":            `{"Status":"HEALTHY"}`,
	"op/000000000000000000000001": `{"Id":"1"}`,
}

// TestExportImport_Lossless: every key and value comes back byte for byte,
// whatever the value (JSON with HTML characters, plain text, empty,
// binary), and a second import of the same file changes nothing.
func TestExportImport_Lossless(t *testing.T) {
	src := openStore(t)
	fill(t, src, sample)
	file := export(t, src)
	dst := openStore(t)
	imported, err := transfer.Import(ctx, dst, opener(file), 3)
	if err != nil || !imported {
		t.Fatalf("Import: %v, %v", imported, err)
	}
	if got := export(t, dst); records(got) != records(file) {
		t.Errorf("re-export differs:\n%s\nwant\n%s", got, file)
	}
	imported, err = transfer.Import(ctx, dst, opener(file), 3)
	if err != nil || imported {
		t.Errorf("second Import: imported %v, err %v; want false, nil", imported, err)
	}
	other := openStore(t)
	fill(t, other, map[string]string{"ns/ns-2": `{}`})
	if _, err := transfer.Import(ctx, other, opener(file), 3); !errors.Is(err, transfer.ErrNotEmpty) {
		t.Errorf("Import into another store's data: %v, want ErrNotEmpty", err)
	}
}

// records drops the end record (it carries the source's revision).
func records(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[:len(lines)-1], "\n")
}

// TestCheck_NamesTheLineAndTheRule: every malformed file is refused with
// its line and what is wrong.
func TestCheck_NamesTheLineAndTheRule(t *testing.T) {
	src := openStore(t)
	fill(t, src, map[string]string{"ns/a": `{}`, "ns/b": `{}`})
	good := strings.SplitAfter(export(t, src), "\n") // header, a, b, end, ""
	join := func(lines ...string) string { return strings.Join(lines, "") }
	cases := []struct{ name, file, want string }{
		{"empty", "", "the file is empty"},
		{"no header", join(good[1:]...), "line 1: not a cloudmap export header"},
		{"other version", join(`{"kind":"cloudmap-export","version":9}`+"\n", good[1]), "line 1: format version 9"},
		{"malformed", join(good[0], "{oops\n", good[2], good[3]), "line 2: malformed record"},
		{"unknown member", join(good[0], `{"kind":"namespace","key":"ns/a","value":{},"extra":1}`+"\n"), `line 2: malformed record: json: unknown field "extra"`},
		{"kind and key disagree", join(good[0], `{"kind":"service","key":"ns/a","value":{}}`+"\n"), `line 2: record of kind "service" has key "ns/a", which holds kind "namespace"`},
		{"no key", join(good[0], `{"kind":"namespace","value":{}}`+"\n"), "line 2: record without a key"},
		{"two forms", join(good[0], `{"kind":"namespace","key":"ns/a","value":{},"text":"x"}`+"\n"), "line 2: key \"ns/a\": want exactly one of value, text, base64"},
		{"out of order", join(good[0], good[2], good[1], good[3]), `line 3: key "ns/a" is not after the previous key "ns/b"`},
		{"duplicate", join(good[0], good[1], good[1], good[3]), `line 3: key "ns/a" is not after the previous key "ns/a"`},
		{"count", join(good[0], good[1], good[3]), "line 3: end record counts 2 records, the file holds 1"},
		{"truncated", join(good[0], good[1], good[2]), "no end record after line 3: the file is truncated"},
		{"after the end", join(good[0], good[1], good[2], good[3], good[1]), "line 5: data after the end record"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := transfer.Check(strings.NewReader(c.file))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Check: %v, want %q", err, c.want)
			}
		})
	}
}

// failing fails its failAt-th Update (counting from 1).
type failing struct {
	cloudmap.Store
	calls, failAt int
}

func (f *failing) Update(ctx context.Context, fn func(cloudmap.Tx) error) (int64, error) {
	f.calls++
	if f.calls == f.failAt {
		return 0, errors.New("store down")
	}
	return f.Store.Update(ctx, fn)
}

// TestImport_FailedWriteLeavesNothing: when a batch cannot be written, the
// batches written before are deleted again.
func TestImport_FailedWriteLeavesNothing(t *testing.T) {
	src := openStore(t)
	fill(t, src, sample)
	file := export(t, src)
	dst := openStore(t)
	_, err := transfer.Import(ctx, &failing{Store: dst, failAt: 3}, opener(file), 3)
	if err == nil || !strings.Contains(err.Error(), "nothing was left imported") || !strings.Contains(err.Error(), "store down") {
		t.Fatalf("Import: %v, want the write error and that nothing was left", err)
	}
	n := -1
	dst.View(ctx, func(tx cloudmap.ReadTx) (err error) {
		n, err = tx.Count("")
		return err
	})
	if n != 0 {
		t.Errorf("%d keys left after a failed import, want 0", n)
	}
}

package registry

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/storetest/memstore"
)

// keys returns every key of the store.
func keys(t *testing.T, s cloudmap.Store) []string {
	t.Helper()
	var out []string
	if err := s.View(context.Background(), func(tx cloudmap.ReadTx) error {
		return tx.Range("", "", func(k string, _ []byte) bool { out = append(out, k); return true })
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// The default cell writes the single-cell layout; another cell writes the
// same keys under its prefix, plus its marker, and nothing else.
func TestCellStore_KeyLayout(t *testing.T) {
	store := memstore.New()
	defer store.Close()
	r := New(store, Config{Region: "us-east-1", AccountID: "123456789012"})
	other := cloudmap.Cell{Account: "111111111111", Region: "eu-west-1"}
	for i, ctx := range []context.Context{
		context.Background(),
		cloudmap.WithCell(context.Background(), cloudmap.Cell{Account: "123456789012", Region: "us-east-1"}), // the default, named
		cloudmap.WithCell(context.Background(), other),
	} {
		if _, err := r.CreateHttpNamespace(ctx, &cloudmap.CreateHttpNamespaceInput{Name: []string{"a", "b", "c"}[i]}); err != nil {
			t.Fatal(err)
		}
	}
	var def, cell, rest []string
	for _, k := range keys(t, store) {
		switch {
		case strings.HasPrefix(k, other.KeyPrefix()):
			cell = append(cell, strings.TrimPrefix(k, other.KeyPrefix()))
		case k == cellMarkerKey(other):
			rest = append(rest, k)
		case strings.HasPrefix(k, cloudmap.CellKeyPrefix) || strings.HasPrefix(k, prefixCells):
			t.Errorf("unexpected cell key %s", k)
		default:
			def = append(def, k)
		}
	}
	// Two namespaces in the default cell (the default named explicitly is
	// the default), one in the other: each namespace writes the same kinds
	// of keys.
	if len(def) != 2*len(cell) || len(cell) == 0 || len(rest) != 1 {
		t.Errorf("default cell keys %v, other cell keys %v, markers %v; want twice as many default keys and one marker", def, cell, rest)
	}
	// Reads in a cell nobody wrote to write nothing.
	before := len(keys(t, store))
	empty := cloudmap.WithCell(context.Background(), cloudmap.Cell{Account: "999999999999", Region: "ap-south-1"})
	if out, err := r.ListNamespaces(empty, &cloudmap.ListInput{}); err != nil || len(out.Namespaces) != 0 {
		t.Errorf("ListNamespaces in an empty cell = %+v, %v", out, err)
	}
	if _, err := r.CreateService(empty, &cloudmap.CreateServiceInput{Name: "s", NamespaceId: "ns-missing"}); cloudmap.ErrorCode(err) != cloudmap.ErrNamespaceNotFound {
		t.Errorf("CreateService in an empty cell: %v, want NamespaceNotFound", err)
	}
	if after := len(keys(t, store)); after != before {
		t.Errorf("%d keys after reads and a failed write in an empty cell, want %d", after, before)
	}
}

func TestVPCConflict(t *testing.T) {
	store := memstore.New()
	defer store.Close()
	ctx := context.Background()
	if _, err := store.Update(ctx, func(tx cloudmap.Tx) error {
		return tx.Put(vpcNameKey("vpc-1", "corp.internal"), []byte(" ns-1"))
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ vpc, name, want string }{
		{"vpc-1", "corp.internal", "corp.internal"},
		{"vpc-1", "CORP.Internal.", "corp.internal"},
		{"vpc-1", "a.b.corp.internal", "corp.internal"},
		{"vpc-1", "internal", "corp.internal"},
		{"vpc-1", "xcorp.internal", ""},
		{"vpc-1", "corp.internal.example", ""},
		{"vpc-1", "orp.internal", ""},
		{"vpc-2", "corp.internal", ""},
	}
	for _, tt := range tests {
		var got string
		if err := store.View(ctx, func(tx cloudmap.ReadTx) error {
			var err error
			got, err = vpcConflict(tx, tt.vpc, tt.name)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("vpcConflict(%s, %s) = %q, want %q", tt.vpc, tt.name, got, tt.want)
		}
	}
}

// Retention prunes the operations of every cell.
func TestPrune_EveryCell(t *testing.T) {
	store := memstore.New()
	defer store.Close()
	r := New(store, Config{Region: "us-east-1", AccountID: "123456789012"})
	other := cloudmap.WithCell(context.Background(), cloudmap.Cell{Account: "111111111111", Region: "eu-west-1"})
	var ops []string
	for _, ctx := range []context.Context{context.Background(), other} {
		out, err := r.CreateHttpNamespace(ctx, &cloudmap.CreateHttpNamespaceInput{Name: "n"})
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, out.OperationId)
	}
	res, err := r.Prune(context.Background(), time.Now().Add(time.Hour))
	if err != nil || res.Operations != 2 {
		t.Fatalf("Prune = %+v, %v; want both cells' operations", res, err)
	}
	if _, err := r.GetOperation(other, &cloudmap.GetOperationInput{OperationId: ops[1]}); cloudmap.ErrorCode(err) != cloudmap.ErrOperationNotFound {
		t.Errorf("the other cell's pruned operation: %v, want OperationNotFound", err)
	}
	if n, err := r.PendingOperations(context.Background()); err != nil || n != 0 {
		t.Errorf("PendingOperations = %d, %v; want 0", n, err)
	}
}

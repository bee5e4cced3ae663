package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/cloudmap/cloudmap"
)

// Cells. Every request runs in the cell its context carries
// (cloudmap.CellFrom; none: the default cell, Config.Region and
// Config.AccountID). The registry's rules are written once, against keys
// relative to a cell: cellStore hands every transaction a view of the store
// in which the cell's keys look like a single-cell server's. The default
// cell's keys are the store's own keys (the layout of a single-cell
// server, so an existing data dir serves unchanged); another cell's keys
// live under cloudmap.Cell.KeyPrefix. Reads of a cell nobody wrote to find
// nothing and write nothing; the first write to a cell also writes its
// marker cells/<account>/<region>, from which the operations worker learns
// the cells it must drain.

// prefixCells is the prefix of the cell markers (in the store's own key
// space, beside the default cell's keys).
const prefixCells = "cells/"

func cellMarkerKey(c cloudmap.Cell) string { return prefixCells + c.Account + "/" + c.Region }

// cell returns the cell of a request and its key prefix ("" for the
// default cell).
func (r *Registry) cell(ctx context.Context) (cloudmap.Cell, string) {
	c, ok := cloudmap.CellFrom(ctx)
	if !ok || c == r.defaultCell() {
		return r.defaultCell(), ""
	}
	return c, c.KeyPrefix()
}

// cellOf returns the cell of a request.
func (r *Registry) cellOf(ctx context.Context) cloudmap.Cell {
	c, _ := r.cell(ctx)
	return c
}

// txCell returns the cell a transaction runs in: def unless tx is a
// cell's view of the store.
func txCell(tx cloudmap.ReadTx, def cloudmap.Cell) cloudmap.Cell {
	switch t := tx.(type) {
	case *cellReadTx:
		return t.cell
	case *cellTx:
		return t.cell
	}
	return def
}

func (r *Registry) defaultCell() cloudmap.Cell {
	return cloudmap.Cell{Account: r.cfg.AccountID, Region: r.cfg.Region}
}

// cellKey is how the worker names a cell: the zero Cell for the default
// cell (whose context carries none), the cell otherwise.
func cellKey(c cloudmap.Cell, prefix string) cloudmap.Cell {
	if prefix == "" {
		return cloudmap.Cell{}
	}
	return c
}

// cellContext returns ctx in the cell named by cellKey.
func cellContext(ctx context.Context, c cloudmap.Cell) context.Context {
	if c == (cloudmap.Cell{}) {
		return ctx
	}
	return cloudmap.WithCell(ctx, c)
}

// queuedIn records that the cell has queued operations to drain.
func (r *Registry) queuedIn(c cloudmap.Cell) {
	r.pendMu.Lock()
	if r.pending == nil {
		r.pending = map[cloudmap.Cell]struct{}{}
	}
	r.pending[c] = struct{}{}
	r.pendMu.Unlock()
}

// takePending returns and forgets the cells queuedIn recorded.
func (r *Registry) takePending() []cloudmap.Cell {
	r.pendMu.Lock()
	defer r.pendMu.Unlock()
	out := make([]cloudmap.Cell, 0, len(r.pending))
	for c := range r.pending {
		out = append(out, c)
	}
	clear(r.pending)
	return out
}

// allCells returns the default cell (the zero Cell) and every cell written
// to, as cellContext names them.
func (r *Registry) allCells(ctx context.Context) ([]cloudmap.Cell, error) {
	written, err := r.store.cells(ctx)
	if err != nil {
		return nil, err
	}
	return append([]cloudmap.Cell{{}}, written...), nil
}

// cellStore is the store as the registry's rules see it: View and Update
// run in the request's cell.
type cellStore struct {
	r     *Registry
	s     cloudmap.Store
	known sync.Map // cloudmap.Cell -> struct{}: cells whose marker is stored
}

// View runs fn in a read-only transaction of the request's cell.
func (cs *cellStore) View(ctx context.Context, fn func(tx cloudmap.ReadTx) error) error {
	c, prefix := cs.r.cell(ctx)
	if prefix == "" {
		return cs.s.View(ctx, fn)
	}
	return cs.s.View(ctx, func(tx cloudmap.ReadTx) error {
		return fn(&cellReadTx{tx: tx, prefix: prefix, cell: c})
	})
}

// Update runs fn in a read-write transaction of the request's cell; the
// first write of a cell also stores its marker.
func (cs *cellStore) Update(ctx context.Context, fn func(tx cloudmap.Tx) error) (int64, error) {
	c, prefix := cs.r.cell(ctx)
	if prefix == "" {
		return cs.s.Update(ctx, fn)
	}
	_, known := cs.known.Load(c)
	marked := false
	rev, err := cs.s.Update(ctx, func(tx cloudmap.Tx) error {
		ct := &cellTx{cellReadTx: cellReadTx{tx: tx, prefix: prefix, cell: c}, tx: tx, known: known}
		if err := fn(ct); err != nil {
			return err
		}
		marked = ct.marked
		return nil
	})
	if err == nil && marked {
		cs.known.Store(c, struct{}{})
	}
	return rev, err
}

// Revision returns the store's revision.
func (cs *cellStore) Revision(ctx context.Context) (int64, error) { return cs.s.Revision(ctx) }

// Watch returns the store's change feed (every cell's keys, unprefixed
// only for the default cell).
func (cs *cellStore) Watch(ctx context.Context, fromRev int64) (<-chan cloudmap.Change, error) {
	return cs.s.Watch(ctx, fromRev)
}

// cells returns the cells other than the default one that were written to.
func (cs *cellStore) cells(ctx context.Context) ([]cloudmap.Cell, error) {
	var out []cloudmap.Cell
	err := cs.s.View(ctx, func(tx cloudmap.ReadTx) error {
		out = out[:0]
		return tx.Range(prefixCells, "", func(k string, _ []byte) bool {
			acct, region, ok := strings.Cut(strings.TrimPrefix(k, prefixCells), "/")
			if ok && cloudmap.ValidAccountID(acct) && cloudmap.ValidRegion(region) {
				out = append(out, cloudmap.Cell{Account: acct, Region: region})
			}
			return true
		})
	})
	if err != nil {
		return nil, fmt.Errorf("registry: range %s: %w", prefixCells, err)
	}
	return out, nil
}

// cellReadTx is a read-only transaction seen from inside a cell.
type cellReadTx struct {
	tx     cloudmap.ReadTx
	prefix string
	cell   cloudmap.Cell
}

func (t *cellReadTx) Get(key string) ([]byte, error) { return t.tx.Get(t.prefix + key) }

func (t *cellReadTx) Range(prefix, startAfter string, fn func(key string, value []byte) bool) error {
	if startAfter != "" {
		startAfter = t.prefix + startAfter
	}
	n := len(t.prefix)
	return t.tx.Range(t.prefix+prefix, startAfter, func(k string, v []byte) bool { return fn(k[n:], v) })
}

func (t *cellReadTx) Count(prefix string) (int, error) { return t.tx.Count(t.prefix + prefix) }

// cellTx is a read-write transaction seen from inside a cell.
type cellTx struct {
	cellReadTx
	tx     cloudmap.Tx
	known  bool // the marker was stored before this transaction
	marked bool // the marker is stored or written by this transaction
}

func (t *cellTx) Put(key string, value []byte) error {
	if err := t.mark(); err != nil {
		return err
	}
	return t.tx.Put(t.prefix+key, value)
}

func (t *cellTx) Delete(key string) error { return t.tx.Delete(t.prefix + key) }

// mark stores the cell's marker on the cell's first write.
func (t *cellTx) mark() error {
	if t.known || t.marked {
		return nil
	}
	k := cellMarkerKey(t.cell)
	if _, err := t.tx.Get(k); errors.Is(err, cloudmap.ErrKeyNotFound) {
		if err := t.tx.Put(k, []byte("1")); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	t.marked = true
	return nil
}

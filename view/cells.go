package view

import (
	"sync"

	"github.com/cloudmap/cloudmap"
)

// cellTable numbers the cells the view has seen, so that a service's state
// names its cell in four bytes (in what was padding) rather than a Cell of
// two strings: memory per instance stays what it was. Number 0 is the
// default cell. Numbers are never reused; the table grows only with cells
// that were written to.
type cellTable struct {
	mu   sync.RWMutex
	ids  map[cloudmap.Cell]uint32
	list []cloudmap.Cell
}

// intern returns the number of c, adding it. The zero Cell is 0.
func (t *cellTable) intern(c cloudmap.Cell) uint32 {
	if c == (cloudmap.Cell{}) {
		return 0
	}
	t.mu.RLock()
	id, ok := t.ids[c]
	t.mu.RUnlock()
	if ok {
		return id
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, ok := t.ids[c]; ok {
		return id
	}
	if t.ids == nil {
		t.ids = map[cloudmap.Cell]uint32{}
		t.list = []cloudmap.Cell{{}}
	}
	id = uint32(len(t.list))
	t.ids[c] = id
	t.list = append(t.list, c)
	return id
}

// id returns the number of c; ok is false for a cell the view never saw.
func (t *cellTable) id(c cloudmap.Cell) (uint32, bool) {
	if c == (cloudmap.Cell{}) {
		return 0, true
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	id, ok := t.ids[c]
	return id, ok
}

// cell returns the cell numbered id.
func (t *cellTable) cell(id uint32) cloudmap.Cell {
	if id == 0 {
		return cloudmap.Cell{}
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.list[id]
}

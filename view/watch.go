package view

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cloudmap/cloudmap"
)

// hub wakes the waiters of a service or a namespace when a publish changes
// it: one channel per watched key, closed and forgotten at the change, so
// a waiter costs one map entry shared with every other waiter of the same
// key, and a publish that nobody waits for costs no allocation and one
// atomic load.
type hub struct {
	mu    sync.Mutex
	chans map[string]chan struct{} // svcKey(id) or nsKey(id)
	funcs map[string][]func()      // called at the key's change, instead of a channel
	n     atomic.Int64             // len(chans) + len(funcs)
	// changed is what the publish in progress changes; only the feed
	// goroutine uses it.
	changed []hubChange
	nsIDs   []string
}

// hubChange is one service a publish changes, with the namespaces it was
// and is in.
type hubChange struct{ svc, oldNS, newNS string }

func svcKey(id string) string { return "s/" + id }
func nsKey(id string) string  { return "n/" + id }

// wait returns the channel closed at the next change of key.
func (h *hub) wait(key string) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.chans == nil {
		h.chans = map[string]chan struct{}{}
	}
	ch := h.chans[key]
	if ch == nil {
		ch = make(chan struct{})
		h.chans[key] = ch
		h.n.Store(int64(len(h.chans) + len(h.funcs)))
	}
	return ch
}

// after calls f once at the next change of key (see wake): a waiter that
// is a function costs no goroutine waiting on a channel.
func (h *hub) after(key string, f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.funcs == nil {
		h.funcs = map[string][]func(){}
	}
	h.funcs[key] = append(h.funcs[key], f)
	h.n.Store(int64(len(h.chans) + len(h.funcs)))
}

// collect records what a publish of s changes: every dirty service, the
// namespaces it was and is in, and every changed namespace. Call it before
// publish clears the dirty sets, whether or not anybody waits: a waiter
// may arrive during the publish (wake decides).
func (h *hub) collect(s *state) {
	if cap(h.changed) > 4096 { // a snapshot's: not kept
		h.changed = nil
	}
	h.changed, h.nsIDs = h.changed[:0], h.nsIDs[:0]
	for _, sr := range s.dirtySvc {
		c := hubChange{svc: sr.id, oldNS: sr.pubNS}
		if sr.svc != nil {
			c.newNS = sr.svc.NamespaceId
		}
		h.changed = append(h.changed, c)
	}
	for id := range s.dirtyNS {
		h.nsIDs = append(h.nsIDs, id)
	}
}

// wake closes the channels of what collect recorded, or of every key when
// all is set (the view was reloaded from a snapshot). Call it after the
// new state is published: a waiter that registers after wake's check of
// the count reads the new state.
func (h *hub) wake(all bool) {
	if h.n.Load() == 0 {
		return
	}
	var call []func()
	h.mu.Lock()
	if all {
		for k, ch := range h.chans {
			close(ch)
			delete(h.chans, k)
		}
		for k, fs := range h.funcs {
			call = append(call, fs...)
			delete(h.funcs, k)
		}
	}
	fire := func(k string) {
		if ch, ok := h.chans[k]; ok {
			close(ch)
			delete(h.chans, k)
		}
		if fs, ok := h.funcs[k]; ok {
			call = append(call, fs...)
			delete(h.funcs, k)
		}
	}
	for _, c := range h.changed {
		fire(svcKey(c.svc))
		if c.oldNS != "" {
			fire(nsKey(c.oldNS))
		}
		if c.newNS != "" && c.newNS != c.oldNS {
			fire(nsKey(c.newNS))
		}
	}
	for _, id := range h.nsIDs {
		fire(nsKey(id))
	}
	h.n.Store(int64(len(h.chans) + len(h.funcs)))
	h.mu.Unlock()
	for _, f := range call {
		f()
	}
}

// WaitRevision blocks until the InstancesRevision of the service (found as
// DiscoverInstances finds it) differs from index, the service or its
// namespace no longer resolves, ctx ends or the view closes; it then
// returns nil and the caller answers with the current state. Errors:
// only ctx's error, when ctx ended.
func (v *View) WaitRevision(ctx context.Context, nsName, svcName, owner string, index int64) error {
	cell, _ := cloudmap.CellFrom(ctx)
	for {
		rev, ch, err := v.WatchRevision(cell, nsName, svcName, owner)
		if err != nil || rev != index {
			return nil
		}
		select {
		case <-ch:
		case <-v.closed:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WatchService returns the current entry of a service (found as
// DiscoverInstances finds it) and a channel closed at its next change:
// any change, not only of its instances. Errors: NamespaceNotFound,
// ServiceNotFound.
func (v *View) WatchService(cell cloudmap.Cell, nsName, svcName string) (*cloudmap.ServiceEntry, <-chan struct{}, error) {
	st, ch, err := v.watchLookup(cell, nsName, svcName, "")
	if err != nil {
		return nil, nil, err
	}
	return st.entry, ch, nil
}

// watchLookup looks a service up and returns a channel closed at its next
// change: registered between two lookups, so a change after the state
// returned is never missed (a service replaced in between is looked up
// again).
func (v *View) watchLookup(cell cloudmap.Cell, nsName, svcName, owner string) (*svcState, <-chan struct{}, error) {
	st, err := v.lookup(cell, nsName, svcName, owner)
	for err == nil {
		ch := v.hub.wait(svcKey(st.entry.Service.Id))
		again, err2 := v.lookup(cell, nsName, svcName, owner)
		if err2 != nil {
			return nil, nil, err2
		}
		if again.entry.Service.Id == st.entry.Service.Id {
			return again, ch, nil
		}
		st = again
	}
	return nil, nil, err
}

// WatchNamespace returns a namespace found by its HttpName, the entries of
// its services sorted by name, the namespace's serial (see ZoneSerial) and
// a channel closed at the next change in the namespace. Errors:
// NamespaceNotFound.
func (v *View) WatchNamespace(cell cloudmap.Cell, nsName string) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, <-chan struct{}, error) {
	ns, _, _ := v.namespaceServices(cell, nsName)
	for ns != nil {
		ch := v.hub.wait(nsKey(ns.Id))
		again, entries, serial := v.namespaceServices(cell, nsName)
		if again != nil && again.Id == ns.Id {
			return again, entries, serial, ch, nil
		}
		ns = again // replaced in between: watch the new one
	}
	return nil, nil, 0, nil, cloudmap.Errorf(cloudmap.ErrNamespaceNotFound, "No namespace found with name %s", nsName)
}

func (v *View) namespaceServices(cell cloudmap.Cell, nsName string) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32) {
	x := &v.idx
	x.mu.RLock()
	slot := x.namespaceByHTTPName(cell, nsName)
	if slot == nil {
		x.mu.RUnlock()
		return nil, nil, 0
	}
	entries := make([]*cloudmap.ServiceEntry, 0, len(slot.services))
	for _, sl := range slot.services {
		entries = append(entries, sl.load().entry)
	}
	ns, serial := slot.ns, slot.serial.Load()
	x.mu.RUnlock()
	sortEntries(entries)
	return ns, entries, serial
}

// Closed returns a channel closed when the view is closed.
func (v *View) Closed() <-chan struct{} { return v.closed }

func sortEntries(es []*cloudmap.ServiceEntry) {
	slices.SortFunc(es, func(a, b *cloudmap.ServiceEntry) int { return strings.Compare(a.Service.Name, b.Service.Name) })
}

// WatchRevision returns the InstancesRevision of a service of the cell
// (found as DiscoverInstances finds it) and a channel closed at the service's next
// change (any change: the revision may stay the same). Errors:
// NamespaceNotFound, ServiceNotFound.
func (v *View) WatchRevision(cell cloudmap.Cell, nsName, svcName, owner string) (int64, <-chan struct{}, error) {
	st, ch, err := v.watchLookup(cell, nsName, svcName, owner)
	if err != nil {
		return 0, nil, err
	}
	return st.entry.Revision, ch, nil
}

// AfterRevision returns the InstancesRevision of a service of the cell
// (found as DiscoverInstances finds it) and calls f once at the service's
// next change (any change: the revision may stay the same), from the
// goroutine publishing it: f must not block. f may also be called without
// a change (when the service was replaced during the call), so callers
// look again; after an error too. It costs no goroutine, where a waiter on
// WatchRevision's channel costs one per service watched. Errors:
// NamespaceNotFound, ServiceNotFound.
func (v *View) AfterRevision(cell cloudmap.Cell, nsName, svcName, owner string, f func()) (int64, error) {
	st, err := v.lookup(cell, nsName, svcName, owner)
	for err == nil {
		v.hub.after(svcKey(st.entry.Service.Id), f)
		again, err2 := v.lookup(cell, nsName, svcName, owner)
		if err2 != nil {
			return 0, err2
		}
		if again.entry.Service.Id == st.entry.Service.Id {
			return again.entry.Revision, nil
		}
		st = again
	}
	return 0, err
}

// AfterService is WatchService with a function instead of a channel: it
// returns the current entry of a service and calls f (which must not
// block) once at the service's next change, or without one (see
// AfterRevision).
func (v *View) AfterService(cell cloudmap.Cell, nsName, svcName string, f func()) (*cloudmap.ServiceEntry, error) {
	st, err := v.lookup(cell, nsName, svcName, "")
	for err == nil {
		v.hub.after(svcKey(st.entry.Service.Id), f)
		again, err2 := v.lookup(cell, nsName, svcName, "")
		if err2 != nil {
			return nil, err2
		}
		if again.entry.Service.Id == st.entry.Service.Id {
			return again.entry, nil
		}
		st = again
	}
	return nil, err
}

// AfterNamespace is WatchNamespace with a function instead of a channel:
// f (which must not block) is called once at the next change in the
// namespace, or without one (see AfterRevision).
func (v *View) AfterNamespace(cell cloudmap.Cell, nsName string, f func()) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, error) {
	ns, _, _ := v.namespaceServices(cell, nsName)
	for ns != nil {
		v.hub.after(nsKey(ns.Id), f)
		again, entries, serial := v.namespaceServices(cell, nsName)
		if again != nil && again.Id == ns.Id {
			return again, entries, serial, nil
		}
		ns = again
	}
	return nil, nil, 0, cloudmap.Errorf(cloudmap.ErrNamespaceNotFound, "No namespace found with name %s", nsName)
}

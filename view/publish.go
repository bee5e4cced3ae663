package view

import (
	"cmp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/cloudmap/cloudmap"
)

// publish makes the changes recorded in s visible to readers: namespace
// maps are rebuilt when a namespace changed (they are few), each changed
// service gets a new immutable state. New states are built before the lock
// is taken; the lock covers map assignments only. reset (after a snapshot)
// drops everything published before.
func (v *View) publish(s *state, reset bool) {
	nsChanged := len(s.dirtyNS) > 0
	for _, nr := range s.dirtyNS {
		nr.cellID = v.cells.intern(nr.cell) // before the services' states copy it
	}
	if nsChanged {
		// Services hold their namespace: re-publish every service of a
		// changed namespace.
		for _, sr := range s.services {
			if sr.svc != nil && s.dirtyNS[sr.svc.NamespaceId] != nil {
				s.markDirty(sr)
			}
		}
	}
	type update struct {
		rec *svcRec
		st  *svcState
	}
	v.hub.collect(s)
	states := buildStates(s)
	updates := make([]update, 0, len(s.dirtySvc))
	for i, sr := range s.dirtySvc {
		st := states[i]
		if st != nil {
			nr := s.namespaces[sr.svc.NamespaceId]
			nr.serial = max(nr.serial, uint32(sr.touched))
		}
		if old := s.namespaces[sr.pubNS]; old != nil && sr.pubNS != "" {
			old.serial = max(old.serial, uint32(sr.touched))
		}
		updates = append(updates, update{sr, st})
	}

	x := &v.idx
	x.mu.Lock()
	if reset {
		x.init()
	}
	if nsChanged {
		v.publishNamespaces(s)
	}
	for _, u := range updates {
		publishService(x, s, u.rec, u.st)
	}
	for _, nr := range s.namespaces {
		if nr.slot != nil {
			nr.slot.serial.Store(nr.serial)
		}
	}
	x.mu.Unlock()
	v.hub.wake(reset)

	for id, nr := range s.dirtyNS {
		if nr.ns == nil {
			delete(s.namespaces, id)
		}
	}
	for _, sr := range s.dirtySvc {
		sr.dirty = false
		if sr.svc == nil && len(sr.insts) == 0 && len(sr.health) == 0 {
			delete(s.services, sr.id)
		}
	}
	clear(s.dirtyNS)
	clear(s.dirtySvc)
	s.dirtySvc = s.dirtySvc[:0]
	s.last = nil
}

// publishNamespaces rebuilds the namespace maps. Caller holds idx.mu.
// Names are per cell; the DNS zones of every cell share one map, each
// name listing its namespaces oldest first (the DNS server picks among
// them by type and client network). Public namespaces of the same name in
// two cells clash: the older one answers, and the clash is logged once.
func (v *View) publishNamespaces(s *state) {
	x := &v.idx
	x.nsByID = make(map[string]*nsSlot, len(s.namespaces))
	x.cells = map[cloudmap.Cell]*cellIndex{}
	x.zones = map[string][]*cloudmap.Namespace{}
	ids := make([]string, 0, len(s.namespaces))
	for id := range s.namespaces {
		ids = append(ids, id)
	}
	slices.Sort(ids) // deterministic winner if two namespaces share a name
	for _, id := range ids {
		nr := s.namespaces[id]
		if nr.ns == nil {
			if nr.slot != nil {
				clear(nr.slot.services)
				clear(nr.slot.parents)
				nr.slot = nil
			}
			continue
		}
		if nr.slot == nil || nr.slot.ns.Type != nr.ns.Type {
			nr.slot = &nsSlot{services: map[string]*svcSlot{}}
		}
		nr.slot.ns = nr.ns
		nr.slot.httpName = nr.ns.HttpName()
		x.nsByID[id] = nr.slot
		ci := x.cells[nr.cell]
		if ci == nil {
			ci = &cellIndex{nsByHTTP: map[string]*nsSlot{}, nsByFold: map[string]*nsSlot{}}
			x.cells[nr.cell] = ci
		}
		if ci.nsByHTTP[nr.slot.httpName] == nil {
			ci.nsByHTTP[nr.slot.httpName] = nr.slot
		}
		if !nr.ns.Type.IsDNS() {
			continue
		}
		fold := asciiLower(nr.slot.httpName)
		if ci.nsByFold[fold] == nil {
			ci.nsByFold[fold] = nr.slot
		}
		zone := asciiLower(strings.TrimSuffix(nr.ns.Name, "."))
		x.zones[zone] = append(x.zones[zone], nr.ns)
	}
	for zone, list := range x.zones {
		if len(list) < 2 {
			continue
		}
		slices.SortStableFunc(list, func(a, b *cloudmap.Namespace) int {
			return cmp.Or(a.CreateDate.Compare(b.CreateDate), strings.Compare(a.Id, b.Id))
		})
		v.logClash(zone, list)
	}
}

// logClash logs, once per pair, public namespaces of the same name in
// different cells: only the oldest answers DNS queries.
func (v *View) logClash(zone string, list []*cloudmap.Namespace) {
	var first *cloudmap.Namespace
	for _, ns := range list {
		if ns.Type != cloudmap.NamespaceDNSPublic {
			continue
		}
		if first == nil {
			first = ns
			continue
		}
		key := first.Id + " " + ns.Id
		if _, done := v.clashes.LoadOrStore(key, struct{}{}); !done {
			v.log.Warn("public namespaces of the same name in two cells: the older one answers DNS queries",
				"name", zone, "answering", first.Arn, "hidden", ns.Arn)
		}
	}
}

// publishService moves a service's slot to where st says and stores st.
// Caller holds idx.mu.
func publishService(x *index, s *state, sr *svcRec, st *svcState) {
	var nsID, name string
	chk := false
	if st != nil {
		nsID = sr.svc.NamespaceId
		name = serviceKey(st.entry.Namespace.Type, sr.svc.Name)
		chk = sr.svc.HealthCheckConfig != nil
	}
	if sr.pubNS != "" && (sr.pubNS != nsID || sr.pubName != name) {
		if nr := s.namespaces[sr.pubNS]; nr != nil && nr.slot != nil && nr.slot.services[sr.pubName] == sr.slot {
			nr.slot.removeService(sr.pubName)
		}
		sr.pubNS, sr.pubName = "", ""
	}
	if st == nil {
		if sr.slot != nil {
			delete(x.svcByID, sr.id)
			delete(x.checked, sr.id)
			sr.slot, sr.pubChk = nil, false
		}
		return
	}
	if sr.slot == nil {
		sr.slot = &svcSlot{}
	}
	sr.slot.p.Store(st)
	x.svcByID[sr.id] = sr.slot
	s.namespaces[nsID].slot.putService(name, sr.slot)
	sr.pubNS, sr.pubName = nsID, name
	if chk != sr.pubChk || chk {
		if chk {
			x.checked[sr.id] = sr.slot
		} else {
			delete(x.checked, sr.id)
		}
		sr.pubChk = chk
	}
}

// buildStates builds the new state of every dirty service (nil for one
// that is not published: deleted, or its namespace unknown). After a
// snapshot every service is dirty; then GOMAXPROCS workers build them.
func buildStates(s *state) []*svcState {
	states := make([]*svcState, len(s.dirtySvc))
	build := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			sr := s.dirtySvc[i]
			if sr.svc == nil {
				continue
			}
			if nr := s.namespaces[sr.svc.NamespaceId]; nr != nil && nr.ns != nil {
				states[i] = buildState(sr, nr.ns)
				states[i].cell = nr.cellID
			}
		}
	}
	workers := runtime.GOMAXPROCS(0)
	if len(states) < 256 || workers < 2 {
		build(0, len(states))
		return states
	}
	var wg sync.WaitGroup
	chunk := (len(states) + workers - 1) / workers
	for lo := 0; lo < len(states); lo += chunk {
		wg.Go(func() { build(lo, min(lo+chunk, len(states))) })
	}
	wg.Wait()
	return states
}

// buildState builds the immutable published state of a service.
func buildState(sr *svcRec, ns *cloudmap.Namespace) *svcState {
	checked := sr.svc.HasHealthCheck()
	e := &cloudmap.ServiceEntry{
		Service: sr.svc, Namespace: ns, Revision: sr.rev,
		Instances: sr.entries(checked),
	}
	st := &svcState{entry: e, nsName: ns.HttpName(), checked: checked}
	if checked {
		for i := range e.Instances {
			if e.Instances[i].Health == cloudmap.Healthy {
				st.healthy = append(st.healthy, int32(i))
			} else {
				st.unhealthy = append(st.unhealthy, int32(i))
			}
		}
	}
	return st
}

// entry returns the published entry of instance id.
func (sr *svcRec) entry(id string, checked bool) cloudmap.InstanceEntry {
	h := cloudmap.Unknown
	if checked {
		if hs, ok := sr.health[id]; ok {
			h = hs
		}
	}
	return cloudmap.InstanceEntry{Instance: sr.insts[id], Health: h}
}

// entries returns the instance entries of the service in id order: those
// of the last build with the changed ones added, deleted or replaced
// (runs between them copied whole, where rebuilding every entry costs a
// sort and two map lookups per instance), or all of them built on the
// first build and after many changes. The result is kept for the next
// build; published entries are never modified.
func (sr *svcRec) entries(checked bool) []cloudmap.InstanceEntry {
	if sr.built == nil || checked != sr.builtChecked || len(sr.changed) > len(sr.built)/8 {
		ids := make([]string, 0, len(sr.insts))
		for id := range sr.insts {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		out := make([]cloudmap.InstanceEntry, len(ids))
		for i, id := range ids {
			out[i] = sr.entry(id, checked)
		}
		sr.built, sr.builtChecked, sr.changed = out, checked, nil
		return out
	}
	if len(sr.changed) == 0 {
		return sr.built
	}
	// Each change inserts before built[pos], or replaces or deletes
	// built[pos].
	type change struct {
		pos      int
		inserted bool
		id       string
	}
	changes := make([]change, 0, len(sr.changed))
	for id := range sr.changed {
		i, found := slices.BinarySearchFunc(sr.built, id, func(e cloudmap.InstanceEntry, id string) int {
			return strings.Compare(e.Instance.Id, id)
		})
		_, present := sr.insts[id]
		if found || present {
			changes = append(changes, change{pos: i, inserted: !found, id: id})
		}
	}
	slices.SortFunc(changes, func(a, b change) int {
		return cmp.Or(cmp.Compare(a.pos, b.pos), cmp.Compare(b2i(!a.inserted), b2i(!b.inserted)), strings.Compare(a.id, b.id))
	})
	out := make([]cloudmap.InstanceEntry, 0, len(sr.built)+len(changes))
	from := 0
	for _, c := range changes {
		out = append(out, sr.built[from:c.pos]...)
		from = c.pos
		if !c.inserted {
			from++ // replaced or deleted
		}
		if _, present := sr.insts[c.id]; present {
			out = append(out, sr.entry(c.id, checked))
		}
	}
	out = append(out, sr.built[from:]...)
	sr.built, sr.changed = out, nil
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

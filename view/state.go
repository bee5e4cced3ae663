package view

import (
	"maps"
	"strings"

	"github.com/cloudmap/cloudmap"
)

// state is the mutable state the feed goroutine owns: the records as
// decoded from the store, and what changed since the last publish.
type state struct {
	namespaces map[string]*nsRec
	services   map[string]*svcRec
	dirtyNS    map[string]*nsRec
	dirtySvc   []*svcRec // services changed since the last publish
	last       *svcRec   // the service of the previous event (keys come grouped)
}

// nsRec is a namespace as the feed knows it; ns is nil once deleted.
type nsRec struct {
	id     string
	cell   cloudmap.Cell // the namespace's cell (zero: the default cell)
	cellID uint32        // its number in View.cells
	ns     *cloudmap.Namespace
	serial uint32
	slot   *nsSlot // published slot, nil when not published
}

// svcRec is a service with its instances and health records. svc is nil
// when the service is deleted or its record has not arrived yet (keys of
// one commit or snapshot come in any order).
type svcRec struct {
	id      string
	svc     *cloudmap.Service
	insts   map[string]*cloudmap.Instance
	health  map[string]cloudmap.HealthStatus
	rev     int64 // InstancesRevision
	touched int64 // last revision that changed anything of the service
	slot    *svcSlot
	dirty   bool   // in state.dirtySvc
	pubNS   string // namespace ID the slot is published under ("" if not)
	pubName string // key of the slot in that namespace's services
	pubChk  bool   // published in index.checked
	// built holds the instance entries (in id order) of the last
	// buildState, builtChecked whether the service had a health check
	// then, and changed the ids added, deleted, changed or whose health
	// changed since: publishing a service of many instances updates the
	// few that changed instead of rebuilding every entry. built nil means
	// not built yet.
	built        []cloudmap.InstanceEntry
	builtChecked bool
	changed      map[string]struct{}
}

func newState() *state {
	return &state{
		namespaces: map[string]*nsRec{}, services: map[string]*svcRec{},
		dirtyNS: map[string]*nsRec{},
	}
}

func (s *state) ns(id string) *nsRec {
	r := s.namespaces[id]
	if r == nil {
		r = &nsRec{id: id}
		s.namespaces[id] = r
	}
	s.dirtyNS[id] = r
	return r
}

func (s *state) svc(id string) *svcRec {
	r := s.last
	if r == nil || r.id != id {
		r = s.services[id]
		if r == nil {
			r = &svcRec{id: id, insts: map[string]*cloudmap.Instance{}}
			s.services[id] = r
		}
		s.last = r
	}
	s.markDirty(r)
	return r
}

func (s *state) markDirty(r *svcRec) {
	if !r.dirty {
		r.dirty = true
		s.dirtySvc = append(s.dirtySvc, r)
	}
}

// record is one decoded event.
type record struct {
	kind    byte   // 'n' namespace, 's' service, 'i' instance, 'h' health, 0 other
	cell    string // key prefix of the record's cell ("" for the default cell)
	id      string
	inst    string
	deleted bool
	ns      *cloudmap.Namespace
	svc     *cloudmap.Service
	in      *cloudmap.Instance
	health  cloudmap.HealthStatus
	err     error
}

// decode parses one event; keys outside the view's prefixes get kind 0.
// Keys of a cell other than the default one are parsed without their
// cell's prefix, which r.cell keeps.
func decode(e cloudmap.Event) record {
	var r record
	r.deleted = e.Deleted
	if strings.HasPrefix(e.Key, cloudmap.CellKeyPrefix) {
		var ok bool
		if r.cell, e.Key, ok = cloudmap.SplitCellKey(e.Key); !ok {
			return r
		}
	}
	switch {
	case strings.HasPrefix(e.Key, cloudmap.PrefixNamespace):
		r.kind, r.id = 'n', e.Key[len(cloudmap.PrefixNamespace):]
		if !r.deleted {
			r.ns = new(cloudmap.Namespace)
			r.err = cloudmap.Decode(e.Value, r.ns)
		}
	case strings.HasPrefix(e.Key, cloudmap.PrefixService):
		r.kind, r.id = 's', e.Key[len(cloudmap.PrefixService):]
		if !r.deleted {
			r.svc = new(cloudmap.Service)
			r.err = cloudmap.Decode(e.Value, r.svc)
		}
	case strings.HasPrefix(e.Key, cloudmap.PrefixInstance):
		var ok bool
		if r.id, r.inst, ok = cloudmap.SplitInstanceKey(cloudmap.PrefixInstance, e.Key); ok {
			r.kind = 'i'
			if !r.deleted {
				if r.in, r.err = decodeInstance(e.Value); r.err == nil {
					compactInstance(r.in, r.inst)
					r.inst = r.in.Id // owned: the map key does not keep the store key alive
				}
			}
		}
	case strings.HasPrefix(e.Key, cloudmap.PrefixHealth):
		var ok bool
		if r.id, r.inst, ok = cloudmap.SplitInstanceKey(cloudmap.PrefixHealth, e.Key); ok {
			r.kind = 'h'
			if !r.deleted {
				r.health, r.err = decodeHealth(e.Value)
				r.inst = strings.Clone(r.inst) // a map key: do not keep the store key alive
			}
		}
	}
	if r.kind == 0 || r.id == "" {
		r.kind = 0
	}
	return r
}

// apply applies one decoded record committed at rev.
func (s *state) apply(r *record, rev int64) {
	switch r.kind {
	case 'n':
		n := s.ns(r.id)
		n.ns = r.ns
		n.cell, _ = cloudmap.CellOfPrefix(r.cell)
		n.serial = uint32(rev)
	case 's':
		s.applyService(r, rev)
	case 'i':
		s.applyInstance(r, rev)
	case 'h':
		s.svc(r.id).applyHealth(r, rev)
	}
}

// applyHealth applies a health record of the service committed at rev.
func (sr *svcRec) applyHealth(r *record, rev int64) {
	old, had := sr.health[r.inst]
	switch {
	case r.deleted && had:
		delete(sr.health, r.inst)
		sr.touch(r.inst)
	case !r.deleted && (!had || old != r.health):
		if sr.health == nil {
			sr.health = map[string]cloudmap.HealthStatus{}
		}
		sr.health[r.inst] = r.health
		sr.touch(r.inst)
	default:
		return
	}
	sr.rev, sr.touched = rev, rev
}

func (s *state) applyService(r *record, rev int64) { s.svc(r.id).applyService(r, rev) }

// applyService applies the service record committed at rev.
func (sr *svcRec) applyService(r *record, rev int64) {
	old := sr.svc
	sr.svc = r.svc
	if sr.svc != nil {
		sr.svc.InstanceCount = 0
	}
	sr.touched = rev
	// The revision tells clients to refetch: it changes when the service
	// appears or disappears, or when health checking starts or stops
	// (which changes what DiscoverInstances returns).
	if old == nil || r.svc == nil || old.HasHealthCheck() != r.svc.HasHealthCheck() {
		sr.rev = rev
	}
}

func (s *state) applyInstance(r *record, rev int64) { s.svc(r.id).applyInstance(r, rev) }

// touch records that instance id, or its health, changed since the last
// build.
func (sr *svcRec) touch(id string) {
	if sr.built == nil {
		return // the next build builds every entry
	}
	if sr.changed == nil {
		sr.changed = map[string]struct{}{}
	}
	sr.changed[id] = struct{}{}
}

// applyInstance applies an instance record of the service committed at rev.
func (sr *svcRec) applyInstance(r *record, rev int64) {
	old, had := sr.insts[r.inst]
	if r.deleted {
		if !had {
			return
		}
		delete(sr.insts, r.inst)
		sr.touch(r.inst)
	} else {
		sr.touch(r.inst)
		r.in.Id = r.inst
		r.in.ServiceId = sr.id
		sr.insts[r.inst] = r.in
		if had && maps.Equal(old.Attributes, r.in.Attributes) {
			// Re-registered unchanged: discovery answers stay the same.
			return
		}
	}
	sr.rev, sr.touched = rev, rev
}

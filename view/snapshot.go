package view

import (
	"runtime"
	"strings"
	"sync"

	"github.com/cloudmap/cloudmap"
)

// A snapshot is the whole store at once: at startup 1,000,000 instances
// and their health. loadSnapshot builds a fresh state from it in two
// passes instead of applying it record by record like a commit:
//
//  1. one sequential pass over the keys only (no decoding) finds every
//     service, counts its instance and health records, and notes which
//     service owns each event;
//  2. GOMAXPROCS workers decode the values and apply them, each worker
//     owning a disjoint set of services, so they write to their own
//     services' maps without locks. Those maps are made at their final
//     size, so no map grows during the load.
//
// Every service is then marked dirty, and publish builds each
// ServiceEntry once (in parallel too, see publish).

// snapSvc is a service found by the first pass of a snapshot load.
type snapSvc struct {
	rec            *svcRec
	insts, healths int
}

// loadSnapshot returns a new state holding exactly the keys of the
// snapshot c, with every service marked dirty.
func (v *View) loadSnapshot(c cloudmap.Change) *state {
	s := newState()
	svcs, owner := s.scanSnapshot(c)
	workers := runtime.GOMAXPROCS(0)
	if len(c.Events) < 4096 || workers < 2 {
		workers = 1
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i, o := range owner {
				if o < 0 || int(o)%workers != w {
					continue
				}
				r := decode(c.Events[i])
				if r.err != nil {
					v.log.Error("skipping undecodable record", "key", c.Events[i].Key, "revision", c.Revision, "err", r.err)
					continue
				}
				sr := svcs[o].rec
				// A snapshot holds each key once, into a fresh state: no
				// earlier value to compare with, only puts.
				switch r.kind {
				case 's':
					sr.applyService(&r, c.Revision)
				case 'i':
					r.in.Id, r.in.ServiceId = r.inst, sr.id
					sr.insts[r.inst] = r.in
				case 'h':
					sr.health[r.inst] = r.health
				}
				sr.rev, sr.touched = c.Revision, c.Revision
			}
		})
	}
	wg.Wait()
	return s
}

// scanSnapshot is the first pass of loadSnapshot. It applies the
// namespaces (few) at once and creates every service record with maps
// sized for its instances and health records. owner[i] is the index in
// svcs of the service event i belongs to, or -1 for events the workers
// skip (namespaces, deletions, other prefixes, malformed keys).
func (s *state) scanSnapshot(c cloudmap.Change) (svcs []snapSvc, owner []int32) {
	owner = make([]int32, len(c.Events))
	index := map[string]int32{}
	cur := int32(-1) // keys come grouped by service: look the map up on change only
	for i, e := range c.Events {
		owner[i] = -1
		if e.Deleted {
			continue // a snapshot holds no deletions; nothing to delete from a fresh state anyway
		}
		var id string
		var kind byte
		key := e.Key
		if strings.HasPrefix(key, cloudmap.CellKeyPrefix) {
			var ok bool
			if _, key, ok = cloudmap.SplitCellKey(key); !ok {
				continue
			}
		}
		switch {
		case strings.HasPrefix(key, cloudmap.PrefixNamespace):
			r := decode(e)
			if r.kind != 0 && r.err == nil {
				s.apply(&r, c.Revision)
			}
			continue
		case strings.HasPrefix(key, cloudmap.PrefixService):
			id, kind = key[len(cloudmap.PrefixService):], 's'
		case strings.HasPrefix(key, cloudmap.PrefixInstance):
			id, _, _ = cloudmap.SplitInstanceKey(cloudmap.PrefixInstance, key)
			kind = 'i'
		case strings.HasPrefix(key, cloudmap.PrefixHealth):
			id, _, _ = cloudmap.SplitInstanceKey(cloudmap.PrefixHealth, key)
			kind = 'h'
		}
		if id == "" {
			continue
		}
		if cur < 0 || svcs[cur].rec.id != id {
			o, ok := index[id]
			if !ok {
				o = int32(len(svcs))
				index[id] = o
				svcs = append(svcs, snapSvc{rec: &svcRec{id: id}})
			}
			cur = o
		}
		owner[i] = cur
		switch kind {
		case 'i':
			svcs[cur].insts++
		case 'h':
			svcs[cur].healths++
		}
	}
	s.services = make(map[string]*svcRec, len(svcs))
	for _, ss := range svcs {
		sr := ss.rec
		sr.insts = make(map[string]*cloudmap.Instance, ss.insts)
		if ss.healths > 0 {
			sr.health = make(map[string]cloudmap.HealthStatus, ss.healths)
		}
		s.services[sr.id] = sr
		s.markDirty(sr)
	}
	return svcs, owner
}

package awsapi

import (
	"math"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/cloudmap/cloudmap"
)

// The DiscoverInstances answer is the hot path: most of its cost used to
// be encoding the same instance summaries again and again (a map walk and
// a dozen escaped strings per instance). The handler keeps the JSON of
// each summary it has sent, keyed by the identity of its Attributes map,
// so a default answer is a concatenation of ready fragments.
//
// The key is sound because the read model is immutable: the view shares
// an instance's Attributes map with every answer and never modifies it (a
// change of attributes is a new map), and the fragment holds the map (and
// the service's name string), so its address cannot be reused by another
// map while the fragment is cached. The other members are compared on
// every hit (their strings are usually the very same, so the comparison is
// a pointer check): a health change or a rename is a miss, never a stale
// answer.

// DefaultDiscoverCacheEntries is the number of fragments (about 300 bytes
// each) the DiscoverInstances cache holds before it starts over, when
// Config.DiscoverCacheEntries is 0.
const DefaultDiscoverCacheEntries = 1 << 18

// discoverShards spreads the services over locks.
const discoverShards = 64

// discoverCache holds the fragments in two levels: services, found by the
// address of the ServiceName string of the answer (every summary of one
// answer shares it, so there is one lookup in the big table per request),
// then instances, found by the address of their Attributes map among the
// fragments of that service. A service drops the fragments it has not sent
// for a while (see svcFragments.add); as a last resort, when more than
// limit fragments are held, the whole cache starts over, so memory stays
// bounded.
type discoverCache struct {
	limit int64
	state atomic.Pointer[discoverState]
}

type discoverState struct {
	n      atomic.Int64 // fragments added
	shards [discoverShards]struct {
		mu   sync.RWMutex
		svcs map[nameKey]*svcFragments
		_    [32]byte // keep shards on their own cache lines
	}
}

// nameKey identifies a string by its bytes' address and length.
type nameKey struct {
	p *byte
	n int
}

// svcFragments are the fragments of one service name, their JSON side by
// side in one arena so that an answer reads a few contiguous cache lines.
type svcFragments struct {
	name    string // the key: held so its address stays unique
	mu      sync.RWMutex
	refs    []fragRef
	index   map[unsafe.Pointer]int32 // into refs, once they outgrow a scan
	arena   []byte
	garbage int // arena bytes of replaced fragments
	sweepAt int // sweep unused fragments when refs reach this length
}

// fragRef locates the encoded JSON of one instance summary in the arena.
type fragRef struct {
	attrs  unsafe.Pointer // the key, the Attributes map: held so its address stays unique
	id, ns string
	health cloudmap.HealthStatus
	off, n int32
	seen   uint32 // 1 when sent since the last sweep (atomic under the read lock)
}

// scanRefs is the number of fragments a service looks up by a linear scan;
// minSweep is the smallest number of fragments a service sweeps at.
const (
	scanRefs = 16
	minSweep = 64
)

func newDiscoverCache(limit int) *discoverCache {
	if limit < 0 {
		return nil
	}
	if limit == 0 {
		limit = DefaultDiscoverCacheEntries
	}
	c := &discoverCache{limit: int64(limit)}
	c.state.Store(newDiscoverState())
	return c
}

func newDiscoverState() *discoverState {
	st := &discoverState{}
	for i := range st.shards {
		st.shards[i].svcs = map[nameKey]*svcFragments{}
	}
	return st
}

// appendOutput appends the JSON of a DiscoverInstances answer, the same
// members the generic encoder writes (Instances omitted when nil).
func (c *discoverCache) appendOutput(b []byte, out *cloudmap.DiscoverInstancesOutput) []byte {
	b = append(b, '{')
	if out.Instances != nil {
		b = append(b, `"Instances":[`...)
		st := c.state.Load()
		var sf *svcFragments
		for i := range out.Instances {
			if i > 0 {
				b = append(b, ',')
			}
			s := &out.Instances[i]
			if s.Attributes == nil || s.ServiceName == "" {
				b = appendSummary(b, s)
				continue
			}
			if sf == nil || sf.name != s.ServiceName {
				sf = st.service(s.ServiceName)
			}
			b = c.appendSummary(b, st, sf, s)
		}
		b = append(b, "],"...)
	}
	b = append(b, `"InstancesRevision":`...)
	b = strconv.AppendInt(b, out.InstancesRevision, 10)
	return append(b, '}')
}

// service returns the fragments of the service name, adding an empty set.
func (st *discoverState) service(name string) *svcFragments {
	key := nameKey{unsafe.StringData(name), len(name)}
	sh := &st.shards[uintptr(unsafe.Pointer(key.p))>>4%discoverShards]
	sh.mu.RLock()
	sf := sh.svcs[key]
	sh.mu.RUnlock()
	if sf != nil && sf.name == name {
		return sf
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sf = sh.svcs[key]; sf == nil || sf.name != name {
		sf = &svcFragments{name: name}
		sh.svcs[key] = sf
	}
	return sf
}

// appendSummary appends the JSON of s, a summary of service sf, from the
// cache when it holds it.
func (c *discoverCache) appendSummary(b []byte, st *discoverState, sf *svcFragments, s *cloudmap.HttpInstanceSummary) []byte {
	key := reflect.ValueOf(s.Attributes).UnsafePointer()
	sf.mu.RLock()
	if i := sf.find(key); i >= 0 {
		if r := &sf.refs[i]; r.id == s.InstanceId && r.health == s.HealthStatus && r.ns == s.NamespaceName {
			b = append(b, sf.arena[r.off:r.off+r.n]...)
			if atomic.LoadUint32(&r.seen) == 0 {
				atomic.StoreUint32(&r.seen, 1)
			}
			sf.mu.RUnlock()
			return b
		}
	}
	sf.mu.RUnlock()
	start := len(b)
	b = appendSummary(b, s)
	d := sf.add(fragRef{attrs: key, id: s.InstanceId, ns: s.NamespaceName, health: s.HealthStatus}, b[start:])
	if d > 0 && st.n.Add(int64(d)) >= c.limit {
		c.state.CompareAndSwap(st, newDiscoverState())
	} else if d < 0 {
		st.n.Add(int64(d))
	}
	return b
}

// find returns the index of the fragment of key in refs, or -1. The caller
// holds sf.mu.
func (sf *svcFragments) find(key unsafe.Pointer) int {
	if sf.index != nil {
		if i, ok := sf.index[key]; ok {
			return int(i)
		}
		return -1
	}
	for i := range sf.refs {
		if sf.refs[i].attrs == key {
			return i
		}
	}
	return -1
}

// add stores the fragment r with its JSON, replacing the one of the same
// key, and returns by how much the number of fragments changed: 1 for a
// new key, 0 for a replacement, less when a sweep dropped fragments.
//
// Fragments of instances no longer sent (deregistered, or registered
// again with new attributes) would pile up in a service whose instances
// come and go, so when the fragments double since the last sweep, those
// not sent since then are dropped.
func (sf *svcFragments) add(r fragRef, json []byte) int {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	if len(sf.arena)+len(json) > math.MaxInt32 {
		return 0 // not cached; never reached by real answers
	}
	r.off, r.n, r.seen = int32(len(sf.arena)), int32(len(json)), 1
	sf.arena = append(sf.arena, json...)
	if i := sf.find(r.attrs); i >= 0 {
		sf.garbage += int(sf.refs[i].n)
		sf.refs[i] = r
		if sf.garbage >= 4096 && 2*sf.garbage >= len(sf.arena) {
			sf.rebuild(false)
		}
		return 0
	}
	sf.refs = append(sf.refs, r)
	if len(sf.refs) >= max(sf.sweepAt, minSweep) {
		before := len(sf.refs)
		sf.rebuild(true)
		sf.sweepAt = 2 * len(sf.refs)
		return 1 - (before - len(sf.refs))
	}
	switch {
	case sf.index != nil:
		sf.index[r.attrs] = int32(len(sf.refs) - 1)
	case len(sf.refs) > scanRefs:
		sf.reindex()
	}
	return 1
}

// rebuild rewrites the arena with the live fragments only, after dropping
// (when sweep is set) those not sent since the last sweep.
func (sf *svcFragments) rebuild(sweep bool) {
	refs := sf.refs[:0]
	size := 0
	for _, r := range sf.refs {
		if !sweep || r.seen != 0 {
			refs = append(refs, r)
			size += int(r.n)
		}
	}
	clear(sf.refs[len(refs):]) // release the dropped keys
	arena := make([]byte, 0, size)
	for i := range refs {
		r := &refs[i]
		off := int32(len(arena))
		arena = append(arena, sf.arena[r.off:r.off+r.n]...)
		r.off = off
		if sweep {
			r.seen = 0
		}
	}
	sf.refs, sf.arena, sf.garbage = refs, arena, 0
	sf.reindex()
}

// reindex rebuilds the index when refs are too many for a scan.
func (sf *svcFragments) reindex() {
	sf.index = nil
	if len(sf.refs) <= scanRefs {
		return
	}
	sf.index = make(map[unsafe.Pointer]int32, 2*len(sf.refs))
	for i := range sf.refs {
		sf.index[sf.refs[i].attrs] = int32(i)
	}
}

// appendSummary encodes one summary as the generic encoder does: members in
// field order, empty strings and a nil map omitted.
func appendSummary(b []byte, s *cloudmap.HttpInstanceSummary) []byte {
	b = append(b, '{')
	for _, m := range [...]struct{ key, val string }{
		{`"InstanceId":`, s.InstanceId}, {`"NamespaceName":`, s.NamespaceName},
		{`"ServiceName":`, s.ServiceName}, {`"HealthStatus":`, string(s.HealthStatus)},
	} {
		if m.val != "" {
			b = appendMember(b, m.key)
			b = appendString(b, m.val)
		}
	}
	if s.Attributes != nil {
		b = appendMember(b, `"Attributes":`)
		b = appendStringMap(b, s.Attributes)
	}
	return append(b, '}')
}

// appendMember appends a member name, after a comma unless it is the first
// member of the object b ends in.
func appendMember(b []byte, name string) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	return append(b, name...)
}

// appendStringMap appends m as a JSON object.
func appendStringMap(b []byte, m map[string]string) []byte {
	b = append(b, '{')
	first := true
	for k, v := range m {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, v)
	}
	return append(b, '}')
}

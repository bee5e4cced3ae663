package view

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cloudmap/cloudmap"
)

// index is the state readers see. Its maps change only under mu (held by
// the feed goroutine for map assignments only); a service's current state
// is swapped in its slot with an atomic pointer, without the lock.
type index struct {
	mu     sync.RWMutex
	nsByID map[string]*nsSlot
	// cells holds the namespace names of each cell (the zero Cell is the
	// default cell).
	cells map[cloudmap.Cell]*cellIndex
	// zones lists the DNS namespaces of every cell by lower-case name,
	// oldest first.
	zones   map[string][]*cloudmap.Namespace
	svcByID map[string]*svcSlot
	checked map[string]*svcSlot // services with a HealthCheckConfig
}

// cellIndex finds the namespaces of one cell by name.
type cellIndex struct {
	nsByHTTP map[string]*nsSlot // HttpName, exact
	nsByFold map[string]*nsSlot // lower-case HttpName of DNS namespaces
}

// nsSlot is a published namespace. ns and services are guarded by index.mu.
type nsSlot struct {
	ns       *cloudmap.Namespace
	httpName string
	// services maps the service name (lower-case in DNS namespaces, where
	// names differing only in case cannot coexist) to its slot.
	services map[string]*svcSlot
	// parents counts, for every name that is a proper dot-suffix of a
	// service name ("_tcp" for "_http._tcp"), the services below it: such
	// names exist in DNS (empty non-terminals) and answer NODATA.
	parents map[string]int
	serial  atomic.Uint32
}

// putService publishes sl under name. Caller holds index.mu.
func (ns *nsSlot) putService(name string, sl *svcSlot) {
	if _, ok := ns.services[name]; !ok {
		ns.countParents(name, 1)
	}
	ns.services[name] = sl
}

// removeService unpublishes name. Caller holds index.mu.
func (ns *nsSlot) removeService(name string) {
	if _, ok := ns.services[name]; ok {
		delete(ns.services, name)
		ns.countParents(name, -1)
	}
}

func (ns *nsSlot) countParents(name string, d int) {
	for i := strings.IndexByte(name, '.'); i >= 0; i = strings.IndexByte(name, '.') {
		name = name[i+1:]
		if ns.parents == nil {
			ns.parents = map[string]int{}
		}
		if ns.parents[name] += d; ns.parents[name] <= 0 {
			delete(ns.parents, name)
		}
	}
}

// svcSlot holds the current state of one service.
type svcSlot struct {
	p atomic.Pointer[svcState]
}

func (s *svcSlot) load() *svcState { return s.p.Load() }

// svcState is the immutable published state of a service: its entry plus
// precomputed indexes of its instances by health.
type svcState struct {
	entry     *cloudmap.ServiceEntry
	nsName    string // the namespace's HttpName, reported by DiscoverInstances
	checked   bool   // the service has a health check (active or custom)
	cell      uint32 // the service's cell, numbered by View.cells (0: the default cell)
	healthy   []int32
	unhealthy []int32 // instances whose status is not HEALTHY
}

func (x *index) init() {
	x.nsByID = map[string]*nsSlot{}
	x.cells = map[cloudmap.Cell]*cellIndex{}
	x.zones = map[string][]*cloudmap.Namespace{}
	x.svcByID = map[string]*svcSlot{}
	x.checked = map[string]*svcSlot{}
}

func (x *index) serviceCount() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.svcByID)
}

// serviceKey is the key of a service name in its namespace's map.
func serviceKey(t cloudmap.NamespaceType, name string) string {
	if t.IsDNS() {
		return asciiLower(name)
	}
	return name
}

// asciiLower lower-cases the ASCII letters of s (DNS names compare
// case-insensitively in ASCII only).
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// namespaceByHTTPName returns the namespace of the cell whose HttpName is
// name: exact first, then case-insensitively among DNS namespaces. Caller
// holds mu.
func (x *index) namespaceByHTTPName(cell cloudmap.Cell, name string) *nsSlot {
	ci := x.cells[cell]
	if ci == nil {
		return nil
	}
	if ns := ci.nsByHTTP[name]; ns != nil {
		return ns
	}
	return lookupFold(ci.nsByFold, name)
}

// service returns the slot of the service named name in ns. Caller holds mu.
func (ns *nsSlot) service(name string) *svcSlot {
	if ns.ns.Type.IsDNS() {
		return lookupFold(ns.services, name)
	}
	return ns.services[name]
}

// lookupFold looks name up in a map keyed by lower-case ASCII strings
// without allocating for names up to 256 bytes.
func lookupFold[T any](m map[string]T, name string) T {
	upper := false
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' {
			upper = true
			break
		}
	}
	if !upper {
		return m[name]
	}
	var buf [256]byte
	if len(name) > len(buf) {
		return m[asciiLower(name)]
	}
	b := buf[:len(name)]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return m[string(b)]
}

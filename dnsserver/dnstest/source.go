// Package dnstest provides an in-memory dnsserver.Source for tests and
// benchmarks: namespaces and services are put in directly, without a store
// or a view.
package dnstest

import (
	"strings"
	"sync"

	cloudmap "github.com/cloudmap/cloudmap"
)

// svcKey names a service inside a namespace; name is lowercased.
type svcKey struct{ ns, name string }

// Source is a fake view. It is safe for concurrent use; entries put in are
// treated as immutable, as the real view's are.
type Source struct {
	mu       sync.RWMutex
	zones    map[string][]*cloudmap.Namespace
	byID     map[string]*cloudmap.Namespace
	services map[svcKey]*cloudmap.ServiceEntry
	below    map[svcKey]int // proper suffixes of service names, with counts
	serials  map[string]uint32
}

// New returns an empty Source.
func New() *Source {
	return &Source{
		zones:    map[string][]*cloudmap.Namespace{},
		byID:     map[string]*cloudmap.Namespace{},
		services: map[svcKey]*cloudmap.ServiceEntry{},
		below:    map[svcKey]int{},
		serials:  map[string]uint32{},
	}
}

// PutNamespace adds or replaces a namespace (matched by Id). HTTP
// namespaces are kept but never returned by ZonesNamed, like the view.
func (s *Source) PutNamespace(ns *cloudmap.Namespace) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.byID[ns.Id]; old != nil {
		s.dropZone(old)
	}
	s.byID[ns.Id] = ns
	if ns.Type.IsDNS() {
		k := strings.ToLower(strings.TrimSuffix(ns.Name, "."))
		s.zones[k] = append(s.zones[k], ns)
	}
	s.serials[ns.Id]++
}

// RemoveNamespace deletes a namespace by ID.
func (s *Source) RemoveNamespace(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.byID[id]; old != nil {
		s.dropZone(old)
		delete(s.byID, id)
	}
}

func (s *Source) dropZone(ns *cloudmap.Namespace) {
	k := strings.ToLower(strings.TrimSuffix(ns.Name, "."))
	var keep []*cloudmap.Namespace
	for _, z := range s.zones[k] {
		if z.Id != ns.Id {
			keep = append(keep, z)
		}
	}
	if len(keep) == 0 {
		delete(s.zones, k)
		return
	}
	s.zones[k] = keep
}

// PutService adds or replaces the entry of a service (matched by namespace
// ID and case-insensitive name) and bumps the namespace's serial.
func (s *Source) PutService(e *cloudmap.ServiceEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := svcKey{e.Service.NamespaceId, strings.ToLower(e.Service.Name)}
	if _, ok := s.services[k]; !ok {
		s.addBelow(k, 1)
	}
	s.services[k] = e
	s.serials[k.ns]++
}

// RemoveService deletes a service and bumps the namespace's serial.
func (s *Source) RemoveService(namespaceID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := svcKey{namespaceID, strings.ToLower(name)}
	if _, ok := s.services[k]; ok {
		delete(s.services, k)
		s.addBelow(k, -1)
		s.serials[namespaceID]++
	}
}

// addBelow counts the proper suffixes of a service name ("b.c" and "c" for
// "a.b.c") so that HasServiceBelow is one map lookup.
func (s *Source) addBelow(k svcKey, d int) {
	for name := k.name; ; {
		i := strings.IndexByte(name, '.')
		if i < 0 || i == len(name)-1 {
			return
		}
		name = name[i+1:]
		bk := svcKey{k.ns, name}
		if s.below[bk] += d; s.below[bk] <= 0 {
			delete(s.below, bk)
		}
	}
}

// ZonesNamed implements dnsserver.Source.
func (s *Source) ZonesNamed(name string) []*cloudmap.Namespace {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.zones[strings.ToLower(name)]
}

// ServiceNamed implements dnsserver.Source.
func (s *Source) ServiceNamed(namespaceID, name string) *cloudmap.ServiceEntry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.services[svcKey{namespaceID, strings.ToLower(name)}]
}

// ZoneSerial implements dnsserver.Source.
func (s *Source) ZoneSerial(namespaceID string) uint32 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.serials[namespaceID]
}

// HasServiceBelow implements dnsserver.NameTree.
func (s *Source) HasServiceBelow(namespaceID, name string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.below[svcKey{namespaceID, strings.ToLower(name)}] > 0
}

// Services implements dnsserver.Lister.
func (s *Source) Services(namespaceID string) []*cloudmap.ServiceEntry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*cloudmap.ServiceEntry
	for k, e := range s.services {
		if k.ns == namespaceID {
			out = append(out, e)
		}
	}
	return out
}

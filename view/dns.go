package view

import (
	"strings"

	"github.com/cloudmap/cloudmap"
)

// ZonesNamed returns the DNS namespaces (DNS_PRIVATE, DNS_PUBLIC) of every
// cell whose name equals name case-insensitively (name without its trailing
// dot), oldest first (CreateDate, then ID); nil when none. The slice is shared: do not modify it.
// It does not allocate.
func (v *View) ZonesNamed(name string) []*cloudmap.Namespace {
	if n := len(name); n > 0 && name[n-1] == '.' {
		name = name[:n-1]
	}
	v.idx.mu.RLock()
	z := lookupFold(v.idx.zones, name)
	v.idx.mu.RUnlock()
	return z
}

// ZonesBelow returns the DNS namespaces whose name lies strictly below name
// (ends in "." + name, case-insensitively). It walks every zone: it serves
// rare checks, such as whether a new namespace would hide another.
func (v *View) ZonesBelow(name string) []*cloudmap.Namespace {
	suffix := "." + asciiLower(strings.TrimSuffix(name, "."))
	v.idx.mu.RLock()
	defer v.idx.mu.RUnlock()
	var out []*cloudmap.Namespace
	for zone, nss := range v.idx.zones {
		if strings.HasSuffix(zone, suffix) {
			out = append(out, nss...)
		}
	}
	return out
}

// ServiceNamed returns the service called name in the namespace (matched
// case-insensitively in DNS namespaces, exactly in HTTP ones), or nil. The
// entry is immutable. It does not allocate.
func (v *View) ServiceNamed(namespaceID, name string) *cloudmap.ServiceEntry {
	v.idx.mu.RLock()
	var slot *svcSlot
	if ns := v.idx.nsByID[namespaceID]; ns != nil {
		slot = ns.service(name)
	}
	v.idx.mu.RUnlock()
	if slot == nil {
		return nil
	}
	return slot.load().entry
}

// ZoneSerial returns a number that grows whenever anything in the namespace
// changes (the namespace, its services, their instances and health): the
// low 32 bits of the store revision of the last such change, which SOA
// serial arithmetic (RFC 1982) tolerates wrapping. 0 for an unknown
// namespace.
func (v *View) ZoneSerial(namespaceID string) uint32 {
	v.idx.mu.RLock()
	ns := v.idx.nsByID[namespaceID]
	v.idx.mu.RUnlock()
	if ns == nil {
		return 0
	}
	return ns.serial.Load()
}

// NamespaceOfService returns the namespace of a service by ID.
func (v *View) NamespaceOfService(serviceID string) (*cloudmap.Namespace, bool) {
	v.idx.mu.RLock()
	slot := v.idx.svcByID[serviceID]
	v.idx.mu.RUnlock()
	if slot == nil {
		return nil, false
	}
	return slot.load().entry.Namespace, true
}

// Namespace returns a namespace by ID.
func (v *View) Namespace(id string) (*cloudmap.Namespace, bool) {
	v.idx.mu.RLock()
	defer v.idx.mu.RUnlock()
	if ns := v.idx.nsByID[id]; ns != nil {
		return ns.ns, true
	}
	return nil, false
}

// Service returns the current entry of a service by ID.
func (v *View) Service(id string) (*cloudmap.ServiceEntry, bool) {
	v.idx.mu.RLock()
	slot := v.idx.svcByID[id]
	v.idx.mu.RUnlock()
	if slot == nil {
		return nil, false
	}
	return slot.load().entry, true
}

// HasServiceBelow reports whether the namespace has a service whose name
// ends in "." + name (case-insensitively): such a name exists in DNS as an
// empty non-terminal, so it answers NODATA rather than NXDOMAIN.
func (v *View) HasServiceBelow(namespaceID, name string) bool {
	v.idx.mu.RLock()
	defer v.idx.mu.RUnlock()
	ns := v.idx.nsByID[namespaceID]
	return ns != nil && ns.ns.Type.IsDNS() && lookupFold(ns.parents, name) > 0
}

package view

import "github.com/cloudmap/cloudmap"

// DNSNamespaces returns every DNS namespace (DNS_PUBLIC and DNS_PRIVATE),
// in no particular order: the hosted zones the Route 53 API lists. The
// namespaces are shared and immutable.
func (v *View) DNSNamespaces() []*cloudmap.Namespace {
	v.idx.mu.RLock()
	defer v.idx.mu.RUnlock()
	out := make([]*cloudmap.Namespace, 0, len(v.idx.nsByID))
	for _, ns := range v.idx.nsByID {
		if ns.ns.Type.IsDNS() {
			out = append(out, ns.ns)
		}
	}
	return out
}

// Services returns the current entry of every service of the namespace,
// in no particular order; nil for an unknown namespace. Entries are
// immutable.
func (v *View) Services(namespaceID string) []*cloudmap.ServiceEntry {
	v.idx.mu.RLock()
	ns := v.idx.nsByID[namespaceID]
	var slots []*svcSlot
	if ns != nil {
		slots = make([]*svcSlot, 0, len(ns.services))
		for _, sl := range ns.services {
			slots = append(slots, sl)
		}
	}
	v.idx.mu.RUnlock()
	out := make([]*cloudmap.ServiceEntry, 0, len(slots))
	for _, sl := range slots {
		if st := sl.load(); st != nil && st.entry != nil {
			out = append(out, st.entry)
		}
	}
	return out
}

package dnsserver

import cloudmap "github.com/cloudmap/cloudmap"

// Source is the part of the in-memory view the DNS server reads. Every query
// reads it afresh: the server keeps no cache of its own, so a change the
// view has applied is visible to the next query.
type Source interface {
	// ZonesNamed returns the DNS namespaces (DNS_PRIVATE/DNS_PUBLIC) of every cell whose name
	// equals name case-insensitively (name without trailing dot), oldest first; nil when none.
	ZonesNamed(name string) []*cloudmap.Namespace
	// ServiceNamed returns the service of the namespace with that name (case-insensitive), or nil.
	ServiceNamed(namespaceID, name string) *cloudmap.ServiceEntry
	// ZoneSerial returns a number that grows whenever anything in the namespace changes.
	ZoneSerial(namespaceID string) uint32
}

// NameTree is an optional extension of Source. When the Source implements
// it, names that exist only because a longer service name ends in them
// (empty non-terminals such as "_tcp.example.local" when the service
// "_http._tcp" exists) answer NODATA instead of NXDOMAIN.
type NameTree interface {
	// HasServiceBelow reports whether the namespace has a service whose
	// name ends in "." + name, compared case-insensitively.
	HasServiceBelow(namespaceID, name string) bool
}

package cloudmap

import "time"

// NamespaceType is the kind of a namespace.
type NamespaceType string

// Namespace types of the model.
const (
	NamespaceHTTP       NamespaceType = "HTTP"
	NamespaceDNSPrivate NamespaceType = "DNS_PRIVATE"
	NamespaceDNSPublic  NamespaceType = "DNS_PUBLIC"
)

// IsDNS reports whether namespaces of this type are served in DNS.
func (t NamespaceType) IsDNS() bool { return t == NamespaceDNSPrivate || t == NamespaceDNSPublic }

// Namespace is a namespace as stored and as returned by GetNamespace.
// ServiceCount is computed when read, never stored.
type Namespace struct {
	Id               string
	Arn              string
	ResourceOwner    string
	Name             string
	Type             NamespaceType
	Description      string
	ServiceCount     int32
	Properties       NamespaceProperties
	CreateDate       time.Time
	CreatorRequestId string
	// Vpc is the VPC a private DNS namespace was created for. It is kept
	// only for idempotency checks and never sent on the wire.
	Vpc string `wire:"-"`
}

// NamespaceProperties holds the DNS and HTTP properties of a namespace.
type NamespaceProperties struct {
	DnsProperties  *DnsProperties
	HttpProperties *HttpProperties
}

// DnsProperties are the DNS properties of a namespace.
type DnsProperties struct {
	HostedZoneId string
	SOA          *SOA
}

// HttpProperties are the HTTP properties of a namespace; HttpName is the name
// DiscoverInstances takes as NamespaceName.
type HttpProperties struct {
	HttpName string
}

// SOA carries the TTL of a zone's SOA record, used for negative caching.
// TTL is required in requests; it is absent in the empty SOA that HTTP
// namespaces show.
type SOA struct {
	TTL *int64
}

// NewSOA returns an SOA with the TTL.
func NewSOA(ttl int64) *SOA { return &SOA{TTL: &ttl} }

// SOATTL returns the namespace's SOA TTL, or def when it has none.
func (n *Namespace) SOATTL(def int64) int64 {
	if p := n.Properties.DnsProperties; p != nil && p.SOA != nil && p.SOA.TTL != nil {
		return *p.SOA.TTL
	}
	return def
}

// HttpName returns the name DiscoverInstances knows the namespace by.
func (n *Namespace) HttpName() string {
	if p := n.Properties.HttpProperties; p != nil && p.HttpName != "" {
		return p.HttpName
	}
	return n.Name
}

// NamespaceSummary is an item of ListNamespaces.
type NamespaceSummary struct {
	Id            string
	Arn           string
	ResourceOwner string
	Name          string
	Type          NamespaceType
	Description   string
	ServiceCount  int32
	Properties    NamespaceProperties
	CreateDate    time.Time
}

// Summary returns the list form of n.
func (n *Namespace) Summary() NamespaceSummary {
	return NamespaceSummary{Id: n.Id, Arn: n.Arn, ResourceOwner: n.ResourceOwner, Name: n.Name,
		Type: n.Type, Description: n.Description, ServiceCount: n.ServiceCount,
		Properties: n.Properties, CreateDate: n.CreateDate}
}

package cloudmap

import "time"

// ServiceType is the type of a service as AWS derives it.
type ServiceType string

// Service types of the model.
const (
	ServiceHTTP    ServiceType = "HTTP"
	ServiceDNSHTTP ServiceType = "DNS_HTTP"
	ServiceDNS     ServiceType = "DNS"
)

// RoutingPolicy is the DNS routing policy of a service.
type RoutingPolicy string

// Routing policies of the model.
const (
	RoutingMultivalue RoutingPolicy = "MULTIVALUE"
	RoutingWeighted   RoutingPolicy = "WEIGHTED"
)

// RecordType is a DNS record type a service can create.
type RecordType string

// Record types of the model.
const (
	RecordA     RecordType = "A"
	RecordAAAA  RecordType = "AAAA"
	RecordSRV   RecordType = "SRV"
	RecordCNAME RecordType = "CNAME"
)

// HealthCheckType is the protocol of a Route 53 style health check.
type HealthCheckType string

// Health check types of the model.
const (
	HealthCheckHTTP  HealthCheckType = "HTTP"
	HealthCheckHTTPS HealthCheckType = "HTTPS"
	HealthCheckTCP   HealthCheckType = "TCP"
)

// Service is a service as stored and as returned by GetService.
// InstanceCount is computed when read, never stored.
type Service struct {
	Id                      string
	Arn                     string
	ResourceOwner           string
	Name                    string
	NamespaceId             string
	Description             string
	InstanceCount           int32
	DnsConfig               *DnsConfig
	Type                    ServiceType
	HealthCheckConfig       *HealthCheckConfig
	HealthCheckCustomConfig *HealthCheckCustomConfig
	CreateDate              time.Time
	CreatorRequestId        string
	CreatedByAccount        string
	// Extensions are the settings of cloudmap's extensions, from the
	// service's cloudmap.* attributes (extensions.go); never on the wire.
	Extensions *ServiceExtensions `wire:"-"`
}

// DnsConfig says which records instances of a service get.
type DnsConfig struct {
	NamespaceId   string
	RoutingPolicy RoutingPolicy
	DnsRecords    []DnsRecord
}

// DnsRecord is one record type with its TTL.
type DnsRecord struct {
	Type RecordType
	TTL  int64
}

// HealthCheckConfig asks for an active HTTP, HTTPS or TCP health check.
type HealthCheckConfig struct {
	Type             HealthCheckType
	ResourcePath     string
	FailureThreshold int32
}

// HealthCheckCustomConfig asks for custom health reported through the API.
type HealthCheckCustomConfig struct {
	FailureThreshold int32
}

// HasHealthCheck reports whether the service's instances have a health status
// (an active or a custom check). Services without one count every instance
// healthy.
func (s *Service) HasHealthCheck() bool {
	return s.HealthCheckConfig != nil || s.HealthCheckCustomConfig != nil
}

// Record returns the DNS record of type t of the service and whether it has one.
func (s *Service) Record(t RecordType) (DnsRecord, bool) {
	if s.DnsConfig == nil {
		return DnsRecord{}, false
	}
	for _, r := range s.DnsConfig.DnsRecords {
		if r.Type == t {
			return r, true
		}
	}
	return DnsRecord{}, false
}

// ServiceSummary is an item of ListServices.
type ServiceSummary struct {
	Id                      string
	Arn                     string
	ResourceOwner           string
	Name                    string
	Type                    ServiceType
	Description             string
	InstanceCount           int32
	DnsConfig               *DnsConfig
	HealthCheckConfig       *HealthCheckConfig
	HealthCheckCustomConfig *HealthCheckCustomConfig
	CreateDate              time.Time
	CreatedByAccount        string
}

// Summary returns the list form of s.
func (s *Service) Summary() ServiceSummary {
	return ServiceSummary{Id: s.Id, Arn: s.Arn, ResourceOwner: s.ResourceOwner, Name: s.Name,
		Type: s.Type, Description: s.Description, InstanceCount: s.InstanceCount,
		DnsConfig: s.DnsConfig, HealthCheckConfig: s.HealthCheckConfig,
		HealthCheckCustomConfig: s.HealthCheckCustomConfig, CreateDate: s.CreateDate,
		CreatedByAccount: s.CreatedByAccount}
}

// ServiceAttributes are the key/value attributes of a service.
type ServiceAttributes struct {
	ServiceArn    string
	ResourceOwner string
	Attributes    map[string]string
}

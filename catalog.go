package cloudmap

// The read model the in-memory view publishes to its readers (discovery,
// DNS, health checking). Entries are immutable once published: the view
// replaces an entry on change and never mutates one a reader may hold.

// ServiceEntry is a service with its namespace and its instances.
type ServiceEntry struct {
	Service   *Service
	Namespace *Namespace
	// Instances are sorted by instance ID.
	Instances []InstanceEntry
	// Revision is the service's InstancesRevision: it changes whenever an
	// instance is registered, deregistered, changes attributes or health.
	Revision int64
}

// InstanceEntry is an instance with its current health. For services
// without a health check Health is Unknown and the instance counts healthy.
type InstanceEntry struct {
	Instance *Instance
	Health   HealthStatus
}

// RoutesAsHealthy reports whether DNS and discovery treat the instance as
// healthy: services without any health check count every instance healthy.
func (e *ServiceEntry) RoutesAsHealthy(i InstanceEntry) bool {
	return !e.Service.HasHealthCheck() || i.Health == Healthy
}

// HealthTarget is one instance an active health check probes.
type HealthTarget struct {
	ServiceId  string
	InstanceId string
	Config     HealthCheckConfig
	// IPv4 and Port are the instance's AWS_INSTANCE_IPV4 and
	// AWS_INSTANCE_PORT attributes as registered ("" when absent).
	IPv4 string
	Port string
	// Health is the stored status the checker starts from.
	Health HealthStatus
	// Cell is the instance's cell; the zero Cell is the default cell.
	Cell Cell
}

// RecordSet is one record set of the zone of a DNS namespace, as the Route
// 53 hosted zone behind a Cloud Map namespace holds it: the DNS server
// answers from exactly these records. Records Cloud Map makes for an
// instance are one set per instance (SetIdentifier is the instance ID),
// carrying the service's routing policy; the apex NS and SOA sets and the
// name servers' glue addresses have neither.
type RecordSet struct {
	// Name is the owner name, fully qualified, in lower case.
	Name string
	// Type is the record type: A, AAAA, CNAME, SRV, NS or SOA.
	Type string
	TTL  int64
	// SetIdentifier is the instance ID of a per-instance set, else "".
	SetIdentifier string
	// Routing is the service's routing policy for per-instance sets, else "".
	Routing RoutingPolicy
	// Values are the records' data in DNS presentation format.
	Values []string
}

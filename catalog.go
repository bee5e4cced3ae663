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
}

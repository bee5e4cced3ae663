package cloudmap

// Reserved instance attributes.
const (
	AttrIPv4          = "AWS_INSTANCE_IPV4"
	AttrIPv6          = "AWS_INSTANCE_IPV6"
	AttrPort          = "AWS_INSTANCE_PORT"
	AttrCNAME         = "AWS_INSTANCE_CNAME"
	AttrAliasDNSName  = "AWS_ALIAS_DNS_NAME"
	AttrEC2InstanceID = "AWS_EC2_INSTANCE_ID"
	AttrInitHealth    = "AWS_INIT_HEALTH_STATUS"
)

// HealthStatus is the health of an instance.
type HealthStatus string

// Health statuses of the model.
const (
	Healthy   HealthStatus = "HEALTHY"
	Unhealthy HealthStatus = "UNHEALTHY"
	Unknown   HealthStatus = "UNKNOWN"
)

// HealthStatusFilter selects instances by health in DiscoverInstances.
type HealthStatusFilter string

// Health status filters of the model.
const (
	FilterHealthy          HealthStatusFilter = "HEALTHY"
	FilterUnhealthy        HealthStatusFilter = "UNHEALTHY"
	FilterAll              HealthStatusFilter = "ALL"
	FilterHealthyOrElseAll HealthStatusFilter = "HEALTHY_OR_ELSE_ALL"
)

// Instance is a registered instance as stored and as returned by GetInstance.
type Instance struct {
	Id               string
	CreatorRequestId string
	Attributes       map[string]string
	CreatedByAccount string
	// ServiceId is the service the instance belongs to; not on the wire.
	ServiceId string `wire:"-"`
}

// InstanceSummary is an item of ListInstances.
type InstanceSummary struct {
	Id               string
	Attributes       map[string]string
	CreatedByAccount string
}

// HttpInstanceSummary is an item of DiscoverInstances.
type HttpInstanceSummary struct {
	InstanceId    string
	NamespaceName string
	ServiceName   string
	HealthStatus  HealthStatus
	Attributes    map[string]string
}

// Health is the stored health of one instance. Status changes are the only
// writes health checking makes.
type Health struct {
	Status HealthStatus
}

package cloudmap

import "context"

// The input and output of every operation of the model, with the model's
// member names. Optional numbers are zero when absent (the model's ranges
// never allow zero where absence matters). awsapi decodes requests into the
// inputs and encodes the outputs, omitting empty members.

// CreateHttpNamespaceInput is the input of CreateHttpNamespace.
type CreateHttpNamespaceInput struct {
	Name             string
	CreatorRequestId string
	Description      string
	Tags             []Tag
}

// CreatePrivateDnsNamespaceInput is the input of CreatePrivateDnsNamespace.
type CreatePrivateDnsNamespaceInput struct {
	Name             string
	CreatorRequestId string
	Description      string
	Vpc              string
	Tags             []Tag
	Properties       *DnsNamespaceProperties
}

// CreatePublicDnsNamespaceInput is the input of CreatePublicDnsNamespace.
type CreatePublicDnsNamespaceInput struct {
	Name             string
	CreatorRequestId string
	Description      string
	Tags             []Tag
	Properties       *DnsNamespaceProperties
}

// DnsNamespaceProperties are the create and change properties of a DNS
// namespace (Private/PublicDnsNamespaceProperties and their Change forms).
type DnsNamespaceProperties struct {
	DnsProperties *DnsPropertiesMutable
}

// DnsPropertiesMutable holds the SOA of a DNS namespace.
type DnsPropertiesMutable struct {
	SOA *SOA
}

// OperationOutput is the output of every asynchronous operation.
type OperationOutput struct {
	OperationId string
}

// UpdateHttpNamespaceInput is the input of UpdateHttpNamespace.
type UpdateHttpNamespaceInput struct {
	Id               string
	UpdaterRequestId string
	Namespace        *NamespaceChange
}

// UpdateDnsNamespaceInput is the input of UpdatePrivateDnsNamespace and
// UpdatePublicDnsNamespace.
type UpdateDnsNamespaceInput struct {
	Id               string
	UpdaterRequestId string
	Namespace        *NamespaceChange
}

// NamespaceChange is HttpNamespaceChange, PrivateDnsNamespaceChange or
// PublicDnsNamespaceChange. Description is a pointer because an update may
// leave it out (DNS) or set it to "".
type NamespaceChange struct {
	Description *string
	Properties  *DnsNamespaceProperties
}

// IdInput is the input of GetNamespace, DeleteNamespace, GetService and
// DeleteService.
type IdInput struct {
	Id string
}

// GetNamespaceOutput is the output of GetNamespace.
type GetNamespaceOutput struct {
	Namespace *Namespace
}

// Filter is a NamespaceFilter, ServiceFilter or OperationFilter.
type Filter struct {
	Name      string
	Values    []string
	Condition string
}

// ListInput is the input of ListNamespaces, ListServices and ListOperations.
type ListInput struct {
	NextToken  string
	MaxResults int32
	Filters    []Filter
}

// ListNamespacesOutput is the output of ListNamespaces.
type ListNamespacesOutput struct {
	Namespaces []NamespaceSummary
	NextToken  string
}

// CreateServiceInput is the input of CreateService.
type CreateServiceInput struct {
	Name                    string
	NamespaceId             string
	CreatorRequestId        string
	Description             string
	DnsConfig               *DnsConfig
	HealthCheckConfig       *HealthCheckConfig
	HealthCheckCustomConfig *HealthCheckCustomConfig
	Tags                    []Tag
	Type                    string
}

// ServiceOutput is the output of CreateService and GetService.
type ServiceOutput struct {
	Service *Service
}

// ListServicesOutput is the output of ListServices.
type ListServicesOutput struct {
	Services  []ServiceSummary
	NextToken string
}

// UpdateServiceInput is the input of UpdateService.
type UpdateServiceInput struct {
	Id      string
	Service *ServiceChange
}

// ServiceChange is the change UpdateService applies.
type ServiceChange struct {
	Description       *string
	DnsConfig         *DnsConfigChange
	HealthCheckConfig *HealthCheckConfig
}

// DnsConfigChange carries the new TTLs of a service's records.
type DnsConfigChange struct {
	DnsRecords []DnsRecord
}

// ServiceIdInput is the input of GetServiceAttributes.
type ServiceIdInput struct {
	ServiceId string
}

// GetServiceAttributesOutput is the output of GetServiceAttributes.
type GetServiceAttributesOutput struct {
	ServiceAttributes *ServiceAttributes
}

// UpdateServiceAttributesInput is the input of UpdateServiceAttributes.
type UpdateServiceAttributesInput struct {
	ServiceId  string
	Attributes map[string]string
}

// DeleteServiceAttributesInput is the input of DeleteServiceAttributes.
type DeleteServiceAttributesInput struct {
	ServiceId  string
	Attributes []string
}

// RegisterInstanceInput is the input of RegisterInstance.
type RegisterInstanceInput struct {
	ServiceId        string
	InstanceId       string
	CreatorRequestId string
	Attributes       map[string]string
}

// InstanceInput is the input of DeregisterInstance and GetInstance.
type InstanceInput struct {
	ServiceId  string
	InstanceId string
}

// GetInstanceOutput is the output of GetInstance.
type GetInstanceOutput struct {
	ResourceOwner string
	Instance      *Instance
}

// ListInstancesInput is the input of ListInstances.
type ListInstancesInput struct {
	ServiceId  string
	NextToken  string
	MaxResults int32
}

// ListInstancesOutput is the output of ListInstances.
type ListInstancesOutput struct {
	ResourceOwner string
	Instances     []InstanceSummary
	NextToken     string
}

// GetOperationInput is the input of GetOperation.
type GetOperationInput struct {
	OperationId  string
	OwnerAccount string
}

// GetOperationOutput is the output of GetOperation.
type GetOperationOutput struct {
	Operation *Operation
}

// ListOperationsOutput is the output of ListOperations.
type ListOperationsOutput struct {
	Operations []OperationSummary
	NextToken  string
}

// TagResourceInput is the input of TagResource.
type TagResourceInput struct {
	ResourceARN string
	Tags        []Tag
}

// UntagResourceInput is the input of UntagResource.
type UntagResourceInput struct {
	ResourceARN string
	TagKeys     []string
}

// ResourceARNInput is the input of ListTagsForResource.
type ResourceARNInput struct {
	ResourceARN string
}

// ListTagsForResourceOutput is the output of ListTagsForResource.
type ListTagsForResourceOutput struct {
	Tags []Tag
}

// DiscoverInstancesInput is the input of DiscoverInstances.
type DiscoverInstancesInput struct {
	NamespaceName      string
	ServiceName        string
	MaxResults         int32
	QueryParameters    map[string]string
	OptionalParameters map[string]string
	HealthStatus       HealthStatusFilter
	OwnerAccount       string
}

// DiscoverInstancesOutput is the output of DiscoverInstances.
type DiscoverInstancesOutput struct {
	Instances         []HttpInstanceSummary
	InstancesRevision int64
}

// DiscoverInstancesRevisionInput is the input of DiscoverInstancesRevision.
type DiscoverInstancesRevisionInput struct {
	NamespaceName string
	ServiceName   string
	OwnerAccount  string
}

// DiscoverInstancesRevisionOutput is the output of DiscoverInstancesRevision.
type DiscoverInstancesRevisionOutput struct {
	InstancesRevision int64
}

// GetInstancesHealthStatusInput is the input of GetInstancesHealthStatus.
type GetInstancesHealthStatusInput struct {
	ServiceId  string
	Instances  []string
	MaxResults int32
	NextToken  string
}

// GetInstancesHealthStatusOutput is the output of GetInstancesHealthStatus.
type GetInstancesHealthStatusOutput struct {
	Status    map[string]HealthStatus
	NextToken string
}

// UpdateInstanceCustomHealthStatusInput is the input of
// UpdateInstanceCustomHealthStatus.
type UpdateInstanceCustomHealthStatusInput struct {
	ServiceId  string
	InstanceId string
	Status     HealthStatus
}

// Empty is the output of operations that return nothing.
type Empty struct{}

// API is every operation of the AWS Cloud Map model. registry implements the
// control plane, view the discovery reads; embed joins them and awsapi serves
// them. Each method returns an *Error with the model's codes for client
// errors.
type API interface {
	ControlPlane
	DataPlane
}

// ControlPlane is the part of API that registry implements.
type ControlPlane interface {
	CreateHttpNamespace(context.Context, *CreateHttpNamespaceInput) (*OperationOutput, error)
	CreatePrivateDnsNamespace(context.Context, *CreatePrivateDnsNamespaceInput) (*OperationOutput, error)
	CreatePublicDnsNamespace(context.Context, *CreatePublicDnsNamespaceInput) (*OperationOutput, error)
	UpdateHttpNamespace(context.Context, *UpdateHttpNamespaceInput) (*OperationOutput, error)
	UpdatePrivateDnsNamespace(context.Context, *UpdateDnsNamespaceInput) (*OperationOutput, error)
	UpdatePublicDnsNamespace(context.Context, *UpdateDnsNamespaceInput) (*OperationOutput, error)
	GetNamespace(context.Context, *IdInput) (*GetNamespaceOutput, error)
	ListNamespaces(context.Context, *ListInput) (*ListNamespacesOutput, error)
	DeleteNamespace(context.Context, *IdInput) (*OperationOutput, error)
	CreateService(context.Context, *CreateServiceInput) (*ServiceOutput, error)
	GetService(context.Context, *IdInput) (*ServiceOutput, error)
	ListServices(context.Context, *ListInput) (*ListServicesOutput, error)
	UpdateService(context.Context, *UpdateServiceInput) (*OperationOutput, error)
	DeleteService(context.Context, *IdInput) (*Empty, error)
	GetServiceAttributes(context.Context, *ServiceIdInput) (*GetServiceAttributesOutput, error)
	UpdateServiceAttributes(context.Context, *UpdateServiceAttributesInput) (*Empty, error)
	DeleteServiceAttributes(context.Context, *DeleteServiceAttributesInput) (*Empty, error)
	RegisterInstance(context.Context, *RegisterInstanceInput) (*OperationOutput, error)
	DeregisterInstance(context.Context, *InstanceInput) (*OperationOutput, error)
	GetInstance(context.Context, *InstanceInput) (*GetInstanceOutput, error)
	ListInstances(context.Context, *ListInstancesInput) (*ListInstancesOutput, error)
	GetOperation(context.Context, *GetOperationInput) (*GetOperationOutput, error)
	ListOperations(context.Context, *ListInput) (*ListOperationsOutput, error)
	TagResource(context.Context, *TagResourceInput) (*Empty, error)
	UntagResource(context.Context, *UntagResourceInput) (*Empty, error)
	ListTagsForResource(context.Context, *ResourceARNInput) (*ListTagsForResourceOutput, error)
	UpdateInstanceCustomHealthStatus(context.Context, *UpdateInstanceCustomHealthStatusInput) (*Empty, error)
}

// DataPlane is the part of API that view implements: reads from memory.
type DataPlane interface {
	DiscoverInstances(context.Context, *DiscoverInstancesInput) (*DiscoverInstancesOutput, error)
	DiscoverInstancesRevision(context.Context, *DiscoverInstancesRevisionInput) (*DiscoverInstancesRevisionOutput, error)
	GetInstancesHealthStatus(context.Context, *GetInstancesHealthStatusInput) (*GetInstancesHealthStatusOutput, error)
}

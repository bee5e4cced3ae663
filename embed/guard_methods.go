package embed

import (
	"context"

	"github.com/cloudmap/cloudmap"
)

// The methods of cloudmap.ControlPlane, each through call.

var _ cloudmap.ControlPlane = (*guard)(nil)

// CreateHttpNamespace calls the registry's CreateHttpNamespace.
func (g *guard) CreateHttpNamespace(ctx context.Context, in *cloudmap.CreateHttpNamespaceInput) (*cloudmap.OperationOutput, error) {
	return call(ctx, g, g.cp.CreateHttpNamespace, in)
}

// CreatePrivateDnsNamespace calls the registry's CreatePrivateDnsNamespace.
func (g *guard) CreatePrivateDnsNamespace(ctx context.Context, in *cloudmap.CreatePrivateDnsNamespaceInput) (*cloudmap.OperationOutput, error) {
	return call(ctx, g, g.cp.CreatePrivateDnsNamespace, in)
}

// CreatePublicDnsNamespace calls the registry's CreatePublicDnsNamespace.
func (g *guard) CreatePublicDnsNamespace(ctx context.Context, in *cloudmap.CreatePublicDnsNamespaceInput) (*cloudmap.OperationOutput, error) {
	return call(ctx, g, g.cp.CreatePublicDnsNamespace, in)
}

// UpdateHttpNamespace calls the registry's UpdateHttpNamespace.
func (g *guard) UpdateHttpNamespace(ctx context.Context, in *cloudmap.UpdateHttpNamespaceInput) (*cloudmap.OperationOutput, error) {
	return call(ctx, g, g.cp.UpdateHttpNamespace, in)
}

// UpdatePrivateDnsNamespace calls the registry's UpdatePrivateDnsNamespace.
func (g *guard) UpdatePrivateDnsNamespace(ctx context.Context, in *cloudmap.UpdateDnsNamespaceInput) (*cloudmap.OperationOutput, error) {
	return call(ctx, g, g.cp.UpdatePrivateDnsNamespace, in)
}

// UpdatePublicDnsNamespace calls the registry's UpdatePublicDnsNamespace.
func (g *guard) UpdatePublicDnsNamespace(ctx context.Context, in *cloudmap.UpdateDnsNamespaceInput) (*cloudmap.OperationOutput, error) {
	return call(ctx, g, g.cp.UpdatePublicDnsNamespace, in)
}

// GetNamespace calls the registry's GetNamespace.
func (g *guard) GetNamespace(ctx context.Context, in *cloudmap.IdInput) (*cloudmap.GetNamespaceOutput, error) {
	return call(ctx, g, g.cp.GetNamespace, in)
}

// ListNamespaces calls the registry's ListNamespaces.
func (g *guard) ListNamespaces(ctx context.Context, in *cloudmap.ListInput) (*cloudmap.ListNamespacesOutput, error) {
	return call(ctx, g, g.cp.ListNamespaces, in)
}

// DeleteNamespace calls the registry's DeleteNamespace.
func (g *guard) DeleteNamespace(ctx context.Context, in *cloudmap.IdInput) (*cloudmap.OperationOutput, error) {
	return call(ctx, g, g.cp.DeleteNamespace, in)
}

// CreateService calls the registry's CreateService.
func (g *guard) CreateService(ctx context.Context, in *cloudmap.CreateServiceInput) (*cloudmap.ServiceOutput, error) {
	return call(ctx, g, g.cp.CreateService, in)
}

// GetService calls the registry's GetService.
func (g *guard) GetService(ctx context.Context, in *cloudmap.IdInput) (*cloudmap.ServiceOutput, error) {
	return call(ctx, g, g.cp.GetService, in)
}

// ListServices calls the registry's ListServices.
func (g *guard) ListServices(ctx context.Context, in *cloudmap.ListInput) (*cloudmap.ListServicesOutput, error) {
	return call(ctx, g, g.cp.ListServices, in)
}

// UpdateService calls the registry's UpdateService.
func (g *guard) UpdateService(ctx context.Context, in *cloudmap.UpdateServiceInput) (*cloudmap.OperationOutput, error) {
	return call(ctx, g, g.cp.UpdateService, in)
}

// DeleteService calls the registry's DeleteService.
func (g *guard) DeleteService(ctx context.Context, in *cloudmap.IdInput) (*cloudmap.Empty, error) {
	return call(ctx, g, g.cp.DeleteService, in)
}

// GetServiceAttributes calls the registry's GetServiceAttributes.
func (g *guard) GetServiceAttributes(ctx context.Context, in *cloudmap.ServiceIdInput) (*cloudmap.GetServiceAttributesOutput, error) {
	return call(ctx, g, g.cp.GetServiceAttributes, in)
}

// UpdateServiceAttributes calls the registry's UpdateServiceAttributes.
func (g *guard) UpdateServiceAttributes(ctx context.Context, in *cloudmap.UpdateServiceAttributesInput) (*cloudmap.Empty, error) {
	return call(ctx, g, g.cp.UpdateServiceAttributes, in)
}

// DeleteServiceAttributes calls the registry's DeleteServiceAttributes.
func (g *guard) DeleteServiceAttributes(ctx context.Context, in *cloudmap.DeleteServiceAttributesInput) (*cloudmap.Empty, error) {
	return call(ctx, g, g.cp.DeleteServiceAttributes, in)
}

// RegisterInstance calls the registry's RegisterInstance.
func (g *guard) RegisterInstance(ctx context.Context, in *cloudmap.RegisterInstanceInput) (*cloudmap.OperationOutput, error) {
	return call(ctx, g, g.cp.RegisterInstance, in)
}

// DeregisterInstance calls the registry's DeregisterInstance.
func (g *guard) DeregisterInstance(ctx context.Context, in *cloudmap.InstanceInput) (*cloudmap.OperationOutput, error) {
	return call(ctx, g, g.cp.DeregisterInstance, in)
}

// GetInstance calls the registry's GetInstance.
func (g *guard) GetInstance(ctx context.Context, in *cloudmap.InstanceInput) (*cloudmap.GetInstanceOutput, error) {
	return call(ctx, g, g.cp.GetInstance, in)
}

// ListInstances calls the registry's ListInstances.
func (g *guard) ListInstances(ctx context.Context, in *cloudmap.ListInstancesInput) (*cloudmap.ListInstancesOutput, error) {
	return call(ctx, g, g.cp.ListInstances, in)
}

// GetOperation calls the registry's GetOperation.
func (g *guard) GetOperation(ctx context.Context, in *cloudmap.GetOperationInput) (*cloudmap.GetOperationOutput, error) {
	return call(ctx, g, g.cp.GetOperation, in)
}

// ListOperations calls the registry's ListOperations.
func (g *guard) ListOperations(ctx context.Context, in *cloudmap.ListInput) (*cloudmap.ListOperationsOutput, error) {
	return call(ctx, g, g.cp.ListOperations, in)
}

// TagResource calls the registry's TagResource.
func (g *guard) TagResource(ctx context.Context, in *cloudmap.TagResourceInput) (*cloudmap.Empty, error) {
	return call(ctx, g, g.cp.TagResource, in)
}

// UntagResource calls the registry's UntagResource.
func (g *guard) UntagResource(ctx context.Context, in *cloudmap.UntagResourceInput) (*cloudmap.Empty, error) {
	return call(ctx, g, g.cp.UntagResource, in)
}

// ListTagsForResource calls the registry's ListTagsForResource.
func (g *guard) ListTagsForResource(ctx context.Context, in *cloudmap.ResourceARNInput) (*cloudmap.ListTagsForResourceOutput, error) {
	return call(ctx, g, g.cp.ListTagsForResource, in)
}

// UpdateInstanceCustomHealthStatus calls the registry's UpdateInstanceCustomHealthStatus.
func (g *guard) UpdateInstanceCustomHealthStatus(ctx context.Context, in *cloudmap.UpdateInstanceCustomHealthStatusInput) (*cloudmap.Empty, error) {
	return call(ctx, g, g.cp.UpdateInstanceCustomHealthStatus, in)
}

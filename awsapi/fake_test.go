package awsapi_test

import (
	"context"

	"github.com/cloudmap/cloudmap"
)

// fakeAPI is a cloudmap.API whose every method calls Fn with the operation
// name and the input. A nil output with a nil error becomes a zero output.
type fakeAPI struct {
	Fn func(ctx context.Context, op string, in any) (any, error)
}

var _ cloudmap.API = (*fakeAPI)(nil)

func call[Out any](f *fakeAPI, ctx context.Context, op string, in any) (*Out, error) {
	if f.Fn == nil {
		return new(Out), nil
	}
	out, err := f.Fn(ctx, op, in)
	if err != nil {
		return nil, err
	}
	if out == nil {
		return new(Out), nil
	}
	return out.(*Out), nil
}

func (f *fakeAPI) CreateHttpNamespace(ctx context.Context, in *cloudmap.CreateHttpNamespaceInput) (*cloudmap.OperationOutput, error) {
	return call[cloudmap.OperationOutput](f, ctx, "CreateHttpNamespace", in)
}

func (f *fakeAPI) CreatePrivateDnsNamespace(ctx context.Context, in *cloudmap.CreatePrivateDnsNamespaceInput) (*cloudmap.OperationOutput, error) {
	return call[cloudmap.OperationOutput](f, ctx, "CreatePrivateDnsNamespace", in)
}

func (f *fakeAPI) CreatePublicDnsNamespace(ctx context.Context, in *cloudmap.CreatePublicDnsNamespaceInput) (*cloudmap.OperationOutput, error) {
	return call[cloudmap.OperationOutput](f, ctx, "CreatePublicDnsNamespace", in)
}

func (f *fakeAPI) UpdateHttpNamespace(ctx context.Context, in *cloudmap.UpdateHttpNamespaceInput) (*cloudmap.OperationOutput, error) {
	return call[cloudmap.OperationOutput](f, ctx, "UpdateHttpNamespace", in)
}

func (f *fakeAPI) UpdatePrivateDnsNamespace(ctx context.Context, in *cloudmap.UpdateDnsNamespaceInput) (*cloudmap.OperationOutput, error) {
	return call[cloudmap.OperationOutput](f, ctx, "UpdatePrivateDnsNamespace", in)
}

func (f *fakeAPI) UpdatePublicDnsNamespace(ctx context.Context, in *cloudmap.UpdateDnsNamespaceInput) (*cloudmap.OperationOutput, error) {
	return call[cloudmap.OperationOutput](f, ctx, "UpdatePublicDnsNamespace", in)
}

func (f *fakeAPI) GetNamespace(ctx context.Context, in *cloudmap.IdInput) (*cloudmap.GetNamespaceOutput, error) {
	return call[cloudmap.GetNamespaceOutput](f, ctx, "GetNamespace", in)
}

func (f *fakeAPI) ListNamespaces(ctx context.Context, in *cloudmap.ListInput) (*cloudmap.ListNamespacesOutput, error) {
	return call[cloudmap.ListNamespacesOutput](f, ctx, "ListNamespaces", in)
}

func (f *fakeAPI) DeleteNamespace(ctx context.Context, in *cloudmap.IdInput) (*cloudmap.OperationOutput, error) {
	return call[cloudmap.OperationOutput](f, ctx, "DeleteNamespace", in)
}

func (f *fakeAPI) CreateService(ctx context.Context, in *cloudmap.CreateServiceInput) (*cloudmap.ServiceOutput, error) {
	return call[cloudmap.ServiceOutput](f, ctx, "CreateService", in)
}

func (f *fakeAPI) GetService(ctx context.Context, in *cloudmap.IdInput) (*cloudmap.ServiceOutput, error) {
	return call[cloudmap.ServiceOutput](f, ctx, "GetService", in)
}

func (f *fakeAPI) ListServices(ctx context.Context, in *cloudmap.ListInput) (*cloudmap.ListServicesOutput, error) {
	return call[cloudmap.ListServicesOutput](f, ctx, "ListServices", in)
}

func (f *fakeAPI) UpdateService(ctx context.Context, in *cloudmap.UpdateServiceInput) (*cloudmap.OperationOutput, error) {
	return call[cloudmap.OperationOutput](f, ctx, "UpdateService", in)
}

func (f *fakeAPI) DeleteService(ctx context.Context, in *cloudmap.IdInput) (*cloudmap.Empty, error) {
	return call[cloudmap.Empty](f, ctx, "DeleteService", in)
}

func (f *fakeAPI) GetServiceAttributes(ctx context.Context, in *cloudmap.ServiceIdInput) (*cloudmap.GetServiceAttributesOutput, error) {
	return call[cloudmap.GetServiceAttributesOutput](f, ctx, "GetServiceAttributes", in)
}

func (f *fakeAPI) UpdateServiceAttributes(ctx context.Context, in *cloudmap.UpdateServiceAttributesInput) (*cloudmap.Empty, error) {
	return call[cloudmap.Empty](f, ctx, "UpdateServiceAttributes", in)
}

func (f *fakeAPI) DeleteServiceAttributes(ctx context.Context, in *cloudmap.DeleteServiceAttributesInput) (*cloudmap.Empty, error) {
	return call[cloudmap.Empty](f, ctx, "DeleteServiceAttributes", in)
}

func (f *fakeAPI) RegisterInstance(ctx context.Context, in *cloudmap.RegisterInstanceInput) (*cloudmap.OperationOutput, error) {
	return call[cloudmap.OperationOutput](f, ctx, "RegisterInstance", in)
}

func (f *fakeAPI) DeregisterInstance(ctx context.Context, in *cloudmap.InstanceInput) (*cloudmap.OperationOutput, error) {
	return call[cloudmap.OperationOutput](f, ctx, "DeregisterInstance", in)
}

func (f *fakeAPI) GetInstance(ctx context.Context, in *cloudmap.InstanceInput) (*cloudmap.GetInstanceOutput, error) {
	return call[cloudmap.GetInstanceOutput](f, ctx, "GetInstance", in)
}

func (f *fakeAPI) ListInstances(ctx context.Context, in *cloudmap.ListInstancesInput) (*cloudmap.ListInstancesOutput, error) {
	return call[cloudmap.ListInstancesOutput](f, ctx, "ListInstances", in)
}

func (f *fakeAPI) GetOperation(ctx context.Context, in *cloudmap.GetOperationInput) (*cloudmap.GetOperationOutput, error) {
	return call[cloudmap.GetOperationOutput](f, ctx, "GetOperation", in)
}

func (f *fakeAPI) ListOperations(ctx context.Context, in *cloudmap.ListInput) (*cloudmap.ListOperationsOutput, error) {
	return call[cloudmap.ListOperationsOutput](f, ctx, "ListOperations", in)
}

func (f *fakeAPI) TagResource(ctx context.Context, in *cloudmap.TagResourceInput) (*cloudmap.Empty, error) {
	return call[cloudmap.Empty](f, ctx, "TagResource", in)
}

func (f *fakeAPI) UntagResource(ctx context.Context, in *cloudmap.UntagResourceInput) (*cloudmap.Empty, error) {
	return call[cloudmap.Empty](f, ctx, "UntagResource", in)
}

func (f *fakeAPI) ListTagsForResource(ctx context.Context, in *cloudmap.ResourceARNInput) (*cloudmap.ListTagsForResourceOutput, error) {
	return call[cloudmap.ListTagsForResourceOutput](f, ctx, "ListTagsForResource", in)
}

func (f *fakeAPI) UpdateInstanceCustomHealthStatus(ctx context.Context, in *cloudmap.UpdateInstanceCustomHealthStatusInput) (*cloudmap.Empty, error) {
	return call[cloudmap.Empty](f, ctx, "UpdateInstanceCustomHealthStatus", in)
}

func (f *fakeAPI) DiscoverInstances(ctx context.Context, in *cloudmap.DiscoverInstancesInput) (*cloudmap.DiscoverInstancesOutput, error) {
	return call[cloudmap.DiscoverInstancesOutput](f, ctx, "DiscoverInstances", in)
}

func (f *fakeAPI) DiscoverInstancesRevision(ctx context.Context, in *cloudmap.DiscoverInstancesRevisionInput) (*cloudmap.DiscoverInstancesRevisionOutput, error) {
	return call[cloudmap.DiscoverInstancesRevisionOutput](f, ctx, "DiscoverInstancesRevision", in)
}

func (f *fakeAPI) GetInstancesHealthStatus(ctx context.Context, in *cloudmap.GetInstancesHealthStatusInput) (*cloudmap.GetInstancesHealthStatusOutput, error) {
	return call[cloudmap.GetInstancesHealthStatusOutput](f, ctx, "GetInstancesHealthStatus", in)
}

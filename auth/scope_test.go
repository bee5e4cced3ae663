package auth_test

import (
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/auth"
)

func TestAuthorizer_Scope(t *testing.T) {
	reader := auth.Key{Name: "reader", AccessKeyID: "AKIDREADER", SecretAccessKey: "r",
		AllowedActions:    []string{"servicediscovery:Discover*", "servicediscovery:get*"},
		AllowedNamespaces: []string{"open"}}
	byID := auth.Key{Name: "ops", AccessKeyID: "AKIDOPS", SecretAccessKey: "o",
		AllowedActions:    []string{"*"},
		AllowedNamespaces: []string{"ns-open"}}
	byARN := auth.Key{Name: "arn", AccessKeyID: "AKIDARN", SecretAccessKey: "a",
		AllowedNamespaces: []string{namespaces["ns-closed"].Arn}}
	creator := auth.Key{Name: "creator", AccessKeyID: "AKIDCREATOR", SecretAccessKey: "c",
		AllowedActions:    []string{"servicediscovery:Create*Namespace"},
		AllowedNamespaces: []string{"new.example"}}
	a := newAuthorizer([]auth.Key{admin, reader, byID, byARN, creator})
	openARN := namespaces["ns-open"].Arn
	srvClosedARN := "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-closed"
	nsFilter := func(ids ...string) *cloudmap.ListInput {
		return &cloudmap.ListInput{Filters: []cloudmap.Filter{{Name: "NAMESPACE_ID", Values: ids, Condition: "IN"}}}
	}
	const denied = cloudmap.ErrAccessDenied
	tests := []struct {
		name  string
		key   auth.Key
		op    string
		input any
		code  string
		msg   string
	}{
		{"admin anything", admin, "DeleteNamespace", &cloudmap.IdInput{Id: "ns-closed"}, "", ""},
		{"admin unknown id passes to get NotFound", admin, "GetService", &cloudmap.IdInput{Id: "srv-nope"}, "", ""},
		{"reader discovers in its namespace", reader, "DiscoverInstances",
			&cloudmap.DiscoverInstancesInput{NamespaceName: "open", ServiceName: "s"}, "", ""},
		{"reader revision in its namespace", reader, "DiscoverInstancesRevision",
			&cloudmap.DiscoverInstancesRevisionInput{NamespaceName: "OPEN", ServiceName: "s"}, "", ""},
		{"reader discovers outside", reader, "DiscoverInstances",
			&cloudmap.DiscoverInstancesInput{NamespaceName: "closed", ServiceName: "s"}, denied,
			"User: reader is not authorized to perform: servicediscovery:DiscoverInstances on resource: closed"},
		{"reader gets service inside (case-insensitive action)", reader, "GetService", &cloudmap.IdInput{Id: "srv-open"}, "", ""},
		{"reader gets service by ARN inside", reader, "GetServiceAttributes",
			&cloudmap.ServiceIdInput{ServiceId: "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-open"}, "", ""},
		{"reader gets service outside", reader, "GetService", &cloudmap.IdInput{Id: "srv-closed"}, denied, "on resource: srv-closed"},
		{"reader gets namespace inside", reader, "GetNamespace", &cloudmap.IdInput{Id: openARN}, "", ""},
		{"reader unknown service is denied, not NotFound", reader, "GetService", &cloudmap.IdInput{Id: "srv-nope"}, denied, "srv-nope"},
		{"reader may not write", reader, "RegisterInstance",
			&cloudmap.RegisterInstanceInput{ServiceId: "srv-open", InstanceId: "i"}, denied,
			"servicediscovery:RegisterInstance on resource: srv-open"},
		{"reader may not create", reader, "CreateHttpNamespace", &cloudmap.CreateHttpNamespaceInput{Name: "open"}, denied, "CreateHttpNamespace"},
		{"reader may not list namespaces", reader, "ListNamespaces", &cloudmap.ListInput{}, denied, "ListNamespaces on resource: *"},
		{"id-scoped registers inside", byID, "RegisterInstance",
			&cloudmap.RegisterInstanceInput{ServiceId: "srv-open", InstanceId: "i"}, "", ""},
		{"id-scoped deregisters outside", byID, "DeregisterInstance",
			&cloudmap.InstanceInput{ServiceId: "srv-closed", InstanceId: "i"}, denied, "srv-closed"},
		{"id-scoped discovers by HttpName", byID, "DiscoverInstances",
			&cloudmap.DiscoverInstancesInput{NamespaceName: "open", ServiceName: "s"}, "", ""},
		{"id-scoped discovers outside", byID, "DiscoverInstances",
			&cloudmap.DiscoverInstancesInput{NamespaceName: "closed", ServiceName: "s"}, denied, "closed"},
		{"id-scoped creates service inside", byID, "CreateService",
			&cloudmap.CreateServiceInput{Name: "s", NamespaceId: "ns-open"}, "", ""},
		{"id-scoped creates service via DnsConfig", byID, "CreateService",
			&cloudmap.CreateServiceInput{Name: "s", DnsConfig: &cloudmap.DnsConfig{NamespaceId: "ns-closed"}}, denied, "ns-closed"},
		{"id-scoped updates namespace inside", byID, "UpdateHttpNamespace", &cloudmap.UpdateHttpNamespaceInput{Id: "ns-open"}, "", ""},
		{"id-scoped updates DNS namespace outside", byID, "UpdatePrivateDnsNamespace", &cloudmap.UpdateDnsNamespaceInput{Id: "ns-closed"}, denied, "ns-closed"},
		{"id-scoped deletes service outside", byID, "DeleteService", &cloudmap.IdInput{Id: "srv-closed"}, denied, "srv-closed"},
		{"id-scoped updates service inside", byID, "UpdateService", &cloudmap.UpdateServiceInput{Id: "srv-open"}, "", ""},
		{"id-scoped health inside", byID, "UpdateInstanceCustomHealthStatus",
			&cloudmap.UpdateInstanceCustomHealthStatusInput{ServiceId: "srv-open", InstanceId: "i", Status: "HEALTHY"}, "", ""},
		{"id-scoped health status outside", byID, "GetInstancesHealthStatus",
			&cloudmap.GetInstancesHealthStatusInput{ServiceId: "srv-closed"}, denied, "srv-closed"},
		{"id-scoped lists instances inside", byID, "ListInstances", &cloudmap.ListInstancesInput{ServiceId: "srv-open"}, "", ""},
		{"id-scoped tags namespace inside", byID, "TagResource", &cloudmap.TagResourceInput{ResourceARN: openARN}, "", ""},
		{"id-scoped untags service outside", byID, "UntagResource", &cloudmap.UntagResourceInput{ResourceARN: srvClosedARN}, denied, srvClosedARN},
		{"id-scoped tag list of unknown ARN", byID, "ListTagsForResource", &cloudmap.ResourceARNInput{ResourceARN: "arn:aws:x"}, denied, "arn:aws:x"},
		{"id-scoped lists services with its filter", byID, "ListServices", nsFilter("ns-open"), "", ""},
		{"id-scoped lists services with a foreign filter value", byID, "ListServices", nsFilter("ns-open", "ns-closed"), denied, "ns-closed"},
		{"id-scoped lists services without filter", byID, "ListServices", &cloudmap.ListInput{}, denied, "on resource: *"},
		{"id-scoped lists operations with service filter", byID, "ListOperations",
			&cloudmap.ListInput{Filters: []cloudmap.Filter{{Name: "SERVICE_ID", Values: []string{"srv-open"}}}}, "", ""},
		{"id-scoped GetOperation is not tied to a namespace", byID, "GetOperation", &cloudmap.GetOperationInput{OperationId: "op"}, denied, "*"},
		{"ARN-scoped gets by id", byARN, "GetNamespace", &cloudmap.IdInput{Id: "ns-closed"}, "", ""},
		{"ARN-scoped gets the other", byARN, "GetNamespace", &cloudmap.IdInput{Id: "ns-open"}, denied, "ns-open"},
		{"creator creates its name", creator, "CreatePublicDnsNamespace", &cloudmap.CreatePublicDnsNamespaceInput{Name: "NEW.example"}, "", ""},
		{"creator creates another name", creator, "CreatePrivateDnsNamespace", &cloudmap.CreatePrivateDnsNamespaceInput{Name: "other"}, denied, "other"},
		{"nil input authenticates only", reader, "NoSuchOperation", nil, "", ""},
		{"creator may not delete", creator, "DeleteNamespace", &cloudmap.IdInput{Id: "ns-open"}, denied, "DeleteNamespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sign(t, signing{id: tt.key.AccessKeyID, secret: tt.key.SecretAccessKey, op: tt.op}, "{}")
			checkErr(t, authorize(a, r, []byte("{}"), tt.op, tt.input), tt.code, tt.msg)
		})
	}
}

func TestMatchActionPatterns(t *testing.T) {
	tests := []struct {
		pattern string
		ok      bool
	}{
		{"*", true},
		{"servicediscovery:*", true},
		{"ServiceDiscovery:Get*", true},
		{"servicediscovery:*Namespace*", true},
		{"servicediscovery:Discovr*", false},
		{"Discover*", false},
		{"ec2:*", false},
	}
	for _, tt := range tests {
		if err := auth.ValidateActionPattern(tt.pattern); (err == nil) != tt.ok {
			t.Errorf("ValidateActionPattern(%q) = %v, want ok %v", tt.pattern, err, tt.ok)
		}
	}
}

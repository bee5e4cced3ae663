package cloudmaptest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"

	"github.com/cloudmap/cloudmap/cloudmaptest"
)

// TestExample is what a test of your own code looks like with cloudmaptest
// instead of moto: a real Cloud Map API through the unmodified SDK, and a
// real DNS server that answers what was registered.
func TestExample(t *testing.T) {
	ctx := context.Background()
	srv := cloudmaptest.New(t)
	client := srv.Client()

	op, err := client.CreatePrivateDnsNamespace(ctx, &servicediscovery.CreatePrivateDnsNamespaceInput{
		Name: aws.String("example.local"), Vpc: aws.String("vpc-1")})
	if err != nil {
		t.Fatal(err)
	}
	nsID := waitTarget(t, srv, aws.ToString(op.OperationId), types.OperationTargetTypeNamespace)
	svc, err := client.CreateService(ctx, &servicediscovery.CreateServiceInput{
		Name: aws.String("web"), NamespaceId: aws.String(nsID),
		DnsConfig: &types.DnsConfig{RoutingPolicy: types.RoutingPolicyMultivalue,
			DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(60)}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := client.RegisterInstance(ctx, &servicediscovery.RegisterInstanceInput{
		ServiceId: svc.Service.Id, InstanceId: aws.String("web-1"),
		Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1", "color": "blue"}})
	if err != nil {
		t.Fatal(err)
	}
	if st, msg, err := srv.WaitOperation(ctx, aws.ToString(reg.OperationId)); err != nil || st != "SUCCESS" {
		t.Fatalf("RegisterInstance: %s %s %v", st, msg, err)
	}

	// The code under test would discover through the API...
	out, err := client.DiscoverInstances(ctx, &servicediscovery.DiscoverInstancesInput{
		NamespaceName: aws.String("example.local"), ServiceName: aws.String("web"),
		QueryParameters: map[string]string{"color": "blue"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Instances) != 1 || aws.ToString(out.Instances[0].InstanceId) != "web-1" {
		t.Fatalf("DiscoverInstances = %+v, want web-1", out.Instances)
	}
	// ...or through DNS.
	addrs, err := srv.Resolver().LookupHost(ctx, "web.example.local")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(addrs, []string{"10.0.0.1"}) {
		t.Fatalf("LookupHost(web.example.local) = %v, want [10.0.0.1]", addrs)
	}
}

func waitTarget(t *testing.T, srv *cloudmaptest.Server, id string, target types.OperationTargetType) string {
	t.Helper()
	ctx := context.Background()
	if st, msg, err := srv.WaitOperation(ctx, id); err != nil || st != "SUCCESS" {
		t.Fatalf("operation %s: %s %s %v", id, st, msg, err)
	}
	out, err := srv.Client().GetOperation(ctx, &servicediscovery.GetOperationInput{OperationId: &id})
	if err != nil {
		t.Fatal(err)
	}
	return out.Operation.Targets[string(target)]
}

// Start a server outside a test (in TestMain, to share one across a
// package's tests), register an instance and resolve it through the
// server's DNS.
func ExampleStart() {
	srv, err := cloudmaptest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ctx := context.Background()
	c := srv.Client()
	op, err := c.CreatePrivateDnsNamespace(ctx, &servicediscovery.CreatePrivateDnsNamespaceInput{
		Name: aws.String("example.local"), Vpc: aws.String("vpc-1")})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv.WaitOperation(ctx, *op.OperationId)
	got, _ := c.GetOperation(ctx, &servicediscovery.GetOperationInput{OperationId: op.OperationId})
	svc, err := c.CreateService(ctx, &servicediscovery.CreateServiceInput{Name: aws.String("db"),
		NamespaceId: aws.String(got.Operation.Targets["NAMESPACE"]),
		DnsConfig:   &types.DnsConfig{DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(30)}}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	reg, err := c.RegisterInstance(ctx, &servicediscovery.RegisterInstanceInput{ServiceId: svc.Service.Id,
		InstanceId: aws.String("db-1"), Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.1.2.3"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	status, _, _ := srv.WaitOperation(ctx, *reg.OperationId)
	addrs, err := srv.Resolver().LookupHost(ctx, "db.example.local")
	fmt.Println(status, addrs, err)
	// Output: SUCCESS [10.1.2.3] <nil>
}

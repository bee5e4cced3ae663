package acceptance_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"

	"github.com/cloudmap/cloudmap/acceptance"
)

var ctx = context.Background()

var (
	nsIDPattern  = regexp.MustCompile(`^ns-[a-z0-9]{16}$`)
	srvIDPattern = regexp.MustCompile(`^srv-[a-z0-9]{16}$`)
)

// createHTTPNamespace creates an HTTP namespace and returns its id.
func createHTTPNamespace(t *testing.T, n *acceptance.Node, name string) string {
	t.Helper()
	out, err := n.Client.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateHttpNamespace %s: %v", name, err)
	}
	op := n.WaitOperation(t, *out.OperationId)
	if op.Status != types.OperationStatusSuccess {
		t.Fatalf("create namespace %s: %s %s", name, op.Status, aws.ToString(op.ErrorMessage))
	}
	return op.Targets["NAMESPACE"]
}

func createPrivateNamespace(t *testing.T, n *acceptance.Node, name string, soaTTL int64) string {
	t.Helper()
	out, err := n.Client.CreatePrivateDnsNamespace(ctx, &sd.CreatePrivateDnsNamespaceInput{
		Name: aws.String(name), Vpc: aws.String("vpc-1"),
		Properties: &types.PrivateDnsNamespaceProperties{DnsProperties: &types.PrivateDnsPropertiesMutable{
			SOA: &types.SOA{TTL: aws.Int64(soaTTL)}}},
	})
	if err != nil {
		t.Fatalf("CreatePrivateDnsNamespace %s: %v", name, err)
	}
	op := n.WaitOperation(t, *out.OperationId)
	if op.Status != types.OperationStatusSuccess {
		t.Fatalf("create namespace %s: %s %s", name, op.Status, aws.ToString(op.ErrorMessage))
	}
	return op.Targets["NAMESPACE"]
}

func createService(t *testing.T, n *acceptance.Node, in *sd.CreateServiceInput) *types.Service {
	t.Helper()
	out, err := n.Client.CreateService(ctx, in)
	if err != nil {
		t.Fatalf("CreateService %s: %v", aws.ToString(in.Name), err)
	}
	return out.Service
}

func register(t *testing.T, n *acceptance.Node, serviceID, instanceID string, attrs map[string]string) {
	t.Helper()
	out, err := n.Client.RegisterInstance(ctx, &sd.RegisterInstanceInput{
		ServiceId: aws.String(serviceID), InstanceId: aws.String(instanceID), Attributes: attrs})
	if err != nil {
		t.Fatalf("RegisterInstance %s: %v", instanceID, err)
	}
	if op := n.WaitOperation(t, *out.OperationId); op.Status != types.OperationStatusSuccess {
		t.Fatalf("register %s: %s %s", instanceID, op.Status, aws.ToString(op.ErrorMessage))
	}
}

func deregister(t *testing.T, n *acceptance.Node, serviceID, instanceID string) {
	t.Helper()
	out, err := n.Client.DeregisterInstance(ctx, &sd.DeregisterInstanceInput{
		ServiceId: aws.String(serviceID), InstanceId: aws.String(instanceID)})
	if err != nil {
		t.Fatalf("DeregisterInstance %s: %v", instanceID, err)
	}
	if op := n.WaitOperation(t, *out.OperationId); op.Status != types.OperationStatusSuccess {
		t.Fatalf("deregister %s: %s %s", instanceID, op.Status, aws.ToString(op.ErrorMessage))
	}
}

// wantErr checks that err is an error answer (acceptance.DecodeError) and
// decodes as the typed SDK error E, whose fields it returns.
func wantErr[E error](t *testing.T, err error) E {
	t.Helper()
	acceptance.DecodeError(t, err)
	var e E
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T), want %T", err, err, e)
	}
	return e
}

func TestNamespaces_Lifecycle(t *testing.T) {
	n := acceptance.MustStart(t)
	id := createHTTPNamespace(t, n, "demo")
	if !nsIDPattern.MatchString(id) {
		t.Errorf("namespace id %q does not look like AWS's", id)
	}
	got, err := n.Client.GetNamespace(ctx, &sd.GetNamespaceInput{Id: &id})
	if err != nil {
		t.Fatal(err)
	}
	ns := got.Namespace
	wantArn := "arn:aws:servicediscovery:us-east-1:123456789012:namespace/" + id
	if aws.ToString(ns.Arn) != wantArn || aws.ToString(ns.Name) != "demo" || ns.Type != types.NamespaceTypeHttp {
		t.Errorf("namespace = %+v, want arn %s name demo type HTTP", ns, wantArn)
	}
	if ns.CreateDate == nil || ns.CreateDate.IsZero() {
		t.Error("CreateDate missing")
	}
	if ns.Properties == nil || ns.Properties.HttpProperties == nil || aws.ToString(ns.Properties.HttpProperties.HttpName) != "demo" {
		t.Errorf("HttpProperties = %+v, want HttpName demo", ns.Properties)
	}
	// The same name again is NamespaceAlreadyExists carrying the existing id.
	out, err := n.Client.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String("demo")})
	if err == nil {
		op := n.WaitOperation(t, *out.OperationId)
		if op.Status != types.OperationStatusFail {
			t.Fatalf("second create of demo: %s, want an error", op.Status)
		}
	} else if e := wantErr[*types.NamespaceAlreadyExists](t, err); aws.ToString(e.NamespaceId) != id {
		t.Errorf("NamespaceAlreadyExists.NamespaceId = %q, want %q", aws.ToString(e.NamespaceId), id)
	}
	// Update the description.
	up, err := n.Client.UpdateHttpNamespace(ctx, &sd.UpdateHttpNamespaceInput{Id: &id,
		Namespace: &types.HttpNamespaceChange{Description: aws.String("new words")}})
	if err != nil {
		t.Fatal(err)
	}
	if op := n.WaitOperation(t, *up.OperationId); op.Status != types.OperationStatusSuccess || op.Type != types.OperationTypeUpdateNamespace {
		t.Fatalf("update: %+v", op)
	}
	got, _ = n.Client.GetNamespace(ctx, &sd.GetNamespaceInput{Id: &id})
	if aws.ToString(got.Namespace.Description) != "new words" {
		t.Errorf("description = %q after update", aws.ToString(got.Namespace.Description))
	}
	// Delete, then it is gone.
	del, err := n.Client.DeleteNamespace(ctx, &sd.DeleteNamespaceInput{Id: &id})
	if err != nil {
		t.Fatal(err)
	}
	if op := n.WaitOperation(t, *del.OperationId); op.Status != types.OperationStatusSuccess {
		t.Fatalf("delete: %+v", op)
	}
	_, err = n.Client.GetNamespace(ctx, &sd.GetNamespaceInput{Id: &id})
	wantErr[*types.NamespaceNotFound](t, err)
}

func TestNamespaces_DNSProperties(t *testing.T) {
	n := acceptance.MustStart(t)
	id := createPrivateNamespace(t, n, "example.local", 60)
	got, err := n.Client.GetNamespace(ctx, &sd.GetNamespaceInput{Id: &id})
	if err != nil {
		t.Fatal(err)
	}
	p := got.Namespace.Properties
	if got.Namespace.Type != types.NamespaceTypeDnsPrivate || p == nil || p.DnsProperties == nil ||
		p.DnsProperties.SOA == nil || aws.ToInt64(p.DnsProperties.SOA.TTL) != 60 ||
		!strings.HasPrefix(aws.ToString(p.DnsProperties.HostedZoneId), "Z") {
		t.Errorf("private namespace = %+v", got.Namespace)
	}
	up, err := n.Client.UpdatePrivateDnsNamespace(ctx, &sd.UpdatePrivateDnsNamespaceInput{Id: &id,
		Namespace: &types.PrivateDnsNamespaceChange{Properties: &types.PrivateDnsNamespacePropertiesChange{
			DnsProperties: &types.PrivateDnsPropertiesMutableChange{SOA: &types.SOAChange{TTL: aws.Int64(120)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	n.WaitOperation(t, *up.OperationId)
	got, _ = n.Client.GetNamespace(ctx, &sd.GetNamespaceInput{Id: &id})
	if ttl := aws.ToInt64(got.Namespace.Properties.DnsProperties.SOA.TTL); ttl != 120 {
		t.Errorf("SOA TTL after update = %d, want 120", ttl)
	}
	pub, err := n.Client.CreatePublicDnsNamespace(ctx, &sd.CreatePublicDnsNamespaceInput{Name: aws.String("example.com")})
	if err != nil {
		t.Fatal(err)
	}
	op := n.WaitOperation(t, *pub.OperationId)
	got, _ = n.Client.GetNamespace(ctx, &sd.GetNamespaceInput{Id: aws.String(op.Targets["NAMESPACE"])})
	if got.Namespace.Type != types.NamespaceTypeDnsPublic {
		t.Errorf("public namespace type = %s", got.Namespace.Type)
	}
	// A public namespace name must be a real DNS name.
	_, err = n.Client.CreatePublicDnsNamespace(ctx, &sd.CreatePublicDnsNamespaceInput{Name: aws.String("not a name!")})
	wantErr[*types.InvalidInput](t, err)
}

func TestCreatorRequestId_Idempotency(t *testing.T) {
	n := acceptance.MustStart(t)
	in := &sd.CreateHttpNamespaceInput{Name: aws.String("idem"), CreatorRequestId: aws.String("req-1")}
	first, err := n.Client.CreateHttpNamespace(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := n.Client.CreateHttpNamespace(ctx, in)
	if err != nil {
		t.Fatalf("retry with the same CreatorRequestId: %v", err)
	}
	if *first.OperationId != *again.OperationId {
		t.Errorf("retry got operation %s, want the first %s", *again.OperationId, *first.OperationId)
	}
	n.WaitOperation(t, *first.OperationId)
	_, err = n.Client.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String("other"), CreatorRequestId: aws.String("req-1")})
	wantErr[*types.DuplicateRequest](t, err)

	nsID := createHTTPNamespace(t, n, "svc-idem")
	sin := &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: &nsID, CreatorRequestId: aws.String("svc-req")}
	s1 := createService(t, n, sin)
	s2 := createService(t, n, sin)
	if aws.ToString(s1.Id) != aws.ToString(s2.Id) {
		t.Errorf("CreateService retry made %s and %s", aws.ToString(s1.Id), aws.ToString(s2.Id))
	}
	_, err = n.Client.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: &nsID, CreatorRequestId: aws.String("svc-other")})
	if e := wantErr[*types.ServiceAlreadyExists](t, err); aws.ToString(e.ServiceId) != aws.ToString(s1.Id) {
		t.Errorf("ServiceAlreadyExists.ServiceId = %q, want %q", aws.ToString(e.ServiceId), aws.ToString(s1.Id))
	}
}

func TestServices_Lifecycle(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createPrivateNamespace(t, n, "svc.local", 30)
	svc := createService(t, n, &sd.CreateServiceInput{
		Name: aws.String("web"), NamespaceId: &nsID, Description: aws.String("front"),
		DnsConfig: &types.DnsConfig{RoutingPolicy: types.RoutingPolicyMultivalue,
			DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(60)}}},
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("edge")}},
	})
	if !srvIDPattern.MatchString(aws.ToString(svc.Id)) || svc.Type != types.ServiceTypeDnsHttp ||
		aws.ToString(svc.Arn) != "arn:aws:servicediscovery:us-east-1:123456789012:service/"+aws.ToString(svc.Id) {
		t.Errorf("service = %+v", svc)
	}
	// UpdateService changes the TTL.
	up, err := n.Client.UpdateService(ctx, &sd.UpdateServiceInput{Id: svc.Id, Service: &types.ServiceChange{
		DnsConfig: &types.DnsConfigChange{DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(5)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if op := n.WaitOperation(t, *up.OperationId); op.Status != types.OperationStatusSuccess {
		t.Fatalf("UpdateService: %+v", op)
	}
	got, err := n.Client.GetService(ctx, &sd.GetServiceInput{Id: svc.Id})
	if err != nil {
		t.Fatal(err)
	}
	if ttl := aws.ToInt64(got.Service.DnsConfig.DnsRecords[0].TTL); ttl != 5 {
		t.Errorf("TTL after update = %d, want 5", ttl)
	}
	// Record types cannot change.
	_, err = n.Client.UpdateService(ctx, &sd.UpdateServiceInput{Id: svc.Id, Service: &types.ServiceChange{
		DnsConfig: &types.DnsConfigChange{DnsRecords: []types.DnsRecord{{Type: types.RecordTypeAaaa, TTL: aws.Int64(5)}}}}})
	if err == nil {
		t.Error("UpdateService changing the record type succeeded")
	}
	// Attributes.
	_, err = n.Client.UpdateServiceAttributes(ctx, &sd.UpdateServiceAttributesInput{ServiceId: svc.Id,
		Attributes: map[string]string{"color": "blue", "size": "xl"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = n.Client.DeleteServiceAttributes(ctx, &sd.DeleteServiceAttributesInput{ServiceId: svc.Id, Attributes: []string{"size"}})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := n.Client.GetServiceAttributes(ctx, &sd.GetServiceAttributesInput{ServiceId: svc.Id})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(attrs.ServiceAttributes.Attributes), "map[color:blue]"; got != want {
		t.Errorf("attributes = %s, want %s", got, want)
	}
	many := map[string]string{}
	for i := 0; i < 30; i++ {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	_, err = n.Client.UpdateServiceAttributes(ctx, &sd.UpdateServiceAttributesInput{ServiceId: svc.Id, Attributes: many})
	wantErr[*types.ServiceAttributesLimitExceededException](t, err)
	// A namespace with a service cannot be deleted; a service with an instance neither.
	_, err = n.Client.DeleteNamespace(ctx, &sd.DeleteNamespaceInput{Id: &nsID})
	wantErr[*types.ResourceInUse](t, err)
	register(t, n, *svc.Id, "i-1", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1"})
	_, err = n.Client.DeleteService(ctx, &sd.DeleteServiceInput{Id: svc.Id})
	wantErr[*types.ResourceInUse](t, err)
	deregister(t, n, *svc.Id, "i-1")
	if _, err := n.Client.DeleteService(ctx, &sd.DeleteServiceInput{Id: svc.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = n.Client.GetService(ctx, &sd.GetServiceInput{Id: svc.Id})
	wantErr[*types.ServiceNotFound](t, err)
}

func TestInstances_RegisterListDeregister(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createHTTPNamespace(t, n, "inst")
	svc := createService(t, n, &sd.CreateServiceInput{Name: aws.String("api"), NamespaceId: &nsID})
	for i := 0; i < 7; i++ {
		register(t, n, *svc.Id, fmt.Sprintf("i-%d", i), map[string]string{"AWS_INSTANCE_IPV4": fmt.Sprintf("10.0.0.%d", i+1), "v": "1"})
	}
	// Re-registering updates the instance.
	register(t, n, *svc.Id, "i-0", map[string]string{"AWS_INSTANCE_IPV4": "10.9.9.9"})
	gi, err := n.Client.GetInstance(ctx, &sd.GetInstanceInput{ServiceId: svc.Id, InstanceId: aws.String("i-0")})
	if err != nil {
		t.Fatal(err)
	}
	if got := gi.Instance.Attributes["AWS_INSTANCE_IPV4"]; got != "10.9.9.9" || len(gi.Instance.Attributes) != 1 {
		t.Errorf("after re-register attributes = %v", gi.Instance.Attributes)
	}
	// Pages of 3 see every instance exactly once.
	seen := map[string]int{}
	p := sd.NewListInstancesPaginator(n.Client, &sd.ListInstancesInput{ServiceId: svc.Id, MaxResults: aws.Int32(3)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Instances) > 3 {
			t.Errorf("page of %d > MaxResults 3", len(page.Instances))
		}
		for _, in := range page.Instances {
			seen[aws.ToString(in.Id)]++
		}
	}
	if len(seen) != 7 {
		t.Errorf("listed %d instances, want 7: %v", len(seen), seen)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("instance %s listed %d times", id, c)
		}
	}
	gs, _ := n.Client.GetService(ctx, &sd.GetServiceInput{Id: svc.Id})
	if c := aws.ToInt32(gs.Service.InstanceCount); c != 7 {
		t.Errorf("InstanceCount = %d, want 7", c)
	}
	deregister(t, n, *svc.Id, "i-3")
	_, err = n.Client.GetInstance(ctx, &sd.GetInstanceInput{ServiceId: svc.Id, InstanceId: aws.String("i-3")})
	wantErr[*types.InstanceNotFound](t, err)
	_, err = n.Client.DeregisterInstance(ctx, &sd.DeregisterInstanceInput{ServiceId: svc.Id, InstanceId: aws.String("i-3")})
	wantErr[*types.InstanceNotFound](t, err)
	_, err = n.Client.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: aws.String("srv-aaaaaaaaaaaaaaaa"),
		InstanceId: aws.String("x"), Attributes: map[string]string{"a": "b"}})
	wantErr[*types.ServiceNotFound](t, err)
}

func TestTags(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createHTTPNamespace(t, n, "tags")
	ns, _ := n.Client.GetNamespace(ctx, &sd.GetNamespaceInput{Id: &nsID})
	arn := ns.Namespace.Arn
	_, err := n.Client.TagResource(ctx, &sd.TagResourceInput{ResourceARN: arn, Tags: []types.Tag{
		{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Client.UntagResource(ctx, &sd.UntagResourceInput{ResourceARN: arn, TagKeys: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	out, err := n.Client.ListTagsForResource(ctx, &sd.ListTagsForResourceInput{ResourceARN: arn})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tags) != 1 || aws.ToString(out.Tags[0].Key) != "b" || aws.ToString(out.Tags[0].Value) != "2" {
		t.Errorf("tags = %+v, want [b=2]", out.Tags)
	}
	var tags []types.Tag
	for i := 0; i < 50; i++ {
		tags = append(tags, types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
	}
	_, err = n.Client.TagResource(ctx, &sd.TagResourceInput{ResourceARN: arn, Tags: tags})
	wantErr[*types.TooManyTagsException](t, err)
	_, err = n.Client.ListTagsForResource(ctx, &sd.ListTagsForResourceInput{
		ResourceARN: aws.String("arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-aaaaaaaaaaaaaaaa")})
	wantErr[*types.ResourceNotFoundException](t, err)
}

func TestListsAndFilters(t *testing.T) {
	n := acceptance.MustStart(t)
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, createHTTPNamespace(t, n, fmt.Sprintf("list-%d", i)))
	}
	createPrivateNamespace(t, n, "priv.local", 10)
	out, err := n.Client.ListNamespaces(ctx, &sd.ListNamespacesInput{Filters: []types.NamespaceFilter{
		{Name: types.NamespaceFilterNameType, Values: []string{"HTTP"}, Condition: types.FilterConditionEq}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Namespaces) != 5 {
		t.Errorf("HTTP namespaces = %d, want 5", len(out.Namespaces))
	}
	var all []string
	p := sd.NewListNamespacesPaginator(n.Client, &sd.ListNamespacesInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Namespaces {
			all = append(all, aws.ToString(s.Id))
		}
	}
	if len(all) != 6 {
		t.Errorf("paged namespaces = %d, want 6", len(all))
	}
	_, err = n.Client.ListNamespaces(ctx, &sd.ListNamespacesInput{NextToken: aws.String("garbage!")})
	wantErr[*types.InvalidInput](t, err)
	_, err = n.Client.ListNamespaces(ctx, &sd.ListNamespacesInput{MaxResults: aws.Int32(101)})
	wantErr[*types.InvalidInput](t, err)

	createService(t, n, &sd.CreateServiceInput{Name: aws.String("a"), NamespaceId: &ids[0]})
	createService(t, n, &sd.CreateServiceInput{Name: aws.String("b"), NamespaceId: &ids[1]})
	ls, err := n.Client.ListServices(ctx, &sd.ListServicesInput{Filters: []types.ServiceFilter{
		{Name: types.ServiceFilterNameNamespaceId, Values: []string{ids[1]}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ls.Services) != 1 || aws.ToString(ls.Services[0].Name) != "b" {
		t.Errorf("services in %s = %+v", ids[1], ls.Services)
	}
	ops, err := n.Client.ListOperations(ctx, &sd.ListOperationsInput{Filters: []types.OperationFilter{
		{Name: types.OperationFilterNameType, Values: []string{"CREATE_NAMESPACE"}, Condition: types.FilterConditionEq},
		{Name: types.OperationFilterNameStatus, Values: []string{"SUCCESS", "FAIL"}, Condition: types.FilterConditionIn}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ops.Operations) != 6 {
		t.Errorf("CREATE_NAMESPACE operations = %d, want 6", len(ops.Operations))
	}
	_, err = n.Client.GetOperation(ctx, &sd.GetOperationInput{OperationId: aws.String("nope")})
	wantErr[*types.OperationNotFound](t, err)
}

func TestRestart_KeepsEverything(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createHTTPNamespace(t, n, "durable")
	svc := createService(t, n, &sd.CreateServiceInput{Name: aws.String("api"), NamespaceId: &nsID,
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	register(t, n, *svc.Id, "i-1", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1"})
	if _, err := n.Client.UpdateServiceAttributes(ctx, &sd.UpdateServiceAttributesInput{ServiceId: svc.Id,
		Attributes: map[string]string{"a": "b"}}); err != nil {
		t.Fatal(err)
	}
	n = n.Restart(t)
	if _, err := n.Client.GetNamespace(ctx, &sd.GetNamespaceInput{Id: &nsID}); err != nil {
		t.Errorf("namespace after restart: %v", err)
	}
	gi, err := n.Client.GetInstance(ctx, &sd.GetInstanceInput{ServiceId: svc.Id, InstanceId: aws.String("i-1")})
	if err != nil || gi.Instance.Attributes["AWS_INSTANCE_IPV4"] != "10.0.0.1" {
		t.Errorf("instance after restart: %v %+v", err, gi)
	}
	tags, err := n.Client.ListTagsForResource(ctx, &sd.ListTagsForResourceInput{ResourceARN: svc.Arn})
	if err != nil || len(tags.Tags) != 1 {
		t.Errorf("tags after restart: %v %+v", err, tags)
	}
	attrs, err := n.Client.GetServiceAttributes(ctx, &sd.GetServiceAttributesInput{ServiceId: svc.Id})
	if err != nil || attrs.ServiceAttributes.Attributes["a"] != "b" {
		t.Errorf("service attributes after restart: %v %+v", err, attrs)
	}
	ops, err := n.Client.ListOperations(ctx, &sd.ListOperationsInput{})
	if err != nil || len(ops.Operations) < 2 {
		t.Errorf("operations after restart: %v %+v", err, ops)
	}
}

func TestValidation_InvalidInput(t *testing.T) {
	n := acceptance.MustStart(t)
	cases := []struct {
		name string
		call func() error
	}{
		{"namespace name too long", func() error {
			_, err := n.Client.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String(strings.Repeat("a", 1025))})
			return err
		}},
		{"arn: prefix", func() error {
			_, err := n.Client.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String("arn:x")})
			return err
		}},
		{"bad service name", func() error {
			_, err := n.Client.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("-bad-"), NamespaceId: aws.String("ns-aaaaaaaaaaaaaaaa")})
			return err
		}},
		{"bad instance id", func() error {
			_, err := n.Client.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: aws.String("srv-aaaaaaaaaaaaaaaa"),
				InstanceId: aws.String("has space"), Attributes: map[string]string{"a": "b"}})
			return err
		}},
		{"failure threshold out of range", func() error {
			_, err := n.Client.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("x"), NamespaceId: aws.String("ns-aaaaaaaaaaaaaaaa"),
				HealthCheckCustomConfig: &types.HealthCheckCustomConfig{FailureThreshold: aws.Int32(11)}})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := wantErr[*types.InvalidInput](t, c.call())
			if e.ErrorMessage() == "" {
				t.Error("InvalidInput without a message")
			}
		})
	}
}

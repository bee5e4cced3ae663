package acceptance_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/embed"
	"github.com/cloudmap/cloudmap/etcd/etcdtest"
	"github.com/cloudmap/cloudmap/storetest/teststore"
)

// records is a DnsConfig with the record types (TTL 10) and the routing
// policy left out.
func records(rts ...types.RecordType) *types.DnsConfig {
	c := &types.DnsConfig{}
	for _, t := range rts {
		c.DnsRecords = append(c.DnsRecords, types.DnsRecord{Type: t, TTL: aws.Int64(10)})
	}
	return c
}

// TestCompat_ASRVService creates the service shape of real ECS
// deployments, A and SRV records without a routing policy: it gets
// MULTIVALUE, and DNS answers A and SRV from the same service, each SRV
// target resolving to its instance; AAAA too in a dual-stack service.
func TestCompat_ASRVService(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createPrivateNamespace(t, n, "ecs.local", 30)
	svc := createService(t, n, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: &nsID,
		DnsConfig: records(types.RecordTypeA, types.RecordTypeSrv)})
	if svc.DnsConfig.RoutingPolicy != types.RoutingPolicyMultivalue {
		t.Errorf("RoutingPolicy = %q, want MULTIVALUE (the default)", svc.DnsConfig.RoutingPolicy)
	}
	register(t, n, *svc.Id, "task-1", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1", "AWS_INSTANCE_PORT": "8080"})
	register(t, n, *svc.Id, "task-2", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.2", "AWS_INSTANCE_PORT": "8081"})
	wantAnswers(t, n.Query(t, "udp", "web.ecs.local", dns.TypeA),
		"web.ecs.local. 10 IN A 10.0.0.1", "web.ecs.local. 10 IN A 10.0.0.2")
	wantAnswers(t, n.Query(t, "udp", "web.ecs.local", dns.TypeSRV),
		"web.ecs.local. 10 IN SRV 1 1 8080 task-1.web.ecs.local.", "web.ecs.local. 10 IN SRV 1 1 8081 task-2.web.ecs.local.")
	wantAnswers(t, n.Query(t, "udp", "task-2.web.ecs.local", dns.TypeA), "task-2.web.ecs.local. 10 IN A 10.0.0.2")

	dual := createService(t, n, &sd.CreateServiceInput{Name: aws.String("dual"), NamespaceId: &nsID,
		DnsConfig: records(types.RecordTypeA, types.RecordTypeAaaa, types.RecordTypeSrv)})
	register(t, n, *dual.Id, "d-1", map[string]string{"AWS_INSTANCE_IPV4": "10.0.1.1", "AWS_INSTANCE_IPV6": "2001:db8::1", "AWS_INSTANCE_PORT": "443"})
	wantAnswers(t, n.Query(t, "udp", "dual.ecs.local", dns.TypeAAAA), "dual.ecs.local. 10 IN AAAA 2001:db8::1")
	wantAnswers(t, n.Query(t, "tcp", "dual.ecs.local", dns.TypeSRV), "dual.ecs.local. 10 IN SRV 1 1 443 d-1.dual.ecs.local.")
	wantAnswers(t, n.Query(t, "udp", "d-1.dual.ecs.local", dns.TypeAAAA), "d-1.dual.ecs.local. 10 IN AAAA 2001:db8::1")

	// The record types stay; their TTLs change.
	_, err := n.Client.UpdateService(ctx, &sd.UpdateServiceInput{Id: svc.Id, Service: &types.ServiceChange{
		DnsConfig: &types.DnsConfigChange{DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(20)}}}}})
	_, _, msg := apiError(t, err)
	if e := wantErr[*types.InvalidInput](t, err); e == nil || !strings.Contains(msg, "record types of a service cannot change") {
		t.Errorf("dropping SRV: %v", err)
	}
	out, err := n.Client.UpdateService(ctx, &sd.UpdateServiceInput{Id: svc.Id, Service: &types.ServiceChange{
		DnsConfig: &types.DnsConfigChange{DnsRecords: []types.DnsRecord{
			{Type: types.RecordTypeA, TTL: aws.Int64(20)}, {Type: types.RecordTypeSrv, TTL: aws.Int64(20)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if op := n.WaitOperation(t, *out.OperationId); op.Status != types.OperationStatusSuccess {
		t.Fatalf("UpdateService: %+v", op)
	}
	wantAnswers(t, n.Query(t, "udp", "task-1.web.ecs.local", dns.TypeA), "task-1.web.ecs.local. 20 IN A 10.0.0.1")
}

// wantAnswers fails unless m's answer section is exactly the records.
func wantAnswers(t *testing.T, m *dns.Msg, want ...string) {
	t.Helper()
	if got := answers(m); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("answers %v, want %v", got, want)
	}
}

// TestCompat_Shapes checks the members real AWS output has and the model
// does not require: DnsProperties {SOA: {}} of HTTP namespaces (Get and
// List) and DnsConfig {} of services without DNS (Get and List), in the
// SDK's view and on the wire.
func TestCompat_Shapes(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createHTTPNamespace(t, n, "shapes")
	svc := createService(t, n, &sd.CreateServiceInput{Name: aws.String("api"), NamespaceId: &nsID})
	if svc.DnsConfig == nil || len(svc.DnsConfig.DnsRecords) != 0 {
		t.Errorf("CreateService DnsConfig = %+v, want {}", svc.DnsConfig)
	}
	got, err := n.Client.GetNamespace(ctx, &sd.GetNamespaceInput{Id: &nsID})
	if err != nil {
		t.Fatal(err)
	}
	if p := got.Namespace.Properties; p == nil || p.DnsProperties == nil || p.DnsProperties.SOA == nil ||
		p.DnsProperties.SOA.TTL != nil || p.DnsProperties.HostedZoneId != nil {
		t.Errorf("GetNamespace Properties = %+v, want DnsProperties {SOA: {}}", p)
	}
	body := rawCall(t, n, "GetNamespace", `{"Id":"`+nsID+`"}`)
	if !strings.Contains(body, `"DnsProperties":{"SOA":{}}`) || !strings.Contains(body, `"HttpProperties":{"HttpName":"shapes"}`) {
		t.Errorf("GetNamespace body %s", body)
	}
	if body := rawCall(t, n, "ListNamespaces", `{}`); !strings.Contains(body, `"DnsProperties":{"SOA":{}}`) {
		t.Errorf("ListNamespaces body %s", body)
	}
	if body := rawCall(t, n, "ListServices", `{}`); !strings.Contains(body, `"DnsConfig":{}`) {
		t.Errorf("ListServices body %s", body)
	}
	if body := rawCall(t, n, "GetService", `{"Id":"`+*svc.Id+`"}`); !strings.Contains(body, `"DnsConfig":{}`) {
		t.Errorf("GetService body %s", body)
	}
	list, err := n.Client.ListServices(ctx, &sd.ListServicesInput{})
	if err != nil || len(list.Services) != 1 || list.Services[0].DnsConfig == nil {
		t.Errorf("ListServices = %+v, %v", list, err)
	}
}

// rawCall posts an unsigned request (the test server accepts them on
// loopback) and returns the body.
func rawCall(t *testing.T, n *acceptance.Node, op, body string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, n.APIURL(), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Route53AutoNaming_v20170314."+op)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", op, resp.StatusCode, b)
	}
	return string(b)
}

// TestCompat_Refused sends what real AWS refuses: InvalidInput naming the
// member and the rule, or not found, and nothing changes.
func TestCompat_Refused(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createPrivateNamespace(t, n, "refuse.local", 30)
	svc := createService(t, n, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: &nsID,
		DnsConfig: records(types.RecordTypeSrv, types.RecordTypeA)})
	register(t, n, *svc.Id, "api", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1", "AWS_INSTANCE_PORT": "80"})
	other := createService(t, n, &sd.CreateServiceInput{Name: aws.String("db.web"), NamespaceId: &nsID, DnsConfig: records(types.RecordTypeA)})
	invalid := []struct {
		name      string
		call      func() error
		wantInMsg []string
	}{
		{"CNAME with A", func() error {
			_, err := n.Client.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("c"), NamespaceId: &nsID,
				DnsConfig: &types.DnsConfig{RoutingPolicy: types.RoutingPolicyWeighted, DnsRecords: records(types.RecordTypeCname, types.RecordTypeA).DnsRecords}})
			return err
		}, []string{"DnsConfig.DnsRecords", "CNAME record cannot be combined"}},
		{"CNAME multivalue", func() error {
			_, err := n.Client.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("c"), NamespaceId: &nsID, DnsConfig: records(types.RecordTypeCname)})
			return err
		}, []string{"DnsConfig.RoutingPolicy", "must be WEIGHTED"}},
		{"A+SRV without a port", func() error {
			_, err := n.Client.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: aws.String("p"),
				Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.9"}})
			return err
		}, []string{"AWS_INSTANCE_PORT is required", "SRV record"}},
		{"A+SRV without IPv4", func() error {
			_, err := n.Client.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: aws.String("p"),
				Attributes: map[string]string{"AWS_INSTANCE_IPV6": "2001:db8::9", "AWS_INSTANCE_PORT": "80"}})
			return err
		}, []string{"AWS_INSTANCE_IPV4 is required", "A record"}},
		{"port with sign", func() error {
			_, err := n.Client.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: aws.String("p"),
				Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.9", "AWS_INSTANCE_PORT": "+80"}})
			return err
		}, []string{"AWS_INSTANCE_PORT", "without sign or leading zeros"}},
		{"port with leading zeros", func() error {
			_, err := n.Client.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: aws.String("p"),
				Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.9", "AWS_INSTANCE_PORT": "0080"}})
			return err
		}, []string{"AWS_INSTANCE_PORT", "without sign or leading zeros"}},
		{"empty label", func() error {
			_, err := n.Client.CreatePrivateDnsNamespace(ctx, &sd.CreatePrivateDnsNamespaceInput{Name: aws.String("a..local"), Vpc: aws.String("vpc-1")})
			return err
		}, []string{"Name", "empty label"}},
		{"label too long", func() error {
			_, err := n.Client.CreatePrivateDnsNamespace(ctx, &sd.CreatePrivateDnsNamespaceInput{Name: aws.String(strings.Repeat("a", 64) + ".local"), Vpc: aws.String("vpc-1")})
			return err
		}, []string{"Name", "at most 63"}},
		{"service name is an SRV target", func() error {
			_, err := n.Client.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("api.web"), NamespaceId: &nsID, DnsConfig: records(types.RecordTypeA)})
			return err
		}, []string{`Name "api.web"`, "SRV target of instance api of service web (" + *svc.Id + ")"}},
		{"SRV target is a service name", func() error {
			_, err := n.Client.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: aws.String("db"),
				Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.9", "AWS_INSTANCE_PORT": "80"}})
			return err
		}, []string{`InstanceId "db"`, "record name of service db.web (" + *other.Id + ")"}},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			wantErr[*types.InvalidInput](t, err)
			_, _, msg := apiError(t, err)
			for _, s := range tc.wantInMsg {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not contain %q", msg, s)
				}
			}
		})
	}
	ids, err := discoverIDs(n, "refuse.local", "web")
	if err != nil || fmt.Sprint(ids) != "[api]" {
		t.Errorf("instances of web after the refused requests: %v, %v", ids, err)
	}
	// Another partition's ARN is not found; not found names the id.
	cn := strings.Replace(aws.ToString(svc.Arn), "arn:aws:", "arn:aws-cn:", 1)
	_, err = n.Client.GetService(ctx, &sd.GetServiceInput{Id: &cn})
	wantErr[*types.ServiceNotFound](t, err)
	if _, _, msg := apiError(t, err); msg != `service "`+cn+`" not found` {
		t.Errorf("message %q", msg)
	}
	_, err = n.Client.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("nope.local"), ServiceName: aws.String("web")})
	wantErr[*types.NamespaceNotFound](t, err)
	if _, _, msg := apiError(t, err); msg != `namespace named "nope.local" not found` {
		t.Errorf("message %q", msg)
	}
	// DNS: a query with two OPT records is FORMERR (a question without type
	// and class is sent raw in dnsserver's TestServer_badPackets).
	q := new(dns.Msg)
	q.SetQuestion("web.refuse.local.", dns.TypeA)
	q.SetEdns0(1232, false)
	q.Extra = append(q.Extra, q.Extra[0])
	r, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(q, n.DNSAddr())
	if err != nil || r.Rcode != dns.RcodeFormatError {
		t.Errorf("two OPT records: %v, %v; want FORMERR", r, err)
	}
}

// motoStyle runs the script of client code written for moto, which never
// polls: every read comes right after the write it depends on. It returns
// a description of each read that missed the write.
func motoStyle(c *sd.Client, i int) []string {
	var misses []string
	miss := func(format string, args ...any) {
		misses = append(misses, fmt.Sprintf("%d: "+format, append([]any{i}, args...)...))
	}
	name := fmt.Sprintf("moto-%d.local", i)
	op, err := c.CreatePrivateDnsNamespace(ctx, &sd.CreatePrivateDnsNamespaceInput{Name: &name, Vpc: aws.String("vpc-1")})
	if err != nil {
		return []string{err.Error()}
	}
	list, err := c.ListNamespaces(ctx, &sd.ListNamespacesInput{Filters: []types.NamespaceFilter{
		{Name: types.NamespaceFilterNameName, Values: []string{name}}}})
	if err != nil || len(list.Namespaces) != 1 {
		miss("ListNamespaces after create: %v %v", list, err)
		return misses
	}
	got, err := c.GetOperation(ctx, &sd.GetOperationInput{OperationId: op.OperationId})
	if err != nil || got.Operation.Status != types.OperationStatusSuccess {
		miss("GetOperation after create: %v", err)
		return misses
	}
	nsID := aws.ToString(list.Namespaces[0].Id)
	svc, err := c.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("svc"), NamespaceId: &nsID, DnsConfig: records(types.RecordTypeA)})
	if err != nil {
		return append(misses, err.Error())
	}
	if _, err := c.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: svc.Service.Id, InstanceId: aws.String("i-1"),
		Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1"}}); err != nil {
		return append(misses, err.Error())
	}
	found, err := c.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: &name, ServiceName: aws.String("svc")})
	if err != nil || len(found.Instances) != 1 {
		miss("DiscoverInstances after register: %d instances, %v", len(found.Instances), err)
	}
	if _, err := c.GetInstance(ctx, &sd.GetInstanceInput{ServiceId: svc.Service.Id, InstanceId: aws.String("i-1")}); err != nil {
		miss("GetInstance after register: %v", err)
	}
	if _, err := c.DeregisterInstance(ctx, &sd.DeregisterInstanceInput{ServiceId: svc.Service.Id, InstanceId: aws.String("i-1")}); err != nil {
		return append(misses, err.Error())
	}
	found, err = c.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: &name, ServiceName: aws.String("svc")})
	if err != nil || len(found.Instances) != 0 {
		miss("DiscoverInstances after deregister: %d instances, %v", len(found.Instances), err)
	}
	if _, err := c.DeleteService(ctx, &sd.DeleteServiceInput{Id: svc.Service.Id}); err != nil {
		return append(misses, err.Error())
	}
	if _, err := c.DeleteNamespace(ctx, &sd.DeleteNamespaceInput{Id: &nsID}); err != nil {
		return append(misses, err.Error())
	}
	if _, err := c.GetNamespace(ctx, &sd.GetNamespaceInput{Id: &nsID}); err == nil {
		miss("GetNamespace after delete: still there")
	}
	return misses
}

// motoRuns is how many times the moto-style script runs per store.
const motoRuns = 200

// TestCompat_MotoStyle runs the moto-style script 200 times against the
// embedded store with zero misses.
func TestCompat_MotoStyle(t *testing.T) {
	n := acceptance.MustStart(t)
	for i := range motoRuns {
		if misses := motoStyle(n.Client, i); len(misses) > 0 {
			t.Fatalf("misses: %v", misses)
		}
	}
}

// TestCompat_MotoStyleCluster runs it 200 times on two nodes sharing one
// etcd, each run on one node, alternating: every node gives the guarantee
// for the writes it takes.
func TestCompat_MotoStyleCluster(t *testing.T) {
	teststore.Once(t) // etcd members of its own, not the chosen store
	nodes := startNodes(t, 2, etcdtest.Start(t))
	for i := range motoRuns {
		if misses := motoStyle(nodes[i%2].Client, i); len(misses) > 0 {
			t.Fatalf("misses on node %d: %v", i%2, misses)
		}
	}
}

// TestCompat_OperationDelay starts a node with --operation-delay: calls
// reply at once with the operation SUBMITTED; an operation accepted before
// a stop finishes after the restart.
func TestCompat_OperationDelay(t *testing.T) {
	n := acceptance.MustStart(t, func(c *embed.Config) { c.OperationDelay = time.Hour })
	out, err := n.Client.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String("later")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := n.Client.GetOperation(ctx, &sd.GetOperationInput{OperationId: out.OperationId})
	if err != nil || got.Operation.Status != types.OperationStatusSubmitted {
		t.Fatalf("GetOperation at once = %+v, %v; want SUBMITTED", got, err)
	}
	n.Config.OperationDelay = 0
	n = n.Restart(t)
	op := n.WaitOperation(t, *out.OperationId)
	if op.Status != types.OperationStatusSuccess {
		t.Fatalf("after the restart: %+v", op)
	}
	if _, err := n.Client.GetNamespace(ctx, &sd.GetNamespaceInput{Id: aws.String(op.Targets["NAMESPACE"])}); err != nil {
		t.Fatalf("namespace after the resumed operation: %v", err)
	}
}

package acceptance_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"

	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/embed"
	"github.com/cloudmap/cloudmap/etcd/etcdtest"
	"github.com/cloudmap/cloudmap/storetest/teststore"
)

// A cell is one (account, region). Without keys (loopback), the region
// comes from the SigV4 scope and a 12-digit access key ID is the account.
type cell struct {
	account, region string
	// what the test created in it
	nsID, nsArn, svcID, svcArn, opID string
}

func (c *cell) String() string { return c.account + "/" + c.region }

// cellClient returns an SDK client of n signing for the cell: the
// access key ID is the account (no-auth mode), the region is the cell's.
func cellClient(n *acceptance.Node, account, region string) *sd.Client {
	return sd.NewFromConfig(aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(account, "secret", ""),
	}, func(o *sd.Options) {
		o.BaseEndpoint = aws.String(n.APIURL())
		o.APIOptions = append(o.APIOptions, acceptance.DisableHostPrefix)
	})
}

// sixCells are three regions of two accounts, none the default cell.
func sixCells() []*cell {
	var cells []*cell
	for _, acct := range []string{"111111111111", "222222222222"} {
		for _, region := range []string{"us-east-1", "eu-west-1", "ap-south-1"} {
			cells = append(cells, &cell{account: acct, region: region})
		}
	}
	return cells
}

// populate creates in every cell the same names: the HTTP namespace
// "team", the service "web" and the instance "i-1" whose attribute "cell"
// names the cell; the CreatorRequestIds are the same in every cell, with
// different parameters (a DuplicateRequest if idempotency leaked).
func populate(t *testing.T, n *acceptance.Node, cells []*cell) {
	t.Helper()
	for _, c := range cells {
		cl := cellClient(n, c.account, c.region)
		op, err := cl.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String("team"),
			CreatorRequestId: aws.String("same-token"), Description: aws.String("cell " + c.String())})
		if err != nil {
			t.Fatalf("%s: CreateHttpNamespace: %v", c, err)
		}
		o := acceptance.WaitOperation(t, cl, *op.OperationId)
		if o.Status != types.OperationStatusSuccess || aws.ToString(o.OwnerAccount) != c.account {
			t.Fatalf("%s: operation %s, OwnerAccount %s; want SUCCESS, %s", c, o.Status, aws.ToString(o.OwnerAccount), c.account)
		}
		c.opID, c.nsID = *op.OperationId, o.Targets["NAMESPACE"]
		svc, err := cl.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: &c.nsID,
			CreatorRequestId: aws.String("svc-token"), Description: aws.String(c.String())})
		if err != nil {
			t.Fatalf("%s: CreateService: %v", c, err)
		}
		c.svcID, c.svcArn = *svc.Service.Id, *svc.Service.Arn
		if _, err := cl.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: &c.svcID, InstanceId: aws.String("i-1"),
			Attributes: map[string]string{"cell": c.String()}}); err != nil {
			t.Fatalf("%s: RegisterInstance: %v", c, err)
		}
	}
}

// checkIsolated checks through n that every cell sees exactly its own
// namespace, service, instance and operations, with ARNs and owners of its
// account and region, and that every ID and ARN of the other cells is not
// found.
func checkIsolated(t *testing.T, n *acceptance.Node, cells []*cell) {
	t.Helper()
	for _, c := range cells {
		cl := cellClient(n, c.account, c.region)
		wantArn := fmt.Sprintf("arn:aws:servicediscovery:%s:%s:namespace/%s", c.region, c.account, c.nsID)
		nss, err := cl.ListNamespaces(ctx, &sd.ListNamespacesInput{})
		if err != nil || len(nss.Namespaces) != 1 || aws.ToString(nss.Namespaces[0].Arn) != wantArn {
			t.Errorf("%s: ListNamespaces = %+v, %v; want exactly %s", c, nss, err, wantArn)
		}
		ns, err := cl.GetNamespace(ctx, &sd.GetNamespaceInput{Id: &c.nsID})
		if err != nil || aws.ToString(ns.Namespace.ResourceOwner) != c.account || aws.ToString(ns.Namespace.Description) != "cell "+c.String() {
			t.Errorf("%s: GetNamespace = %+v, %v; want ResourceOwner %s and its own description", c, ns, err, c.account)
		}
		if want := fmt.Sprintf("arn:aws:servicediscovery:%s:%s:service/%s", c.region, c.account, c.svcID); c.svcArn != want {
			t.Errorf("%s: service ARN %s, want %s", c, c.svcArn, want)
		}
		svcs, err := cl.ListServices(ctx, &sd.ListServicesInput{})
		if err != nil || len(svcs.Services) != 1 || aws.ToString(svcs.Services[0].Id) != c.svcID {
			t.Errorf("%s: ListServices = %+v, %v; want exactly %s", c, svcs, err, c.svcID)
		}
		ops, err := cl.ListOperations(ctx, &sd.ListOperationsInput{})
		if err != nil || len(ops.Operations) != 2 {
			t.Errorf("%s: ListOperations = %+v, %v; want its 2 operations", c, ops, err)
		}
		insts, err := cl.ListInstances(ctx, &sd.ListInstancesInput{ServiceId: &c.svcID})
		if err != nil || aws.ToString(insts.ResourceOwner) != c.account || len(insts.Instances) != 1 {
			t.Errorf("%s: ListInstances = %+v, %v; want 1 instance owned by %s", c, insts, err, c.account)
		}
		d, err := cl.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("team"), ServiceName: aws.String("web")})
		if err != nil || len(d.Instances) != 1 || d.Instances[0].Attributes["cell"] != c.String() {
			t.Errorf("%s: DiscoverInstances = %+v, %v; want its own instance only", c, d, err)
		}
		if _, err := cl.GetInstancesHealthStatus(ctx, &sd.GetInstancesHealthStatusInput{ServiceId: &c.svcID}); err != nil {
			t.Errorf("%s: GetInstancesHealthStatus of its own service: %v", c, err)
		}
		for _, o := range cells {
			if o == c {
				continue
			}
			notFound(t, c, "GetNamespace "+o.String(), "NamespaceNotFound", func() error {
				_, err := cl.GetNamespace(ctx, &sd.GetNamespaceInput{Id: &o.nsID})
				return err
			})
			notFound(t, c, "GetService "+o.String(), "ServiceNotFound", func() error {
				_, err := cl.GetService(ctx, &sd.GetServiceInput{Id: &o.svcID})
				return err
			})
			notFound(t, c, "GetService by ARN "+o.String(), "ServiceNotFound", func() error {
				_, err := cl.GetService(ctx, &sd.GetServiceInput{Id: &o.svcArn})
				return err
			})
			notFound(t, c, "GetInstance "+o.String(), "ServiceNotFound", func() error {
				_, err := cl.GetInstance(ctx, &sd.GetInstanceInput{ServiceId: &o.svcID, InstanceId: aws.String("i-1")})
				return err
			})
			notFound(t, c, "GetOperation "+o.String(), "OperationNotFound", func() error {
				_, err := cl.GetOperation(ctx, &sd.GetOperationInput{OperationId: &o.opID})
				return err
			})
			notFound(t, c, "GetInstancesHealthStatus "+o.String(), "ServiceNotFound", func() error {
				_, err := cl.GetInstancesHealthStatus(ctx, &sd.GetInstancesHealthStatusInput{ServiceId: &o.svcID})
				return err
			})
			notFound(t, c, "ListTagsForResource "+o.String(), "ResourceNotFoundException", func() error {
				_, err := cl.ListTagsForResource(ctx, &sd.ListTagsForResourceInput{ResourceARN: &o.svcArn})
				return err
			})
		}
	}
}

// notFound checks that call fails with code.
func notFound(t *testing.T, c *cell, what, code string, call func() error) {
	t.Helper()
	err := call()
	if err == nil {
		t.Errorf("%s: %s succeeded, want %s", c, what, code)
		return
	}
	if _, got, _ := apiError(t, err); got != code {
		t.Errorf("%s: %s: got %s, want %s", c, what, got, code)
	}
}

func TestCells_IsolatedAndKeptOverRestart(t *testing.T) {
	n := acceptance.MustStart(t)
	cells := sixCells()
	populate(t, n, cells)
	checkIsolated(t, n, cells)
	// The default cell (unsigned or AKIDEXAMPLE in us-east-1) saw none of it.
	if out, err := n.Client.ListNamespaces(ctx, &sd.ListNamespacesInput{}); err != nil || len(out.Namespaces) != 0 {
		t.Errorf("default cell: ListNamespaces = %+v, %v; want none", out, err)
	}
	n = n.Restart(t)
	checkIsolated(t, n, cells)
}

func TestCells_Etcd_TwoNodes(t *testing.T) {
	teststore.Once(t) // etcd members of its own, not the chosen store
	nodes := startNodes(t, 2, etcdtest.Start(t))
	cells := sixCells()
	populate(t, nodes[0], cells)
	// The second node's view catches up with the feed; then every answer
	// there is isolated too.
	last := cells[len(cells)-1]
	within(t, "the second node sees the last cell's instance", func() error {
		d, err := cellClient(nodes[1], last.account, last.region).DiscoverInstances(ctx,
			&sd.DiscoverInstancesInput{NamespaceName: aws.String("team"), ServiceName: aws.String("web")})
		if err != nil || len(d.Instances) != 1 {
			return fmt.Errorf("DiscoverInstances = %+v, %v", d, err)
		}
		return nil
	})
	checkIsolated(t, nodes[1], cells)
}

func TestCells_QuotasPerCell(t *testing.T) {
	n := acceptance.MustStart(t, func(c *embed.Config) { c.MaxNamespaces = 1 })
	a := cellClient(n, "111111111111", "eu-west-1")
	b := cellClient(n, "222222222222", "eu-west-1")
	for _, cl := range []*sd.Client{a, b} {
		if _, err := cl.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String("one")}); err != nil {
			t.Fatalf("first namespace of a cell: %v", err)
		}
	}
	_, err := a.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String("two")})
	if err == nil {
		t.Fatal("second namespace of a cell with --max-namespaces 1 succeeded")
	}
	if _, code, msg := apiError(t, err); code != "ResourceLimitExceeded" || !strings.Contains(msg, "maximum of 1 namespaces") {
		t.Errorf("got %s %q, want ResourceLimitExceeded naming the quota", code, msg)
	}
}

const cellCredentials = `[team-a]
aws_access_key_id = AKIDTEAMA
aws_secret_access_key = team-a-secret
account_id = 111111111111

[team-a-reader]
aws_access_key_id = AKIDTEAMAREAD
aws_secret_access_key = team-a-reader-secret
account_id = 111111111111
allowed_namespaces = team

[team-b]
aws_access_key_id = AKIDTEAMB
aws_secret_access_key = team-b-secret
account_id = 222222222222

[platform]
aws_access_key_id = AKIDPLATFORM
aws_secret_access_key = platform-secret
`

// signedClient returns an SDK client of n signing with key in region.
func signedClient(n *acceptance.Node, region, key, secret string) *sd.Client {
	return sd.NewFromConfig(aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")},
		func(o *sd.Options) {
			o.BaseEndpoint = aws.String(n.APIURL())
			o.APIOptions = append(o.APIOptions, acceptance.DisableHostPrefix)
		})
}

// With keys, the account is the key's account_id (else --account-id) and
// the region the verified credential scope's; a key scoped to namespaces
// is scoped inside its own account.
func TestCells_SignedKeysCarryTheirAccount(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(path, []byte(cellCredentials), 0o600); err != nil {
		t.Fatal(err)
	}
	n := acceptance.MustStart(t, func(c *embed.Config) { c.CredentialsFile = path })
	for _, tc := range []struct{ key, secret, region, account string }{
		{"AKIDTEAMA", "team-a-secret", "eu-west-1", "111111111111"},
		{"AKIDTEAMB", "team-b-secret", "eu-west-1", "222222222222"},
		{"AKIDPLATFORM", "platform-secret", "us-east-1", "123456789012"},
		{"AKIDPLATFORM", "platform-secret", "ap-south-1", "123456789012"},
	} {
		cl := signedClient(n, tc.region, tc.key, tc.secret)
		op, err := cl.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String("team")})
		if err != nil {
			t.Fatalf("%s in %s: %v", tc.key, tc.region, err)
		}
		o := acceptance.WaitOperation(t, cl, *op.OperationId)
		ns, err := cl.GetNamespace(ctx, &sd.GetNamespaceInput{Id: aws.String(o.Targets["NAMESPACE"])})
		want := "arn:aws:servicediscovery:" + tc.region + ":" + tc.account + ":namespace/"
		if err != nil || !strings.HasPrefix(aws.ToString(ns.Namespace.Arn), want) || aws.ToString(ns.Namespace.ResourceOwner) != tc.account {
			t.Errorf("%s in %s: namespace %+v, %v; want ARN %s… owned by %s", tc.key, tc.region, ns, err, want, tc.account)
		}
	}
	// The reader of account 111111111111 is scoped to "team": its own
	// account's team, never account 222222222222's namespace of that name.
	reader := signedClient(n, "eu-west-1", "AKIDTEAMAREAD", "team-a-reader-secret")
	own, err := reader.ListNamespaces(ctx, &sd.ListNamespacesInput{})
	if err == nil {
		t.Errorf("scoped reader listing namespaces (not tied to one): %+v, want AccessDenied", own)
	}
	b := signedClient(n, "eu-west-1", "AKIDTEAMB", "team-b-secret")
	bns, err := b.ListNamespaces(ctx, &sd.ListNamespacesInput{})
	if err != nil || len(bns.Namespaces) != 1 {
		t.Fatalf("team-b ListNamespaces = %+v, %v", bns, err)
	}
	_, err = reader.GetNamespace(ctx, &sd.GetNamespaceInput{Id: bns.Namespaces[0].Id})
	if code := apiCode(t, err); code != "AccessDeniedException" {
		t.Errorf("scoped reader reading another account's namespace of its scope's name: %s, want AccessDeniedException", code)
	}
	a := signedClient(n, "eu-west-1", "AKIDTEAMA", "team-a-secret")
	ans, err := a.ListNamespaces(ctx, &sd.ListNamespacesInput{})
	if err != nil || len(ans.Namespaces) != 1 {
		t.Fatalf("team-a ListNamespaces = %+v, %v", ans, err)
	}
	if _, err := reader.GetNamespace(ctx, &sd.GetNamespaceInput{Id: ans.Namespaces[0].Id}); err != nil {
		t.Errorf("scoped reader reading its own account's namespace: %v", err)
	}
}

// The operations worker and the health checker run the work of every
// cell: delayed operations of another cell finish, and an active health
// check of an instance of another cell records its status there.
func TestCells_WorkerAndCheckerCoverEveryCell(t *testing.T) {
	n := acceptance.MustStart(t, func(c *embed.Config) { c.OperationDelay = 20 * time.Millisecond })
	cl := cellClient(n, "222222222222", "ap-south-1")
	out, err := cl.CreatePublicDnsNamespace(ctx, &sd.CreatePublicDnsNamespaceInput{Name: aws.String("cells.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	o := acceptance.WaitOperation(t, cl, *out.OperationId)
	if o.Status != types.OperationStatusSuccess {
		t.Fatalf("delayed create in another cell: %s", o.Status)
	}
	nsID := o.Targets["NAMESPACE"]
	svc, err := cl.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: &nsID,
		DnsConfig: &types.DnsConfig{DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(10)}}},
		HealthCheckConfig: &types.HealthCheckConfig{Type: types.HealthCheckTypeHttp, ResourcePath: aws.String("/"),
			FailureThreshold: aws.Int32(1)}})
	if err != nil {
		t.Fatal(err)
	}
	target, code := switchable(t)
	code.Store(500)
	h, p := hostPort(t, target.URL)
	reg, err := cl.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: svc.Service.Id, InstanceId: aws.String("i-1"),
		Attributes: map[string]string{"AWS_INSTANCE_IPV4": h, "AWS_INSTANCE_PORT": p}})
	if err != nil {
		t.Fatal(err)
	}
	if o := acceptance.WaitOperation(t, cl, *reg.OperationId); o.Status != types.OperationStatusSuccess {
		t.Fatalf("delayed registration in another cell: %s", o.Status)
	}
	eventually(t, "the other cell's instance checked unhealthy", func() bool {
		hs, err := cl.GetInstancesHealthStatus(ctx, &sd.GetInstancesHealthStatusInput{ServiceId: svc.Service.Id})
		return err == nil && hs.Status["i-1"] == types.HealthStatusUnhealthy
	})
}

// On etcd one elected node runs the operations of every cell, whichever
// node accepted them.
func TestCells_Etcd_OneWorkerForEveryCell(t *testing.T) {
	teststore.Once(t) // etcd members of its own, not the chosen store
	nodes := startNodes(t, 2, etcdtest.Start(t), func(c *embed.Config) { c.OperationDelay = 20 * time.Millisecond })
	for i, n := range nodes {
		for _, c := range sixCells()[:3] {
			cl := cellClient(n, c.account, c.region)
			out, err := cl.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String(fmt.Sprintf("via-node-%d", i))})
			if err != nil {
				t.Fatalf("%s via node %d: %v", c, i, err)
			}
			if o := acceptance.WaitOperation(t, cl, *out.OperationId); o.Status != types.OperationStatusSuccess {
				t.Errorf("%s via node %d: operation %s", c, i, o.Status)
			}
		}
	}
	if l := leaders(nodes); len(l) != 1 {
		t.Errorf("%d nodes lead, want 1", len(l))
	}
}

package acceptance_test

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/embed"
	"github.com/cloudmap/cloudmap/etcd/etcdtest"
	"github.com/cloudmap/cloudmap/storetest/teststore"
)

// queryFrom asks n's DNS server over UDP from the loopback address from.
func queryFrom(t *testing.T, n *acceptance.Node, from, name string) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: "udp", Timeout: 5 * time.Second,
		Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(from)}}}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	r, _, err := c.Exchange(m, n.DNSAddr())
	if err != nil {
		t.Fatalf("dns from %s %s: %v", from, name, err)
	}
	return r
}

// dnsNamespace creates a DNS namespace (private when vpc is set) with the
// A-record service "db" holding one instance at ip, through cl, and
// returns the namespace id.
func dnsNamespace(t *testing.T, cl *sd.Client, name, vpc, ip string) string {
	t.Helper()
	var op *string
	if vpc != "" {
		out, err := cl.CreatePrivateDnsNamespace(ctx, &sd.CreatePrivateDnsNamespaceInput{Name: &name, Vpc: &vpc})
		if err != nil {
			t.Fatalf("CreatePrivateDnsNamespace %s: %v", name, err)
		}
		op = out.OperationId
	} else {
		out, err := cl.CreatePublicDnsNamespace(ctx, &sd.CreatePublicDnsNamespaceInput{Name: &name})
		if err != nil {
			t.Fatalf("CreatePublicDnsNamespace %s: %v", name, err)
		}
		op = out.OperationId
	}
	o := acceptance.WaitOperation(t, cl, *op)
	if o.Status != types.OperationStatusSuccess {
		t.Fatalf("create %s: %s %s", name, aws.ToString(o.ErrorCode), aws.ToString(o.ErrorMessage))
	}
	nsID := o.Targets["NAMESPACE"]
	svc, err := cl.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("db"), NamespaceId: &nsID,
		DnsConfig: &types.DnsConfig{DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(30)}}}})
	if err != nil {
		t.Fatalf("CreateService in %s: %v", name, err)
	}
	if _, err := cl.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: svc.Service.Id, InstanceId: aws.String("i-1"),
		Attributes: map[string]string{"AWS_INSTANCE_IPV4": ip}}); err != nil {
		t.Fatalf("RegisterInstance in %s: %v", name, err)
	}
	return nsID
}

// Two accounts each create corp.internal for their own VPC; a client sees
// the namespace of its VPC only. Public namespaces of every cell are seen
// by everyone, the older one when two share a name.
func TestCells_DNSViewsByVPC(t *testing.T) {
	logs := &syncBuffer{}
	n := acceptance.MustStart(t, func(c *embed.Config) {
		c.VPCs = map[string][]netip.Prefix{
			"vpc-a": {netip.MustParsePrefix("127.0.0.2/32")},
			"vpc-b": {netip.MustParsePrefix("127.0.0.3/32")},
		}
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	a := cellClient(n, "111111111111", "eu-west-1")
	b := cellClient(n, "222222222222", "eu-west-1")
	dnsNamespace(t, a, "corp.internal", "vpc-a", "10.0.0.2")
	dnsNamespace(t, b, "corp.internal", "vpc-b", "10.0.0.3")
	dnsNamespace(t, n.Client, "legacy.internal", "vpc-undeclared", "10.0.0.9")
	older := dnsNamespace(t, a, "shop.example", "", "10.1.0.1")
	created, err := a.GetNamespace(ctx, &sd.GetNamespaceInput{Id: &older})
	if err != nil {
		t.Fatal(err)
	}
	for !time.Now().After(created.Namespace.CreateDate.Add(time.Millisecond)) {
		// the younger namespace must carry a later CreateDate
	}
	dnsNamespace(t, b, "shop.example", "", "10.1.0.2")

	for _, tc := range []struct {
		from, name string
		want       string // "" for REFUSED
	}{
		{"127.0.0.2", "db.corp.internal", "10.0.0.2"},
		{"127.0.0.3", "db.corp.internal", "10.0.0.3"},
		{"127.0.0.1", "db.corp.internal", ""}, // in neither VPC
		{"127.0.0.1", "db.legacy.internal", "10.0.0.9"},
		{"127.0.0.2", "db.legacy.internal", "10.0.0.9"}, // undeclared VPC: --dns-private-cidrs
		{"127.0.0.1", "db.shop.example", "10.1.0.1"},
		{"127.0.0.2", "db.shop.example", "10.1.0.1"},
		{"127.0.0.3", "db.shop.example", "10.1.0.1"},
	} {
		r := queryFrom(t, n, tc.from, tc.name)
		got := answers(r)
		switch {
		case tc.want == "" && r.Rcode != dns.RcodeRefused:
			t.Errorf("%s from %s: rcode %s %v, want REFUSED", tc.name, tc.from, dns.RcodeToString[r.Rcode], got)
		case tc.want != "" && (len(got) != 1 || !strings.HasSuffix(got[0], tc.want)):
			t.Errorf("%s from %s: %s %v, want %s", tc.name, tc.from, dns.RcodeToString[r.Rcode], got, tc.want)
		}
	}
	if !strings.Contains(logs.String(), "public namespaces of the same name in two cells") {
		t.Error("the clash of the two public shop.example namespaces was not logged")
	}
}

// Private namespaces of one declared VPC may not overlap, in any cell:
// the operation fails as Route 53's ConflictingDomainExists makes it fail.
func TestCells_PrivateNamespacesOfAVPCDoNotOverlap(t *testing.T) {
	n := acceptance.MustStart(t, func(c *embed.Config) {
		c.VPCs = map[string][]netip.Prefix{"vpc-a": {netip.MustParsePrefix("127.0.0.2/32")}}
	})
	a := cellClient(n, "111111111111", "eu-west-1")
	b := cellClient(n, "222222222222", "us-east-1")
	dnsNamespace(t, a, "corp.internal", "vpc-a", "10.0.0.2")
	create := func(cl *sd.Client, name, vpc string) *types.Operation {
		t.Helper()
		out, err := cl.CreatePrivateDnsNamespace(ctx, &sd.CreatePrivateDnsNamespaceInput{Name: &name, Vpc: &vpc})
		if err != nil {
			t.Fatalf("CreatePrivateDnsNamespace %s: %v", name, err)
		}
		return acceptance.WaitOperation(t, cl, *out.OperationId)
	}
	for _, tc := range []struct {
		name string
		cl   *sd.Client
		ns   string
		vpc  string
		fail bool
	}{
		{"child, same cell", a, "eu.corp.internal", "vpc-a", true},
		{"equal, other cell", b, "CORP.internal.", "vpc-a", true},
		{"parent, other cell", b, "internal", "vpc-a", true},
		{"sibling", b, "other.internal", "vpc-a", false},
		{"undeclared VPC keeps today's rule", a, "x.corp.internal", "vpc-undeclared", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := create(tc.cl, tc.ns, tc.vpc)
			if !tc.fail {
				if o.Status != types.OperationStatusSuccess {
					t.Errorf("got %s %s, want SUCCESS", o.Status, aws.ToString(o.ErrorMessage))
				}
				return
			}
			if o.Status != types.OperationStatusFail || aws.ToString(o.ErrorCode) != "CANNOT_CREATE_HOSTED_ZONE" ||
				!strings.Contains(aws.ToString(o.ErrorMessage), "ConflictingDomainExists") ||
				!strings.Contains(aws.ToString(o.ErrorMessage), "corp.internal") {
				t.Errorf("got %s %s %q, want FAIL CANNOT_CREATE_HOSTED_ZONE naming ConflictingDomainExists and corp.internal",
					o.Status, aws.ToString(o.ErrorCode), aws.ToString(o.ErrorMessage))
			}
		})
	}
	// A failed create leaves no namespace behind.
	out, err := b.ListNamespaces(ctx, &sd.ListNamespacesInput{})
	if err != nil || len(out.Namespaces) != 1 || aws.ToString(out.Namespaces[0].Name) != "other.internal" {
		t.Errorf("cell b: ListNamespaces = %+v, %v; want only other.internal", out, err)
	}
	// Deleting a namespace frees its name in the VPC.
	del, err := b.DeleteNamespace(ctx, &sd.DeleteNamespaceInput{Id: out.Namespaces[0].Id})
	if err != nil {
		t.Fatal(err)
	}
	acceptance.WaitOperation(t, b, *del.OperationId)
	if o := create(b, "x.other.internal", "vpc-a"); o.Status != types.OperationStatusSuccess {
		t.Errorf("after the delete: got %s %s, want SUCCESS", o.Status, aws.ToString(o.ErrorMessage))
	}
}

// Route 53 is global: an account sees the hosted zones of its namespaces
// in every region, and no zone of another account.
func TestCells_Route53ZonesPerAccount(t *testing.T) {
	n := acceptance.MustStart(t)
	dnsNamespace(t, cellClient(n, "111111111111", "eu-west-1"), "a.internal", "vpc-1", "10.0.0.1")
	dnsNamespace(t, cellClient(n, "111111111111", "ap-south-1"), "a2.internal", "vpc-2", "10.0.0.2")
	bID := dnsNamespace(t, cellClient(n, "222222222222", "eu-west-1"), "b.internal", "vpc-3", "10.0.0.3")
	b, err := cellClient(n, "222222222222", "eu-west-1").GetNamespace(ctx, &sd.GetNamespaceInput{Id: &bID})
	if err != nil {
		t.Fatal(err)
	}
	r53 := route53Client(n.APIURL(), "us-east-1", "111111111111", "secret")
	zones, err := r53.ListHostedZones(ctx, &route53.ListHostedZonesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, z := range zones.HostedZones {
		names = append(names, aws.ToString(z.Name))
	}
	slices.Sort(names)
	if want := []string{"a.internal.", "a2.internal."}; !slices.Equal(names, want) {
		t.Errorf("account 111111111111 lists zones %v, want %v", names, want)
	}
	zoneB := b.Namespace.Properties.DnsProperties.HostedZoneId
	_, err = r53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: zoneB})
	if _, code, _ := apiError(t, err); code != "NoSuchHostedZone" {
		t.Errorf("another account's zone: %s, want NoSuchHostedZone", code)
	}
	got, err := route53Client(n.APIURL(), "us-east-1", "222222222222", "secret").GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: zoneB})
	if err != nil || len(got.VPCs) != 1 || got.VPCs[0].VPCRegion != "eu-west-1" {
		t.Errorf("own zone: %+v, %v; want its VPC in eu-west-1", got, err)
	}
}

// The same views on etcd: namespaces written through one node, DNS asked
// of the other.
func TestCells_Etcd_DNSViewsByVPC(t *testing.T) {
	teststore.Once(t) // etcd members of its own, not the chosen store
	vpcs := func(c *embed.Config) {
		c.VPCs = map[string][]netip.Prefix{
			"vpc-a": {netip.MustParsePrefix("127.0.0.2/32")},
			"vpc-b": {netip.MustParsePrefix("127.0.0.3/32")},
		}
	}
	nodes := startNodes(t, 2, etcdtest.Start(t), vpcs)
	dnsNamespace(t, cellClient(nodes[0], "111111111111", "eu-west-1"), "corp.internal", "vpc-a", "10.0.0.2")
	dnsNamespace(t, cellClient(nodes[0], "222222222222", "us-east-1"), "corp.internal", "vpc-b", "10.0.0.3")
	for _, tc := range []struct{ from, want string }{{"127.0.0.2", "10.0.0.2"}, {"127.0.0.3", "10.0.0.3"}} {
		within(t, "node 2 answers "+tc.from+" from its VPC's namespace", func() error {
			got := answers(queryFrom(t, nodes[1], tc.from, "db.corp.internal"))
			if len(got) != 1 || !strings.HasSuffix(got[0], tc.want) {
				return fmt.Errorf("db.corp.internal from %s = %v, want %s", tc.from, got, tc.want)
			}
			return nil
		})
	}
	if r := queryFrom(t, nodes[1], "127.0.0.1", "db.corp.internal"); r.Rcode != dns.RcodeRefused {
		t.Errorf("a client of neither VPC: rcode %s %v, want REFUSED", dns.RcodeToString[r.Rcode], answers(r))
	}
}

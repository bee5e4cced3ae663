package acceptance_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/aws/smithy-go"
	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/embed"
)

// route53Client returns an aws-sdk-go-v2 Route 53 client for the endpoint.
func route53Client(endpoint, region, accessKey, secret string) *route53.Client {
	return route53.New(route53.Options{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secret, ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer:      aws.NopRetryer{},
	})
}

func withNameServers(t *testing.T, list string) func(*embed.Config) {
	ns, err := embed.ParseNameServers(list)
	if err != nil {
		t.Fatal(err)
	}
	return func(c *embed.Config) { c.DNSNameServers = ns }
}

// rrsetLines renders record sets one per line.
func rrsetLines(sets []r53types.ResourceRecordSet) []string {
	var out []string
	for _, rs := range sets {
		var vals []string
		for _, r := range rs.ResourceRecords {
			vals = append(vals, aws.ToString(r.Value))
		}
		s := fmt.Sprintf("%s %s %d", aws.ToString(rs.Name), rs.Type, aws.ToInt64(rs.TTL))
		if rs.SetIdentifier != nil {
			s += " " + aws.ToString(rs.SetIdentifier)
		}
		if rs.MultiValueAnswer != nil && *rs.MultiValueAnswer {
			s += " multivalue"
		}
		if rs.Weight != nil {
			s += fmt.Sprintf(" weight=%d", *rs.Weight)
		}
		out = append(out, s+" "+strings.Join(vals, ","))
	}
	return out
}

// The Cloud Map guide's workflow for a public namespace: 1 create it, 2b
// get the operation (the namespace id), 2c get the namespace (the hosted
// zone id), 2d ask Route 53 for the zone's name servers; then register
// instances and list the record sets; dig NS and SOA at the apex agree
// with GetHostedZone, and the in-zone name server has glue.
func TestRoute53_PublicNamespaceGuide(t *testing.T) {
	n := acceptance.MustStart(t, withNameServers(t, "ns1.example.com=127.0.0.53,ns1.example.com=::1,ns2.example.net=127.0.0.54"))
	r53 := route53Client(n.APIURL(), "us-east-1", "AKIDEXAMPLE", "secret")

	// Step 1 and 2b.
	created, err := n.Client.CreatePublicDnsNamespace(ctx, &sd.CreatePublicDnsNamespaceInput{Name: aws.String("example.com"),
		Properties: &types.PublicDnsNamespaceProperties{DnsProperties: &types.PublicDnsPropertiesMutable{SOA: &types.SOA{TTL: aws.Int64(60)}}}})
	if err != nil {
		t.Fatal(err)
	}
	op := n.WaitOperation(t, *created.OperationId)
	nsID := op.Targets["NAMESPACE"]
	// Step 2c.
	got, err := n.Client.GetNamespace(ctx, &sd.GetNamespaceInput{Id: aws.String(nsID)})
	if err != nil {
		t.Fatal(err)
	}
	zoneID := aws.ToString(got.Namespace.Properties.DnsProperties.HostedZoneId)
	// Step 2d.
	zone, err := r53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(zoneID)})
	if err != nil {
		t.Fatalf("GetHostedZone %s: %v", zoneID, err)
	}
	if got, want := fmt.Sprint(zone.DelegationSet.NameServers), "[ns1.example.com ns2.example.net]"; got != want {
		t.Errorf("DelegationSet.NameServers = %s, want %s", got, want)
	}
	if aws.ToString(zone.HostedZone.Id) != "/hostedzone/"+zoneID || aws.ToString(zone.HostedZone.Name) != "example.com." ||
		zone.HostedZone.Config.PrivateZone || aws.ToString(zone.HostedZone.LinkedService.Description) != aws.ToString(got.Namespace.Arn) {
		t.Errorf("HostedZone = %+v", zone.HostedZone)
	}

	// Register instances: a MULTIVALUE A service and a WEIGHTED SRV one.
	web := createService(t, n, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: &nsID,
		DnsConfig: &types.DnsConfig{RoutingPolicy: types.RoutingPolicyMultivalue, DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(60)}}}})
	register(t, n, *web.Id, "web-1", map[string]string{"AWS_INSTANCE_IPV4": "192.0.2.1"})
	register(t, n, *web.Id, "web-2", map[string]string{"AWS_INSTANCE_IPV4": "192.0.2.2"})
	api := createService(t, n, &sd.CreateServiceInput{Name: aws.String("_api._tcp"), NamespaceId: &nsID,
		DnsConfig: &types.DnsConfig{RoutingPolicy: types.RoutingPolicyWeighted, DnsRecords: []types.DnsRecord{{Type: types.RecordTypeSrv, TTL: aws.Int64(30)}}}})
	register(t, n, *api.Id, "api-1", map[string]string{"AWS_INSTANCE_IPV4": "192.0.2.9", "AWS_INSTANCE_PORT": "8443"})

	list, err := r53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID)})
	if err != nil {
		t.Fatal(err)
	}
	soa := n.Query(t, "udp", "example.com", dns.TypeSOA)
	if len(soa.Answer) != 1 {
		t.Fatalf("dig SOA: %v", soa.Answer)
	}
	soaRR := soa.Answer[0].(*dns.SOA)
	soaValue := strings.TrimPrefix(soaRR.String(), soaRR.Header().String())
	want := []string{
		"example.com. NS 172800 ns1.example.com.,ns2.example.net.",
		"example.com. SOA 60 " + soaValue,
		"_api._tcp.example.com. SRV 30 api-1 weight=1 1 1 8443 api-1._api._tcp.example.com.",
		"api-1._api._tcp.example.com. A 30 api-1 weight=1 192.0.2.9",
		"ns1.example.com. A 172800 127.0.0.53",
		"ns1.example.com. AAAA 172800 ::1",
		"web.example.com. A 60 web-1 multivalue 192.0.2.1",
		"web.example.com. A 60 web-2 multivalue 192.0.2.2",
	}
	if got := rrsetLines(list.ResourceRecordSets); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ListResourceRecordSets:\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if got := aws.ToInt64(zone.HostedZone.ResourceRecordSetCount); got != 2+2 { // NS, SOA and the glue before registering
		t.Errorf("ResourceRecordSetCount before registering = %d, want 4", got)
	}

	// dig NS and SOA at the apex agree with GetHostedZone; the in-zone name
	// server's addresses come as glue.
	ns := n.Query(t, "udp", "example.com", dns.TypeNS)
	var names []string
	for _, rr := range ns.Answer {
		names = append(names, strings.TrimSuffix(rr.(*dns.NS).Ns, "."))
	}
	if fmt.Sprint(names) != fmt.Sprint(zone.DelegationSet.NameServers) {
		t.Errorf("dig NS = %v, GetHostedZone says %v", names, zone.DelegationSet.NameServers)
	}
	if soaRR.Ns != "ns1.example.com." || soaRR.Mbox != "hostmaster.example.com." {
		t.Errorf("SOA MNAME %s RNAME %s, want ns1.example.com. and hostmaster.example.com.", soaRR.Ns, soaRR.Mbox)
	}
	if got := fmt.Sprint(answers(&dns.Msg{Answer: ns.Extra})); got != "[ns1.example.com. 172800 IN A 127.0.0.53 ns1.example.com. 172800 IN AAAA ::1]" {
		t.Errorf("NS additional section = %s, want the glue of ns1.example.com", got)
	}
	if got := fmt.Sprint(answers(n.Query(t, "tcp", "ns1.example.com", dns.TypeA))); got != "[ns1.example.com. 172800 IN A 127.0.0.53]" {
		t.Errorf("dig ns1.example.com A = %s", got)
	}
	// SRV answers carry the target's address in the additional section.
	srv := n.Query(t, "udp", "_api._tcp.example.com", dns.TypeSRV)
	if got := fmt.Sprint(answers(&dns.Msg{Answer: srv.Extra})); got != "[api-1._api._tcp.example.com. 30 IN A 192.0.2.9]" {
		t.Errorf("SRV additional section = %s", got)
	}
	// Every listed per-instance record is what DNS answers for its name.
	for _, rs := range list.ResourceRecordSets {
		if rs.SetIdentifier == nil {
			continue
		}
		r := n.Query(t, "tcp", aws.ToString(rs.Name), dns.StringToType[string(rs.Type)])
		var vals []string
		for _, rr := range r.Answer {
			vals = append(vals, strings.TrimPrefix(rr.String(), rr.Header().String()))
		}
		if !slices.Contains(vals, aws.ToString(rs.ResourceRecords[0].Value)) {
			t.Errorf("%s %s %s: DNS answers %v", aws.ToString(rs.Name), rs.Type, aws.ToString(rs.ResourceRecords[0].Value), vals)
		}
	}
}

// Without --dns-nameservers the zones keep the synthetic name server; a
// private namespace's zone is private, with its VPC and no delegation set.
func TestRoute53_PrivateZoneAndSyntheticNameServer(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createPrivateNamespace(t, n, "corp.local", 30)
	got, err := n.Client.GetNamespace(ctx, &sd.GetNamespaceInput{Id: aws.String(nsID)})
	if err != nil {
		t.Fatal(err)
	}
	r53 := route53Client(n.APIURL(), "us-east-1", "AKIDEXAMPLE", "secret")
	zone, err := r53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: got.Namespace.Properties.DnsProperties.HostedZoneId})
	if err != nil {
		t.Fatal(err)
	}
	if !zone.HostedZone.Config.PrivateZone || zone.DelegationSet != nil || len(zone.VPCs) != 1 || aws.ToString(zone.VPCs[0].VPCId) != "vpc-1" ||
		string(zone.VPCs[0].VPCRegion) != "us-east-1" {
		t.Errorf("private zone: %+v, DelegationSet %+v, VPCs %+v", zone.HostedZone.Config, zone.DelegationSet, zone.VPCs)
	}
	if got := fmt.Sprint(answers(n.Query(t, "udp", "corp.local", dns.TypeNS))); got != "[corp.local. 172800 IN NS ns-1.cloudmap.invalid.]" {
		t.Errorf("dig NS without --dns-nameservers = %s", got)
	}
	list, err := r53.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: aws.String("corp.local")})
	if err != nil || len(list.HostedZones) != 1 || aws.ToString(list.HostedZones[0].Name) != "corp.local." {
		t.Errorf("ListHostedZonesByName = %+v, %v", list, err)
	}
}

const route53Credentials = `[admin]
aws_access_key_id = AKIDADMIN
aws_secret_access_key = admin-secret

[reader]
aws_access_key_id = AKIDREADER
aws_secret_access_key = reader-secret
allowed_actions = servicediscovery:Get*, route53:Get*, route53:List*
allowed_namespaces = open.example

[sd]
aws_access_key_id = AKIDSD
aws_secret_access_key = sd-secret
allowed_actions = servicediscovery:*
`

// Route 53 requests are authorized like Cloud Map ones, and every error
// comes back with Route 53's code and a message naming what is wrong.
func TestRoute53_AuthAndErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(path, []byte(route53Credentials), 0o600); err != nil {
		t.Fatal(err)
	}
	// --regions eu-west-1,us-east-1: Route 53 is signed with us-east-1 or a
	// region served; ap-south-1 is neither.
	n := acceptance.MustStart(t, func(c *embed.Config) {
		c.CredentialsFile, c.Regions = path, []string{"eu-west-1", "us-east-1"}
	})
	n.Client = acceptance.NewClient(n.APIURL(), "AKIDADMIN", "admin-secret")
	openZone := zoneOf(t, n, createPublicNamespace(t, n, "open.example"))
	closedZone := zoneOf(t, n, createPublicNamespace(t, n, "closed.example"))

	admin := route53Client(n.APIURL(), "us-east-1", "AKIDADMIN", "admin-secret")
	reader := route53Client(n.APIURL(), "us-east-1", "AKIDREADER", "reader-secret")
	all, err := admin.ListHostedZones(ctx, &route53.ListHostedZonesInput{})
	if err != nil || len(all.HostedZones) != 2 {
		t.Fatalf("admin ListHostedZones = %+v, %v; want both zones", all, err)
	}
	mine, err := reader.ListHostedZones(ctx, &route53.ListHostedZonesInput{})
	if err != nil || len(mine.HostedZones) != 1 || aws.ToString(mine.HostedZones[0].Id) != "/hostedzone/"+openZone {
		t.Errorf("scoped ListHostedZones = %+v, %v; want only open.example's zone", mine, err)
	}
	if _, err := reader.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(openZone)}); err != nil {
		t.Errorf("scoped key listing its own zone: %v", err)
	}

	tests := []struct {
		name string
		call func() error
		code string
		msg  []string
	}{
		{"unknown zone", func() error {
			_, err := admin.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String("Z0000000000000NOPE")})
			return err
		}, "NoSuchHostedZone", []string{"No hosted zone found with ID: Z0000000000000NOPE"}},
		{"malformed zone id", func() error {
			_, err := admin.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(strings.Repeat("Z", 40))})
			return err
		}, "InvalidInput", []string{"'HostedZoneId'", "length less than or equal to 32"}},
		{"malformed paging marker", func() error {
			_, err := admin.ListHostedZones(ctx, &route53.ListHostedZonesInput{Marker: aws.String("%%%")})
			return err
		}, "InvalidInput", []string{"Marker", "only letters and digits"}},
		{"write", func() error {
			_, err := admin.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String(openZone),
				ChangeBatch: &r53types.ChangeBatch{Changes: []r53types.Change{{Action: r53types.ChangeActionDelete, ResourceRecordSet: &r53types.ResourceRecordSet{
					Name: aws.String("open.example"), Type: r53types.RRTypeNs}}}}})
			return err
		}, "AccessDenied", []string{"hostedzone/" + openZone + " can only be managed through servicediscovery.amazonaws.com", "ChangeResourceRecordSets is not allowed"}},
		{"scoped key, other zone", func() error {
			_, err := reader.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(closedZone)})
			return err
		}, "AccessDenied", []string{"User: reader is not authorized to perform: route53:GetHostedZone on resource: arn:aws:route53:::hostedzone/" + closedZone}},
		{"scoped key, unknown zone", func() error {
			_, err := reader.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String("Z0000000000000NOPE")})
			return err
		}, "AccessDenied", []string{"hostedzone/Z0000000000000NOPE"}},
		{"servicediscovery actions only", func() error {
			_, err := route53Client(n.APIURL(), "us-east-1", "AKIDSD", "sd-secret").GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(openZone)})
			return err
		}, "AccessDenied", []string{"User: sd is not authorized to perform: route53:GetHostedZone"}},
		{"wrong secret", func() error {
			_, err := route53Client(n.APIURL(), "us-east-1", "AKIDADMIN", "wrong").ListHostedZones(ctx, &route53.ListHostedZonesInput{})
			return err
		}, "SignatureDoesNotMatch", []string{"signature we calculated does not match"}},
		{"unknown key", func() error {
			_, err := route53Client(n.APIURL(), "us-east-1", "AKIDNOBODY", "x").ListHostedZones(ctx, &route53.ListHostedZonesInput{})
			return err
		}, "InvalidClientTokenId", []string{"security token"}},
		{"region neither served nor us-east-1", func() error {
			_, err := route53Client(n.APIURL(), "ap-south-1", "AKIDADMIN", "admin-secret").ListHostedZones(ctx, &route53.ListHostedZonesInput{})
			return err
		}, "SignatureDoesNotMatch", []string{"not 'ap-south-1'; this endpoint serves 'eu-west-1' or 'us-east-1'"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ae smithy.APIError
			if err == nil || !asAPIError(err, &ae) {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
			if ae.ErrorCode() != tc.code {
				t.Errorf("code %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), tc.code)
			}
			for _, m := range tc.msg {
				if !strings.Contains(ae.ErrorMessage(), m) {
					t.Errorf("message %q lacks %q", ae.ErrorMessage(), m)
				}
			}
		})
	}
	// The Cloud Map API on the same listener is untouched.
	if _, err := n.Client.ListNamespaces(ctx, &sd.ListNamespacesInput{}); err != nil {
		t.Errorf("Cloud Map API beside Route 53: %v", err)
	}
}

func createPublicNamespace(t *testing.T, n *acceptance.Node, name string) string {
	t.Helper()
	out, err := n.Client.CreatePublicDnsNamespace(ctx, &sd.CreatePublicDnsNamespaceInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("CreatePublicDnsNamespace %s: %v", name, err)
	}
	op := n.WaitOperation(t, *out.OperationId)
	if op.Status != types.OperationStatusSuccess {
		t.Fatalf("create namespace %s: %s %s", name, op.Status, aws.ToString(op.ErrorMessage))
	}
	return op.Targets["NAMESPACE"]
}

// zoneOf returns the hosted zone id GetNamespace reports.
func zoneOf(t *testing.T, n *acceptance.Node, nsID string) string {
	t.Helper()
	got, err := n.Client.GetNamespace(ctx, &sd.GetNamespaceInput{Id: aws.String(nsID)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(got.Namespace.Properties.DnsProperties.HostedZoneId)
}

func asAPIError(err error, ae *smithy.APIError) bool { return errors.As(err, ae) }

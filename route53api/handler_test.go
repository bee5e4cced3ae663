package route53api_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/route53api"
)

// fakeZones serves fixed namespaces and record sets.
type fakeZones struct {
	namespaces []*cloudmap.Namespace
	sets       map[string][]cloudmap.RecordSet // by namespace ID
}

func (f *fakeZones) DNSNamespaces() []*cloudmap.Namespace { return f.namespaces }
func (f *fakeZones) RecordSets(ns *cloudmap.Namespace) []cloudmap.RecordSet {
	return f.sets[ns.Id]
}
func (f *fakeZones) RecordSetCount(ns *cloudmap.Namespace) int { return len(f.sets[ns.Id]) }

func namespace(id, zoneID, name string, typ cloudmap.NamespaceType, vpc string) *cloudmap.Namespace {
	return &cloudmap.Namespace{Id: id, Name: name, Type: typ, Vpc: vpc,
		Arn:        "arn:aws:servicediscovery:us-east-1:123456789012:namespace/" + id,
		Properties: cloudmap.NamespaceProperties{DnsProperties: &cloudmap.DnsProperties{HostedZoneId: zoneID}}}
}

var (
	pub  = namespace("ns-pub", "ZPUB1", "Example.com", cloudmap.NamespaceDNSPublic, "")
	priv = namespace("ns-priv", "ZPRIV1", "example.local", cloudmap.NamespaceDNSPrivate, "vpc-1")
	sub  = namespace("ns-sub", "ZSUB1", "a.example.com", cloudmap.NamespaceDNSPublic, "")
)

func newZones() *fakeZones {
	mv, w := cloudmap.RoutingMultivalue, cloudmap.RoutingWeighted
	return &fakeZones{
		namespaces: []*cloudmap.Namespace{pub, priv, sub},
		sets: map[string][]cloudmap.RecordSet{
			"ns-pub": {
				{Name: "www.example.com.", Type: "A", TTL: 60, SetIdentifier: "w-2", Routing: mv, Values: []string{"192.0.2.2"}},
				{Name: "example.com.", Type: "SOA", TTL: 900, Values: []string{"ns1.example.com. hostmaster.example.com. 7 7200 900 1209600 86400"}},
				{Name: "www.example.com.", Type: "A", TTL: 60, SetIdentifier: "w-1", Routing: mv, Values: []string{"192.0.2.1"}},
				{Name: "example.com.", Type: "NS", TTL: 172800, Values: []string{"ns1.example.com.", "ns2.provider.net."}},
				{Name: "api.example.com.", Type: "SRV", TTL: 30, SetIdentifier: "a-1", Routing: w, Values: []string{"1 1 8080 a-1.api.example.com."}},
				{Name: "a-1.api.example.com.", Type: "A", TTL: 30, SetIdentifier: "a-1", Routing: w, Values: []string{"192.0.2.9"}},
				{Name: "ns1.example.com.", Type: "A", TTL: 172800, Values: []string{"192.0.2.53"}},
				{Name: "a-b.example.com.", Type: "CNAME", TTL: 5, SetIdentifier: "c-1", Routing: w, Values: []string{"x.example.org."}},
			},
			"ns-priv": {
				{Name: "example.local.", Type: "NS", TTL: 172800, Values: []string{"ns-1.cloudmap.invalid."}},
				{Name: "example.local.", Type: "SOA", TTL: 15, Values: []string{"ns-1.cloudmap.invalid. hostmaster.cloudmap.invalid. 3 7200 900 1209600 86400"}},
			},
			"ns-sub": {
				{Name: "a.example.com.", Type: "NS", TTL: 172800, Values: []string{"ns1.example.com."}},
			},
		},
	}
}

// fakeAuth fails with err when set, and lets the caller see only zones
// whose namespace ID is in allowed (every zone when allowed is nil).
type fakeAuth struct {
	err     error
	allowed []string
	ops     []string
}

func (a *fakeAuth) AuthorizeRoute53(r *http.Request, body []byte, op, resource string) (route53api.ZoneCheck, error) {
	a.ops = append(a.ops, op)
	if a.err != nil {
		return nil, a.err
	}
	return func(ns *cloudmap.Namespace, resource string) error {
		if a.allowed == nil || ns != nil && slices.Contains(a.allowed, ns.Id) {
			return nil
		}
		return cloudmap.Errorf(cloudmap.ErrAccessDenied, "User: reader is not authorized to perform: route53:%s on resource: %s", op, resource)
	}, nil
}

func newClient(t *testing.T, zones route53api.Zones, a route53api.Authorizer) *route53.Client {
	t.Helper()
	srv := httptest.NewServer(route53api.New(zones, route53api.Config{Region: "eu-west-1", Authorizer: a}))
	t.Cleanup(srv.Close)
	return route53.New(route53.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
		BaseEndpoint: aws.String(srv.URL),
		Retryer:      aws.NopRetryer{},
	})
}

func TestHandler_GetHostedZone(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, newZones(), nil)
	out, err := c.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String("ZPUB1")})
	if err != nil {
		t.Fatal(err)
	}
	z := out.HostedZone
	if got, want := fmt.Sprintf("%s %s %s private=%v count=%d %s %s", aws.ToString(z.Id), aws.ToString(z.Name), aws.ToString(z.CallerReference),
		z.Config.PrivateZone, aws.ToInt64(z.ResourceRecordSetCount), aws.ToString(z.LinkedService.ServicePrincipal), aws.ToString(z.LinkedService.Description)),
		"/hostedzone/ZPUB1 example.com. ns-pub private=false count=8 servicediscovery.amazonaws.com arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-pub"; got != want {
		t.Errorf("HostedZone = %s\nwant          %s", got, want)
	}
	if out.DelegationSet == nil || fmt.Sprint(out.DelegationSet.NameServers) != "[ns1.example.com ns2.provider.net]" {
		t.Errorf("DelegationSet = %+v, want the apex NS names without trailing dots", out.DelegationSet)
	}
	if len(out.VPCs) != 0 {
		t.Errorf("public zone has VPCs %v", out.VPCs)
	}

	// A private zone: its VPC, no delegation set; the id as Route 53
	// returns it ("/hostedzone/Z...") works too.
	out, err = c.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String("/hostedzone/ZPRIV1")})
	if err != nil {
		t.Fatal(err)
	}
	if !out.HostedZone.Config.PrivateZone || out.DelegationSet != nil || len(out.VPCs) != 1 ||
		aws.ToString(out.VPCs[0].VPCId) != "vpc-1" || out.VPCs[0].VPCRegion != "us-east-1" {
		t.Errorf("private zone: PrivateZone %v, DelegationSet %+v, VPCs %+v; want true, none, [us-east-1 vpc-1] (the region of the namespace ARN)",
			out.HostedZone.Config.PrivateZone, out.DelegationSet, out.VPCs)
	}
}

func TestHandler_ListHostedZones(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, newZones(), nil)
	var ids []string
	pages := 0
	p := route53.NewListHostedZonesPaginator(c, &route53.ListHostedZonesInput{MaxItems: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, z := range page.HostedZones {
			ids = append(ids, aws.ToString(z.Id))
		}
	}
	if got, want := fmt.Sprint(ids), "[/hostedzone/ZPRIV1 /hostedzone/ZPUB1 /hostedzone/ZSUB1]"; got != want || pages != 3 {
		t.Errorf("paged ListHostedZones = %s in %d pages, want %s in 3", got, pages, want)
	}
	priv, err := c.ListHostedZones(ctx, &route53.ListHostedZonesInput{HostedZoneType: types.HostedZoneTypePrivateHostedZone})
	if err != nil || len(priv.HostedZones) != 1 || aws.ToString(priv.HostedZones[0].Id) != "/hostedzone/ZPRIV1" {
		t.Errorf("private zones = %v, %v; want only ZPRIV1", priv, err)
	}
	count, err := c.GetHostedZoneCount(ctx, &route53.GetHostedZoneCountInput{})
	if err != nil || aws.ToInt64(count.HostedZoneCount) != 3 {
		t.Errorf("GetHostedZoneCount = %v, %v; want 3", count, err)
	}

	// By name: labels reversed ("com.example." < "com.example.a." < "local.example.").
	byName, err := c.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{MaxItems: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, z := range byName.HostedZones {
		names = append(names, aws.ToString(z.Name))
	}
	if got := fmt.Sprint(names); got != "[example.com. a.example.com.]" || !byName.IsTruncated ||
		aws.ToString(byName.NextDNSName) != "example.local." || aws.ToString(byName.NextHostedZoneId) != "ZPRIV1" {
		t.Errorf("ListHostedZonesByName = %s truncated %v next %s/%s; want [example.com. a.example.com.] then example.local./ZPRIV1",
			got, byName.IsTruncated, aws.ToString(byName.NextDNSName), aws.ToString(byName.NextHostedZoneId))
	}
	rest, err := c.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: byName.NextDNSName, HostedZoneId: byName.NextHostedZoneId})
	if err != nil || len(rest.HostedZones) != 1 || aws.ToString(rest.HostedZones[0].Name) != "example.local." || rest.IsTruncated ||
		aws.ToString(rest.DNSName) != "example.local." {
		t.Errorf("ListHostedZonesByName from example.local. = %+v, %v", rest, err)
	}
}

func TestHandler_ListResourceRecordSets(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, newZones(), nil)
	full, err := c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String("ZPUB1")})
	if err != nil {
		t.Fatal(err)
	}
	render := func(sets []types.ResourceRecordSet) []string {
		var out []string
		for _, rs := range sets {
			var vals []string
			for _, r := range rs.ResourceRecords {
				vals = append(vals, aws.ToString(r.Value))
			}
			s := fmt.Sprintf("%s %s %d", aws.ToString(rs.Name), rs.Type, aws.ToInt64(rs.TTL))
			if rs.SetIdentifier != nil {
				s += " id=" + aws.ToString(rs.SetIdentifier)
			}
			if rs.MultiValueAnswer != nil {
				s += fmt.Sprintf(" multivalue=%v", *rs.MultiValueAnswer)
			}
			if rs.Weight != nil {
				s += fmt.Sprintf(" weight=%d", *rs.Weight)
			}
			out = append(out, s+" "+strings.Join(vals, ","))
		}
		return out
	}
	// Route 53's order: names with labels reversed ("com.example.a-b." sorts
	// before "com.example.a." because '-' < '.'), then type, then identifier.
	want := []string{
		"example.com. NS 172800 ns1.example.com.,ns2.provider.net.",
		"example.com. SOA 900 ns1.example.com. hostmaster.example.com. 7 7200 900 1209600 86400",
		"a-b.example.com. CNAME 5 id=c-1 weight=1 x.example.org.",
		"api.example.com. SRV 30 id=a-1 weight=1 1 1 8080 a-1.api.example.com.",
		"a-1.api.example.com. A 30 id=a-1 weight=1 192.0.2.9",
		"ns1.example.com. A 172800 192.0.2.53",
		"www.example.com. A 60 id=w-1 multivalue=true 192.0.2.1",
		"www.example.com. A 60 id=w-2 multivalue=true 192.0.2.2",
	}
	if got := render(full.ResourceRecordSets); fmt.Sprint(got) != fmt.Sprint(want) || full.IsTruncated || aws.ToInt32(full.MaxItems) != 300 {
		t.Errorf("ListResourceRecordSets =\n  %s\ntruncated %v MaxItems %d; want\n  %s\nuntruncated, 300",
			strings.Join(got, "\n  "), full.IsTruncated, aws.ToInt32(full.MaxItems), strings.Join(want, "\n  "))
	}

	// Paging by two with the SDK's paginator gives the same sets; a page
	// boundary falls between the two www sets, so NextRecordIdentifier is used.
	var paged []types.ResourceRecordSet
	p := route53.NewListResourceRecordSetsPaginator(c, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String("ZPUB1"), MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, page.ResourceRecordSets...)
	}
	if got := render(paged); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("paged by 2:\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	page, err := c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String("ZPUB1"), MaxItems: aws.Int32(7)})
	if err != nil || !page.IsTruncated || aws.ToString(page.NextRecordName) != "www.example.com." || page.NextRecordType != types.RRTypeA ||
		aws.ToString(page.NextRecordIdentifier) != "w-2" {
		t.Errorf("page of 7: truncated %v next %s %s %s (%v); want www.example.com. A w-2",
			page.IsTruncated, aws.ToString(page.NextRecordName), page.NextRecordType, aws.ToString(page.NextRecordIdentifier), err)
	}

	// StartRecordName/StartRecordType start at the first set at or after them.
	from, err := c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String("ZPUB1"),
		StartRecordName: aws.String("NS1.example.com"), StartRecordType: types.RRTypeA})
	if got := render(from.ResourceRecordSets); err != nil || fmt.Sprint(got) != fmt.Sprint(want[5:]) {
		t.Errorf("from ns1.example.com A = %v, %v; want %v", got, err, want[5:])
	}
}

// apiError returns the code, message and HTTP status of an SDK error.
func apiError(t *testing.T, err error) (code, msg string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an API error", err)
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), ae.ErrorMessage(), status
}

func TestHandler_errors(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, newZones(), nil)
	long := strings.Repeat("Z", 33)
	tests := []struct {
		name   string
		call   func() error
		code   string
		status int
		msg    []string
	}{
		{"unknown id", func() error {
			_, err := c.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String("ZNOPE")})
			return err
		}, "NoSuchHostedZone", 404, []string{"No hosted zone found with ID: ZNOPE"}},
		{"id too long", func() error {
			_, err := c.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(long)})
			return err
		}, "InvalidInput", 400, []string{"'Id'", "length less than or equal to 32"}},
		{"id with bad characters", func() error {
			_, err := c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String("Z-1")})
			return err
		}, "InvalidInput", 400, []string{"HostedZoneId", "only letters and digits"}},
		{"unknown zone of a listing", func() error {
			_, err := c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String("ZNOPE")})
			return err
		}, "NoSuchHostedZone", 404, []string{"ZNOPE"}},
		{"MaxItems zero", func() error {
			_, err := c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String("ZPUB1"), MaxItems: aws.Int32(0)})
			return err
		}, "InvalidInput", 400, []string{"'MaxItems'", "positive integer"}},
		{"start type without name", func() error {
			_, err := c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String("ZPUB1"), StartRecordType: types.RRTypeA})
			return err
		}, "InvalidInput", 400, []string{"StartRecordType", "requires StartRecordName"}},
		{"start identifier without type", func() error {
			_, err := c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String("ZPUB1"),
				StartRecordName: aws.String("www.example.com"), StartRecordIdentifier: aws.String("w-1")})
			return err
		}, "InvalidInput", 400, []string{"StartRecordIdentifier", "requires StartRecordName and StartRecordType"}},
		{"unknown start type", func() error {
			_, err := c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String("ZPUB1"),
				StartRecordName: aws.String("www.example.com"), StartRecordType: types.RRType("BOGUS")})
			return err
		}, "InvalidInput", 400, []string{"'StartRecordType'", "enum value set"}},
		{"bad start name", func() error {
			_, err := c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String("ZPUB1"),
				StartRecordName: aws.String("a..b")})
			return err
		}, "InvalidInput", 400, []string{"StartRecordName", "not a valid domain name"}},
		{"malformed marker", func() error {
			_, err := c.ListHostedZones(ctx, &route53.ListHostedZonesInput{Marker: aws.String("not a zone")})
			return err
		}, "InvalidInput", 400, []string{"Marker", "only letters and digits"}},
		{"delegation set", func() error {
			_, err := c.ListHostedZones(ctx, &route53.ListHostedZonesInput{DelegationSetId: aws.String("N1")})
			return err
		}, "NoSuchDelegationSet", 400, []string{"DelegationSetId"}},
		{"zone id without name", func() error {
			_, err := c.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{HostedZoneId: aws.String("ZPUB1")})
			return err
		}, "InvalidInput", 400, []string{"HostedZoneId", "requires DNSName"}},
		{"bad DNS name", func() error {
			_, err := c.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: aws.String("a..b")})
			return err
		}, "InvalidDomainName", 400, []string{"DNSName", "not a valid domain name"}},
		// Writes: Route 53's answer for a zone Cloud Map manages, naming the action.
		{"ChangeResourceRecordSets", func() error {
			_, err := c.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String("ZPUB1"),
				ChangeBatch: &types.ChangeBatch{Changes: []types.Change{{Action: types.ChangeActionUpsert, ResourceRecordSet: &types.ResourceRecordSet{
					Name: aws.String("x.example.com"), Type: types.RRTypeA, TTL: aws.Int64(60),
					ResourceRecords: []types.ResourceRecord{{Value: aws.String("192.0.2.7")}}}}}}})
			return err
		}, "AccessDenied", 403, []string{"hostedzone/ZPUB1 can only be managed through servicediscovery.amazonaws.com",
			"namespace/ns-pub", "ChangeResourceRecordSets is not allowed"}},
		{"DeleteHostedZone", func() error {
			_, err := c.DeleteHostedZone(ctx, &route53.DeleteHostedZoneInput{Id: aws.String("ZPRIV1")})
			return err
		}, "AccessDenied", 403, []string{"DeleteHostedZone is not allowed"}},
		{"DeleteHostedZone of an unknown zone", func() error {
			_, err := c.DeleteHostedZone(ctx, &route53.DeleteHostedZoneInput{Id: aws.String("ZNOPE")})
			return err
		}, "NoSuchHostedZone", 404, []string{"ZNOPE"}},
		{"CreateHostedZone", func() error {
			_, err := c.CreateHostedZone(ctx, &route53.CreateHostedZoneInput{Name: aws.String("new.example.com"), CallerReference: aws.String("r1")})
			return err
		}, "AccessDenied", 403, []string{"CreateHostedZone is not allowed", "create a DNS namespace"}},
		{"UpdateHostedZoneComment", func() error {
			_, err := c.UpdateHostedZoneComment(ctx, &route53.UpdateHostedZoneCommentInput{Id: aws.String("ZPUB1"), Comment: aws.String("c")})
			return err
		}, "AccessDenied", 403, []string{"UpdateHostedZoneComment is not allowed"}},
		// Reads outside the zones.
		{"GetHealthCheck", func() error {
			_, err := c.GetHealthCheck(ctx, &route53.GetHealthCheckInput{HealthCheckId: aws.String("hc-1")})
			return err
		}, "InvalidAction", 400, []string{"GetHealthCheck is not supported"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatal("no error")
			}
			code, msg, status := apiError(t, err)
			if code != tc.code || status != tc.status {
				t.Errorf("error %s (HTTP %d), want %s (HTTP %d): %s", code, status, tc.code, tc.status, msg)
			}
			for _, m := range tc.msg {
				if !strings.Contains(msg, m) {
					t.Errorf("message %q lacks %q", msg, m)
				}
			}
		})
	}
	// Modeled errors decode as their types.
	_, err := c.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String("ZNOPE")})
	var nsz *types.NoSuchHostedZone
	if !errors.As(err, &nsz) {
		t.Errorf("NoSuchHostedZone decodes as %T, want *types.NoSuchHostedZone", err)
	}
}

func TestHandler_authorization(t *testing.T) {
	ctx := context.Background()
	// A caller scoped to the public namespace sees only its zone.
	a := &fakeAuth{allowed: []string{"ns-pub"}}
	c := newClient(t, newZones(), a)
	zones, err := c.ListHostedZones(ctx, &route53.ListHostedZonesInput{})
	if err != nil || len(zones.HostedZones) != 1 || aws.ToString(zones.HostedZones[0].Id) != "/hostedzone/ZPUB1" {
		t.Errorf("scoped ListHostedZones = %+v, %v; want only ZPUB1", zones, err)
	}
	for _, id := range []string{"ZPRIV1", "ZNOPE"} {
		_, err = c.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(id)})
		code, msg, status := apiError(t, err)
		if code != "AccessDenied" || status != 403 || !strings.Contains(msg, "route53:GetHostedZone on resource: arn:aws:route53:::hostedzone/"+id) {
			t.Errorf("scoped GetHostedZone(%s) = %s %d %q; want AccessDenied naming the zone's ARN", id, code, status, msg)
		}
	}
	if got := fmt.Sprint(a.ops); !strings.Contains(got, "ListHostedZones") || !strings.Contains(got, "GetHostedZone") {
		t.Errorf("authorizer saw operations %s", got)
	}

	// Authentication errors keep their message and take Route 53's codes.
	for _, tc := range []struct{ in, code string }{
		{cloudmap.ErrInvalidSignature, "SignatureDoesNotMatch"},
		{cloudmap.ErrUnrecognizedClient, "InvalidClientTokenId"},
		{cloudmap.ErrRequestLimitExceeded, "Throttling"},
		{cloudmap.ErrIncompleteSignature, "IncompleteSignature"},
	} {
		c := newClient(t, newZones(), &fakeAuth{err: cloudmap.Errorf(tc.in, "why: %s", tc.in)})
		_, err := c.ListHostedZones(ctx, &route53.ListHostedZonesInput{})
		if code, msg, _ := apiError(t, err); code != tc.code || msg != "why: "+tc.in {
			t.Errorf("%s answered as %s %q, want %s", tc.in, code, msg, tc.code)
		}
	}
}

// A public zone's GetHostedZone has no VPCs element at all (the CLI would
// show "VPCs": [] for an empty one), a private zone's one VPC.
func TestHandler_GetHostedZone_xml(t *testing.T) {
	srv := httptest.NewServer(route53api.New(newZones(), route53api.Config{Region: "eu-west-1"}))
	defer srv.Close()
	body := func(path string) string {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if b := body("/2013-04-01/hostedzone/ZPUB1"); strings.Contains(b, "VPCs") || !strings.Contains(b, "<DelegationSet><NameServers><NameServer>ns1.example.com</NameServer>") {
		t.Errorf("public zone document: %s", b)
	}
	if b := body("/2013-04-01/hostedzone/ZPRIV1"); !strings.Contains(b, "<VPCs><VPC><VPCRegion>us-east-1</VPCRegion><VPCId>vpc-1</VPCId></VPC></VPCs>") ||
		strings.Contains(b, "DelegationSet") {
		t.Errorf("private zone document: %s", b)
	}
	if b := body("/2013-04-01/hostedzone/ZNOPE"); !strings.Contains(b, `<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>NoSuchHostedZone</Code><Message>No hosted zone found with ID: ZNOPE</Message></Error><RequestId>`) {
		t.Errorf("error document: %s", b)
	}
}

package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/auth"
)

// signRoute53 returns a GET request signed for Route 53 with the SDK signer.
func signRoute53(t *testing.T, key auth.Key, signRegion, signService string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/2013-04-01/hostedzone/ZOPEN", nil)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey},
		r, hashHex(""), signService, signRegion, now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAuthorizer_AuthorizeRoute53(t *testing.T) {
	reader := auth.Key{Name: "reader", AccessKeyID: "AKIDREADER", SecretAccessKey: "reader-secret",
		AllowedActions: []string{"route53:Get*", "route53:List*"}, AllowedNamespaces: []string{"open"}}
	sdOnly := auth.Key{Name: "sd", AccessKeyID: "AKIDSD", SecretAccessKey: "sd-secret",
		AllowedActions: []string{"servicediscovery:*"}}
	// The server's own region is eu-west-1: the SDKs sign Route 53 with
	// us-east-1 (its global endpoint) or, with a custom endpoint, with the
	// client's region; both are accepted, nothing else.
	a := newAuthorizer([]auth.Key{admin, reader, sdOnly}, func(c *auth.Config) { c.Region, c.Regions = "eu-west-1", []string{"eu-west-1"} })
	open, closed := namespaces["ns-open"], namespaces["ns-closed"]
	const arn = "arn:aws:route53:::hostedzone/ZOPEN"
	tests := []struct {
		name            string
		key             auth.Key
		region, service string
		op              string
		code, msg       string
	}{
		{name: "admin, us-east-1", key: admin, region: "us-east-1", service: "route53", op: "GetHostedZone"},
		{name: "admin, server region", key: admin, region: "eu-west-1", service: "route53", op: "GetHostedZone"},
		{name: "other region", key: admin, region: "ap-south-1", service: "route53", op: "GetHostedZone",
			code: "InvalidSignatureException", msg: "not 'ap-south-1'; this endpoint serves 'eu-west-1' or 'us-east-1'"},
		{name: "signed for servicediscovery", key: admin, region: "us-east-1", service: "servicediscovery", op: "GetHostedZone",
			code: "InvalidSignatureException", msg: "scoped to correct service: 'route53', not 'servicediscovery'"},
		{name: "servicediscovery actions do not reach route53", key: sdOnly, region: "us-east-1", service: "route53", op: "GetHostedZone",
			code: "AccessDeniedException", msg: "User: sd is not authorized to perform: route53:GetHostedZone on resource: " + arn},
		{name: "scoped reader", key: reader, region: "us-east-1", service: "route53", op: "ListResourceRecordSets"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			check, err := a.AuthorizeRoute53(signRoute53(t, tc.key, tc.region, tc.service), nil, tc.op, arn)
			checkErr(t, err, tc.code, tc.msg)
			if err == nil && check == nil {
				t.Fatal("no zone check returned")
			}
		})
	}

	// The zone check: full keys see every zone (and learn that one does not
	// exist), scoped keys only the zones of their namespaces.
	adminCheck, err := a.AuthorizeRoute53(signRoute53(t, admin, "us-east-1", "route53"), nil, "GetHostedZone", arn)
	checkErr(t, err, "", "")
	readerCheck, err := a.AuthorizeRoute53(signRoute53(t, reader, "us-east-1", "route53"), nil, "GetHostedZone", arn)
	checkErr(t, err, "", "")
	for _, ns := range []*cloudmap.Namespace{open, closed, nil} {
		checkErr(t, adminCheck(ns, arn), "", "")
	}
	checkErr(t, readerCheck(open, arn), "", "")
	checkErr(t, readerCheck(closed, "arn:aws:route53:::hostedzone/ZCLOSED"), "AccessDeniedException",
		"User: reader is not authorized to perform: route53:GetHostedZone on resource: arn:aws:route53:::hostedzone/ZCLOSED")
	checkErr(t, readerCheck(nil, "arn:aws:route53:::hostedzone/ZNONE"), "AccessDeniedException", "hostedzone/ZNONE")

	// Without keys every request passes (the server allows that on loopback only).
	open2, err := newAuthorizer(nil).AuthorizeRoute53(httptest.NewRequest(http.MethodGet, "/2013-04-01/hostedzone", nil), nil, "ListHostedZones", "*")
	checkErr(t, err, "", "")
	checkErr(t, open2(nil, "*"), "", "")
}

func TestValidateActionPattern_route53(t *testing.T) {
	for _, p := range []string{"route53:GetHostedZone", "route53:List*", "Route53:*", "*"} {
		if err := auth.ValidateActionPattern(p); err != nil {
			t.Errorf("ValidateActionPattern(%q) = %v, want nil", p, err)
		}
	}
	for _, tc := range []struct{ p, msg string }{
		{"route53:ChangeResourceRecordSets", "matches no Route 53 operation cloudmap serves"},
		{"route53:GetHostedZon", "matches no Route 53 operation cloudmap serves"},
		{"ec2:*", `must start with "servicediscovery:" or "route53:"`},
	} {
		err := auth.ValidateActionPattern(tc.p)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ValidateActionPattern(%q) = %v, want an error containing %q", tc.p, err, tc.msg)
		}
	}
}

// One key signing for both services on the same date gets the right
// signing key for each (the cache is keyed by the whole scope).
func TestAuthorizer_signingKeyPerService(t *testing.T) {
	a := newAuthorizer([]auth.Key{admin})
	for i := range 2 {
		_, err := a.AuthorizeRoute53(signRoute53(t, admin, region, "route53"), nil, "GetHostedZone", "*")
		checkErr(t, err, "", "")
		err = authorize(a, sign(t, signing{}, "{}"), []byte("{}"), "ListNamespaces", &cloudmap.ListInput{})
		if err != nil {
			t.Fatalf("round %d: servicediscovery request after a route53 one: %v", i, err)
		}
	}
}

// CheckRoute53Headers decides from the headers alone, before any body:
// a known key scoped to route53 passes (its signature is checked later,
// with the body), an unknown key is UnrecognizedClientException, a scope
// naming another service InvalidSignatureException naming route53, and
// with authentication off everything passes.
func TestAuthorizer_CheckRoute53Headers(t *testing.T) {
	a := newAuthorizer([]auth.Key{admin})
	if err := a.CheckRoute53Headers(signRoute53(t, admin, "us-east-1", "route53")); err != nil {
		t.Errorf("known key scoped to route53: %v", err)
	}
	nobody := auth.Key{AccessKeyID: "AKIDNOBODY", SecretAccessKey: "x"}
	if err := a.CheckRoute53Headers(signRoute53(t, nobody, "us-east-1", "route53")); cloudmap.ErrorCode(err) != cloudmap.ErrUnrecognizedClient {
		t.Errorf("unknown key: %v, want UnrecognizedClientException", err)
	}
	err := a.CheckRoute53Headers(signRoute53(t, admin, "us-east-1", "servicediscovery"))
	if cloudmap.ErrorCode(err) != cloudmap.ErrInvalidSignature || !strings.Contains(cloudmap.ErrorMessage(err), "'route53'") {
		t.Errorf("scope of another service: %v, want InvalidSignatureException naming route53", err)
	}
	off := newAuthorizer(nil)
	if err := off.CheckRoute53Headers(httptest.NewRequest(http.MethodPost, "/2013-04-01/hostedzone", nil)); err != nil {
		t.Errorf("authentication off: %v, want nil", err)
	}
}

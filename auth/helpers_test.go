package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/auth"
)

// now is the fixed clock of the tests.
var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

const (
	region  = "us-east-1"
	account = "123456789012"
	service = "servicediscovery"
	target  = "Route53AutoNaming_v20170314."
)

var admin = auth.Key{Name: "admin", AccessKeyID: "AKIDADMIN", SecretAccessKey: "admin/secret+key"}

// signing describes how a test request is signed.
type signing struct {
	id, secret      string
	region, service string
	at              time.Time
	url             string
	op              string
}

// defaults fills the zero fields of s.
func (s signing) defaults() signing {
	if s.id == "" {
		s.id, s.secret = admin.AccessKeyID, admin.SecretAccessKey
	}
	if s.region == "" {
		s.region = region
	}
	if s.service == "" {
		s.service = service
	}
	if s.at.IsZero() {
		s.at = now
	}
	if s.url == "" {
		s.url = "http://127.0.0.1:8080/"
	}
	if s.op == "" {
		s.op = "ListNamespaces"
	}
	return s
}

// sign returns a request for body signed as s says, with the real SDK
// signer, as the server would receive it.
func sign(t testing.TB, s signing, body string) *http.Request {
	t.Helper()
	s = s.defaults()
	r := httptest.NewRequest(http.MethodPost, s.url, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", target+s.op)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: s.id, SecretAccessKey: s.secret},
		r, hashHex(body), s.service, s.region, s.at)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func hashHex(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:])
}

// newAuthorizer returns an Authorizer on the fixed clock.
func newAuthorizer(keys []auth.Key, mods ...func(*auth.Config)) *auth.Authorizer {
	cfg := auth.Config{Region: region, AccountID: account, Regions: []string{region}, Service: service, Keys: keys, Resolver: fakeResolver{},
		Now: func() time.Time { return now }}
	for _, m := range mods {
		m(&cfg)
	}
	return auth.New(cfg)
}

// checkErr compares an Authorize result with a wanted code ("" for nil)
// and a fragment of the message.
func checkErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	if got := cloudmap.ErrorCode(err); got != code || (err == nil) != (code == "") {
		t.Fatalf("got error %v, want code %q", err, code)
	}
	if err != nil && !strings.Contains(cloudmap.ErrorMessage(err), msg) {
		t.Errorf("got message %q, want it to contain %q", cloudmap.ErrorMessage(err), msg)
	}
}

// fakeResolver knows namespaces ns-open ("open") and ns-closed ("closed"),
// and services srv-open and srv-closed in them.
type fakeResolver struct{}

var namespaces = map[string]*cloudmap.Namespace{
	"ns-open": {Id: "ns-open", Name: "open", Arn: "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-open",
		Properties: cloudmap.NamespaceProperties{HttpProperties: &cloudmap.HttpProperties{HttpName: "open"}}},
	"ns-closed": {Id: "ns-closed", Name: "closed.example", Arn: "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-closed",
		Properties: cloudmap.NamespaceProperties{HttpProperties: &cloudmap.HttpProperties{HttpName: "closed"}}},
}

// dnsZones are the DNS namespaces of the fake: base.local (ns-base) and
// mine.local (ns-mine), and x.free.example of another account.
var dnsZones = []*cloudmap.Namespace{
	{Id: "ns-base", Name: "base.local", Type: cloudmap.NamespaceDNSPrivate, Arn: "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-base"},
	{Id: "ns-mine", Name: "mine.local", Type: cloudmap.NamespaceDNSPrivate, Arn: "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-mine"},
	{Id: "ns-foreign", Name: "x.free.example", Type: cloudmap.NamespaceDNSPrivate, Arn: "arn:aws:servicediscovery:us-east-1:999999999999:namespace/ns-foreign"},
}

func (fakeResolver) ZonesNamed(name string) []*cloudmap.Namespace {
	var out []*cloudmap.Namespace
	for _, ns := range dnsZones {
		if strings.EqualFold(ns.Name, strings.TrimSuffix(name, ".")) {
			out = append(out, ns)
		}
	}
	return out
}

func (fakeResolver) ZonesBelow(name string) []*cloudmap.Namespace {
	var out []*cloudmap.Namespace
	for _, ns := range dnsZones {
		if strings.HasSuffix(strings.ToLower(ns.Name), "."+strings.ToLower(strings.TrimSuffix(name, "."))) {
			out = append(out, ns)
		}
	}
	return out
}

func (fakeResolver) Namespace(id string) (*cloudmap.Namespace, bool) {
	ns, ok := namespaces[id]
	return ns, ok
}

func (fakeResolver) NamespaceOfService(id string) (*cloudmap.Namespace, bool) {
	switch id {
	case "srv-open":
		return namespaces["ns-open"], true
	case "srv-closed":
		return namespaces["ns-closed"], true
	}
	return nil, false
}

// authorize is Authorize for tests that check only its error.
func authorize(a *auth.Authorizer, r *http.Request, body []byte, op string, in any) error {
	_, err := a.Authorize(r, body, op, in)
	return err
}

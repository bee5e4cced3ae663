package auth_test

import (
	"context"
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

// TestParseAuthorization_Bounds: what the header parser accepts at the
// edges of its rules: a credential date of any eight digits (0 to 9), a
// signed header name of up to 128 bytes, and a signature of 64 hex digits
// in either case (kept in lower case).
func TestParseAuthorization_Bounds(t *testing.T) {
	name128 := strings.Repeat("x", 128)
	sig := strings.Repeat("0123456789ABCDEF", 4)
	h := "AWS4-HMAC-SHA256 Credential=AKID/20190909/us-east-1/servicediscovery/aws4_request, SignedHeaders=host;" +
		name128 + ", Signature=" + sig
	got, err := auth.ParseAuthorization(h)
	if err != nil {
		t.Fatal(err)
	}
	if got.Date != "20190909" || len(got.SignedHeaders) != 2 || got.SignedHeaders[1] != name128 || got.Signature != strings.ToLower(sig) {
		t.Errorf("got %+v", got)
	}
	for _, c := range "abcdefABCDEF0123456789" {
		s := strings.Repeat(string(c), 64)
		if _, err := auth.ParseAuthorization(strings.Replace(goodAuth, goodSig, s, 1)); err != nil {
			t.Errorf("signature %q…: %v, want accepted", s[:4], err)
		}
	}
}

// TestAuthorizer_SignedHeadersInAnyOrder: X-Amz-Date and X-Amz-Target
// count as signed wherever SignedHeaders lists them, first included.
func TestAuthorizer_SignedHeadersInAnyOrder(t *testing.T) {
	a := newAuthorizer([]auth.Key{admin})
	for _, first := range []string{"x-amz-date", "x-amz-target"} {
		t.Run(first, func(t *testing.T) {
			r := sign(t, signing{}, "{}")
			h := r.Header.Get("Authorization")
			start := strings.Index(h, "SignedHeaders=") + len("SignedHeaders=")
			end := start + strings.Index(h[start:], ",")
			var rest []string
			for _, s := range strings.Split(h[start:end], ";") {
				if s != first {
					rest = append(rest, s)
				}
			}
			signed := first + ";" + strings.Join(rest, ";")
			r.Header.Set("Authorization", h[:start]+signed+h[end:])
			// CheckHeaders checks everything but the signature itself.
			if err := a.CheckHeaders(r); err != nil {
				t.Errorf("SignedHeaders=%s: %v, want accepted", signed, err)
			}
		})
	}
}

// TestAuthorizer_SigningKeyEachDay: the signing key derives from the
// credential's date, so a key used yesterday verifies today's requests
// with today's signing key (the cache is per date).
func TestAuthorizer_SigningKeyEachDay(t *testing.T) {
	clock := now
	a := newAuthorizer([]auth.Key{admin}, func(c *auth.Config) { c.Now = func() time.Time { return clock } })
	for day := range 3 {
		clock = now.Add(time.Duration(day) * 24 * time.Hour)
		r := sign(t, signing{at: clock}, "{}")
		checkErr(t, authorize(a, r, []byte("{}"), "ListNamespaces", &cloudmap.ListInput{}), "", "")
	}
}

// TestAuthorizer_PresignedExpiryBounds: X-Amz-Expires runs from 1 second
// to 7 days (604800 s), both included; an expired URL's message names the
// expiry in seconds.
func TestAuthorizer_PresignedExpiryBounds(t *testing.T) {
	a := newAuthorizer([]auth.Key{admin})
	tests := []struct {
		name, expires string
		at            time.Time
		code, msg     string
	}{
		{"one second", "1", now, "", ""},
		{"seven days", "604800", now, "", ""},
		{"zero", "0", now, cloudmap.ErrIncompleteSignature, "X-Amz-Expires must be a number of seconds from 1 to 604800."},
		{"over seven days", "604801", now, cloudmap.ErrIncompleteSignature, "X-Amz-Expires must be a number of seconds from 1 to 604800."},
		{"expired", "90", now.Add(-2 * time.Minute), cloudmap.ErrInvalidSignature,
			"Request has expired: X-Amz-Date 20261124T115800Z plus X-Amz-Expires 90 sec. ended at 20261124T115930Z, before 20261124T120000Z."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, authorize(a, presignAt(t, tt.expires, tt.at), nil, "ListNamespaces", &cloudmap.ListInput{}), tt.code, tt.msg)
		})
	}
}

// TestAuthorizer_DeniedResourceClipped: an AccessDenied message names the
// resource the request asked for, up to 256 bytes; a longer one is cut
// there and marked "...".
func TestAuthorizer_DeniedResourceClipped(t *testing.T) {
	reader := auth.Key{Name: "reader", AccessKeyID: "AKIDREADER", SecretAccessKey: "r", AllowedNamespaces: []string{"open"}}
	a := newAuthorizer([]auth.Key{reader})
	for _, tc := range []struct {
		id, want string
	}{
		{strings.Repeat("n", 256), strings.Repeat("n", 256)},
		{strings.Repeat("n", 257), strings.Repeat("n", 256) + "..."},
	} {
		r := sign(t, signing{id: reader.AccessKeyID, secret: reader.SecretAccessKey, op: "GetNamespace"}, "{}")
		err := authorize(a, r, []byte("{}"), "GetNamespace", &cloudmap.IdInput{Id: tc.id})
		checkErr(t, err, cloudmap.ErrAccessDenied, "")
		if msg := cloudmap.ErrorMessage(err); !strings.HasSuffix(msg, "on resource: "+tc.want) {
			t.Errorf("id of %d bytes: message %q, want it to end with the resource as %d bytes", len(tc.id), msg, len(tc.want))
		}
	}
}

// TestParseCredentials_NamesClipped: a name quoted in a credentials error
// is given whole up to 64 bytes, cut there and marked "..." beyond.
func TestParseCredentials_NamesClipped(t *testing.T) {
	const ok = "[a]\naws_access_key_id = A\naws_secret_access_key = s\n"
	for _, tc := range []struct {
		key, want string
	}{
		{strings.Repeat("k", 64), `unknown key "` + strings.Repeat("k", 64) + `"`},
		{strings.Repeat("k", 65), `unknown key "` + strings.Repeat("k", 64) + `..."`},
	} {
		_, err := auth.ParseCredentials(strings.NewReader(ok+tc.key+" = 1\n"), "creds")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("key of %d bytes: error %v, want it to contain %s", len(tc.key), err, tc.want)
		}
	}
}

// TestAuthorizer_Route53AnonymousRateLimited: without keys, Route 53
// requests are still rate-limited per client address.
func TestAuthorizer_Route53AnonymousRateLimited(t *testing.T) {
	a := newAuthorizer(nil, func(c *auth.Config) { c.RateLimit, c.Burst = 1, 1 })
	req := func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/2013-04-01/hostedzone", nil)
		r.RemoteAddr = "127.0.0.7:4000"
		return r
	}
	_, err := a.AuthorizeRoute53(req(), nil, "ListHostedZones", "*")
	checkErr(t, err, "", "")
	_, err = a.AuthorizeRoute53(req(), nil, "ListHostedZones", "*")
	checkErr(t, err, cloudmap.ErrRequestLimitExceeded, "client 127.0.0.7 is limited to 1 requests per second (burst 1)")
}

// TestAuthorizer_HeaderValuesCanonical: a signed header's canonical value
// is trimmed, with every inner run of spaces collapsed to one (tabs stay),
// and a header sent twice is its values joined by ",", as the SDK signs
// it; so spaces a proxy adds or removes around and between words keep the
// signature valid, and any other change breaks it.
func TestAuthorizer_HeaderValuesCanonical(t *testing.T) {
	a := newAuthorizer([]auth.Key{admin})
	tests := []struct {
		name         string
		signed, sent []string
		code         string
	}{
		{"runs of spaces", []string{"a   b    c"}, []string{"a   b    c"}, ""},
		{"spaces around", []string{"  a b  "}, []string{"  a b  "}, ""},
		{"sent twice", []string{" a  b ", "c   d"}, []string{" a  b ", "c   d"}, ""},
		{"tabs", []string{"a\t\tb"}, []string{"a\t\tb"}, ""},
		{"spaces added on the way", []string{"a b"}, []string{"   a     b "}, ""},
		{"spaces removed on the way", []string{" a   b"}, []string{"a b"}, ""},
		{"a tab for a space", []string{"a b"}, []string{"a\tb"}, cloudmap.ErrInvalidSignature},
		{"words joined", []string{"a b"}, []string{"ab"}, cloudmap.ErrInvalidSignature},
		{"values swapped", []string{"a", "b"}, []string{"b", "a"}, cloudmap.ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := signHeaders(t, func(h http.Header) {
				for _, v := range tt.signed {
					h.Add("X-Custom", v)
				}
			})
			if !strings.Contains(r.Header.Get("Authorization"), ";x-custom,") {
				t.Fatalf("X-Custom not signed: %s", r.Header.Get("Authorization"))
			}
			r.Header["X-Custom"] = tt.sent
			checkErr(t, authorize(a, r, []byte("{}"), "ListNamespaces", &cloudmap.ListInput{}), tt.code, "")
		})
	}
}

// signHeaders is sign with extra headers set before signing.
func signHeaders(t *testing.T, set func(http.Header)) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/", strings.NewReader("{}"))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", target+"ListNamespaces")
	set(r.Header)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: admin.AccessKeyID, SecretAccessKey: admin.SecretAccessKey},
		r, hashHex("{}"), service, region, now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestAuthorizer_Route53AccountWithoutKeys: without keys a Route 53
// request's account is the 12-digit access key ID of its Authorization
// header, unverified (else the server's); its zone check hides the zones
// of other accounts. A malformed header or a region not served is refused.
func TestAuthorizer_Route53AccountWithoutKeys(t *testing.T) {
	a := newAuthorizer(nil, func(c *auth.Config) { c.Region, c.Regions = "eu-west-1", []string{"eu-west-1"} })
	header := func(akid, region string) string {
		return "AWS4-HMAC-SHA256 Credential=" + akid + "/20261124/" + region + "/route53/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("0", 64)
	}
	mine := &cloudmap.Namespace{Id: "ns-mine", Arn: "arn:aws:servicediscovery:eu-west-1:111111111111:namespace/ns-mine"}
	theirs := &cloudmap.Namespace{Id: "ns-theirs", Arn: "arn:aws:servicediscovery:eu-west-1:" + account + ":namespace/ns-theirs"}
	const zone = "arn:aws:route53:::hostedzone/Z1"
	tests := []struct {
		name, auth   string
		code, msg    string
		sees, hidden *cloudmap.Namespace
	}{
		{name: "12-digit key is the account", auth: header("111111111111", "us-east-1"), sees: mine, hidden: theirs},
		{name: "in the server's region", auth: header("111111111111", "eu-west-1"), sees: mine, hidden: theirs},
		{name: "other key: the server's account", auth: header("AKIDEXAMPLE", "us-east-1"), sees: theirs, hidden: mine},
		{name: "unsigned: the server's account", auth: "", sees: theirs, hidden: mine},
		{name: "region not served", auth: header("111111111111", "ap-south-1"),
			code: cloudmap.ErrInvalidSignature, msg: "not 'ap-south-1'; this endpoint serves 'eu-west-1' or 'us-east-1'"},
		{name: "malformed", auth: "AWS4-HMAC-SHA256 Credential=111111111111/us-east-1, SignedHeaders=host, Signature=" + strings.Repeat("0", 64),
			code: cloudmap.ErrIncompleteSignature, msg: "Credential"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/2013-04-01/hostedzone/Z1", nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			check, err := a.AuthorizeRoute53(r, nil, "GetHostedZone", zone)
			checkErr(t, err, tt.code, tt.msg)
			if err != nil {
				return
			}
			checkErr(t, check(tt.sees, zone), "", "")
			checkErr(t, check(tt.hidden, zone), "NoSuchHostedZone", "No hosted zone found with ID: Z1")
		})
	}
}

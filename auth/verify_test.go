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

func TestAuthorizer_Signature(t *testing.T) {
	const body = `{"MaxResults":10}`
	a := newAuthorizer([]auth.Key{admin})
	tests := []struct {
		name     string
		req      func(t *testing.T) *http.Request
		body     string // what the server read; body when empty
		code     string
		contains string
	}{
		{name: "correct key", req: func(t *testing.T) *http.Request { return sign(t, signing{}, body) }},
		{name: "unsigned header added later", req: func(t *testing.T) *http.Request {
			r := sign(t, signing{}, body)
			r.Header.Set("X-Forwarded-For", "10.0.0.1")
			return r
		}},
		{name: "data- host prefix", req: func(t *testing.T) *http.Request {
			return sign(t, signing{url: "http://data-127.0.0.1:8080/", op: "DiscoverInstances"}, body)
		}},
		{name: "clock skew within 5 minutes", req: func(t *testing.T) *http.Request {
			return sign(t, signing{at: now.Add(-4 * time.Minute)}, body)
		}},
		{name: "unknown key", req: func(t *testing.T) *http.Request {
			return sign(t, signing{id: "AKIDNOBODY", secret: "x"}, body)
		}, code: cloudmap.ErrUnrecognizedClient, contains: "security token included in the request is invalid"},
		{name: "wrong secret", req: func(t *testing.T) *http.Request {
			return sign(t, signing{id: admin.AccessKeyID, secret: "wrong"}, body)
		}, code: cloudmap.ErrInvalidSignature, contains: "does not match the signature you provided"},
		{name: "tampered body", req: func(t *testing.T) *http.Request { return sign(t, signing{}, body) },
			body: `{"MaxResults":11}`, code: cloudmap.ErrInvalidSignature, contains: "does not match the signature"},
		{name: "content hash header disagrees with body", req: func(t *testing.T) *http.Request {
			r := sign(t, signing{}, body)
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			return r
		}, code: cloudmap.ErrInvalidSignature, contains: "x-amz-content-sha256"},
		{name: "tampered signed header", req: func(t *testing.T) *http.Request {
			r := sign(t, signing{}, body)
			r.Header.Set("X-Amz-Target", target+"DeleteNamespace")
			return r
		}, code: cloudmap.ErrInvalidSignature, contains: "does not match the signature"},
		{name: "host differs from the signed one", req: func(t *testing.T) *http.Request {
			r := sign(t, signing{url: "http://data-127.0.0.1:8080/"}, body)
			r.Host = "127.0.0.1:8080"
			return r
		}, code: cloudmap.ErrInvalidSignature, contains: "does not match the signature"},
		{name: "tampered query", req: func(t *testing.T) *http.Request {
			r := sign(t, signing{url: "http://127.0.0.1:8080/?a=1"}, body)
			r.URL.RawQuery = "a=2"
			return r
		}, code: cloudmap.ErrInvalidSignature, contains: "does not match the signature"},
		{name: "stale date", req: func(t *testing.T) *http.Request {
			return sign(t, signing{at: now.Add(-6 * time.Minute)}, body)
		}, code: cloudmap.ErrInvalidSignature, contains: "Signature expired: 20261124T115400Z is now earlier than 20261124T115500Z (20261124T120000Z - 5 min.)"},
		{name: "future date", req: func(t *testing.T) *http.Request {
			return sign(t, signing{at: now.Add(6 * time.Minute)}, body)
		}, code: cloudmap.ErrInvalidSignature, contains: "Signature not yet current"},
		{name: "missing header", req: func(t *testing.T) *http.Request {
			r := sign(t, signing{}, body)
			r.Header.Del("Authorization")
			return r
		}, code: cloudmap.ErrMissingAuthenticationToken, contains: "Missing Authentication Token"},
		{name: "missing X-Amz-Date", req: func(t *testing.T) *http.Request {
			r := sign(t, signing{}, body)
			r.Header.Del("X-Amz-Date")
			return r
		}, code: cloudmap.ErrIncompleteSignature, contains: "X-Amz-Date"},
		{name: "malformed X-Amz-Date", req: func(t *testing.T) *http.Request {
			r := sign(t, signing{}, body)
			r.Header.Set("X-Amz-Date", "2026-11-24T12:00:00Z")
			return r
		}, code: cloudmap.ErrIncompleteSignature, contains: "ISO 8601 basic format"},
		{name: "two Authorization headers", req: func(t *testing.T) *http.Request {
			r := sign(t, signing{}, body)
			r.Header.Add("Authorization", r.Header.Get("Authorization"))
			return r
		}, code: cloudmap.ErrIncompleteSignature, contains: "2 Authorization headers"},
		{name: "another region", req: func(t *testing.T) *http.Request {
			return sign(t, signing{region: "eu-west-1"}, body)
		}, code: cloudmap.ErrInvalidSignature, contains: "Credential should be scoped to a valid region, not 'eu-west-1'"},
		{name: "another service", req: func(t *testing.T) *http.Request {
			return sign(t, signing{service: "route53"}, body)
		}, code: cloudmap.ErrInvalidSignature, contains: "Credential should be scoped to correct service: 'servicediscovery'"},
		{name: "credential date differs from X-Amz-Date", req: func(t *testing.T) *http.Request {
			r := sign(t, signing{}, body)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20261124/", "/20261123/", 1))
			return r
		}, code: cloudmap.ErrInvalidSignature, contains: "Date in Credential scope does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.body
			if got == "" {
				got = body
			}
			err := authorize(a, tt.req(t), []byte(got), "ListNamespaces", &cloudmap.ListInput{})
			checkErr(t, err, tt.code, tt.contains)
		})
	}
}

// presignAt returns a GET presigned by admin at at, valid for expires
// seconds, as the server would receive it.
func presignAt(t *testing.T, expires string, at time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/?X-Amz-Expires="+expires, nil)
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(),
		aws.Credentials{AccessKeyID: admin.AccessKeyID, SecretAccessKey: admin.SecretAccessKey},
		r, hashHex(""), service, region, at)
	if err != nil {
		t.Fatal(err)
	}
	return httptest.NewRequest(http.MethodGet, u, nil)
}

func TestAuthorizer_Presigned(t *testing.T) {
	a := newAuthorizer([]auth.Key{admin})
	presign := presignAt
	tests := []struct {
		name, expires string
		at            time.Time
		code, msg     string
	}{
		{"valid", "300", now.Add(-time.Minute), "", ""},
		{"long expiry still valid", "3600", now.Add(-30 * time.Minute), "", ""},
		{"expired", "60", now.Add(-2 * time.Minute), cloudmap.ErrInvalidSignature, "Request has expired"},
		{"expiry beyond 7 days", "604801", now, cloudmap.ErrIncompleteSignature, "X-Amz-Expires"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, authorize(a, presign(t, tt.expires, tt.at), nil, "ListNamespaces", &cloudmap.ListInput{}), tt.code, tt.msg)
		})
	}
	t.Run("tampered signature", func(t *testing.T) {
		r := presign(t, "300", now)
		q := r.URL.Query()
		sig := []byte(q.Get("X-Amz-Signature"))
		sig[0] ^= 1
		q.Set("X-Amz-Signature", string(sig))
		r.URL.RawQuery = q.Encode()
		checkErr(t, authorize(a, r, nil, "ListNamespaces", &cloudmap.ListInput{}), cloudmap.ErrInvalidSignature, "does not match")
	})
}

func TestAuthorizer_Anonymous(t *testing.T) {
	a := newAuthorizer(nil)
	if a.Enabled() {
		t.Fatal("Enabled() with no keys")
	}
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/", strings.NewReader("{}"))
	checkErr(t, authorize(a, r, []byte("{}"), "DeleteNamespace", &cloudmap.IdInput{Id: "ns-closed"}), "", "")
}

func TestAuthorizer_SetKeysEmptyFailsClosed(t *testing.T) {
	a := newAuthorizer([]auth.Key{admin})
	a.SetKeys(nil)
	if !a.Enabled() {
		t.Fatal("Enabled() false after SetKeys(nil) on an Authorizer created with keys")
	}
	err := authorize(a, sign(t, signing{}, "{}"), []byte("{}"), "ListNamespaces", &cloudmap.ListInput{})
	checkErr(t, err, cloudmap.ErrUnrecognizedClient, "invalid")
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/", strings.NewReader("{}"))
	checkErr(t, authorize(a, r, []byte("{}"), "ListNamespaces", &cloudmap.ListInput{}), cloudmap.ErrMissingAuthenticationToken, "Missing")
}

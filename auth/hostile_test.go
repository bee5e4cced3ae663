package auth_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
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

// signWithoutTarget signs a request that carries no X-Amz-Target, then adds
// one: what an attacker does with a captured signature that left the
// operation out.
func signWithoutTarget(t *testing.T, op string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/", strings.NewReader(`{"Id":"ns-open"}`))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: admin.AccessKeyID,
		SecretAccessKey: admin.SecretAccessKey}, r, hashHex(`{"Id":"ns-open"}`), service, region, now)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("X-Amz-Target", target+op)
	return r
}

// TestAuthorizer_OperationBoundToSignature: the signed headers must include
// x-amz-target (when sent) and x-amz-date (when it is a header), in the
// header form and in presigned URLs; otherwise IncompleteSignatureException
// naming the header, before the signature is even computed.
func TestAuthorizer_OperationBoundToSignature(t *testing.T) {
	a := newAuthorizer([]auth.Key{admin})
	body := []byte(`{"Id":"ns-open"}`)
	t.Run("target not signed", func(t *testing.T) {
		err := authorize(a, signWithoutTarget(t, "DeleteNamespace"), body, "DeleteNamespace", &cloudmap.IdInput{Id: "ns-open"})
		checkErr(t, err, cloudmap.ErrIncompleteSignature, "'X-Amz-Target' must be a 'SignedHeader'")
	})
	t.Run("date not signed", func(t *testing.T) {
		r := sign(t, signing{}, "{}")
		h := r.Header.Get("Authorization")
		h = strings.Replace(h, ";x-amz-date", "", 1)
		r.Header.Set("Authorization", h)
		err := authorize(a, r, []byte("{}"), "ListNamespaces", &cloudmap.ListInput{})
		checkErr(t, err, cloudmap.ErrIncompleteSignature, "'X-Amz-Date' must be a 'SignedHeader'")
	})
	t.Run("presigned without target", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/?X-Amz-Expires=300", nil)
		u, _, err := v4.NewSigner().PresignHTTP(context.Background(),
			aws.Credentials{AccessKeyID: admin.AccessKeyID, SecretAccessKey: admin.SecretAccessKey},
			r, hashHex(""), service, region, now)
		if err != nil {
			t.Fatal(err)
		}
		pr := httptest.NewRequest(http.MethodPost, u, nil)
		pr.Header.Set("X-Amz-Target", target+"DeleteNamespace")
		checkErr(t, authorize(a, pr, nil, "DeleteNamespace", &cloudmap.IdInput{Id: "ns-open"}),
			cloudmap.ErrIncompleteSignature, "'X-Amz-Target' must be a 'SignedHeader'")
	})
	t.Run("presigned with target signed", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/?X-Amz-Expires=300", nil)
		r.Header.Set("X-Amz-Target", target+"ListNamespaces")
		u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(),
			aws.Credentials{AccessKeyID: admin.AccessKeyID, SecretAccessKey: admin.SecretAccessKey},
			r, hashHex(""), service, region, now)
		if err != nil {
			t.Fatal(err)
		}
		pr := httptest.NewRequest(http.MethodPost, u, nil)
		for k, v := range hdr {
			pr.Header[k] = v
		}
		checkErr(t, authorize(a, pr, nil, "ListNamespaces", &cloudmap.ListInput{}), "", "")
	})
}

// TestAuthorizer_CheckHeaders: what the headers alone decide is checked
// before the body is read; a genuine request passes and its signature is
// left to Authorize.
func TestAuthorizer_CheckHeaders(t *testing.T) {
	a := newAuthorizer([]auth.Key{admin})
	tests := []struct {
		name string
		req  func(t *testing.T) *http.Request
		code string
		msg  string
	}{
		{"genuine", func(t *testing.T) *http.Request { return sign(t, signing{}, "{}") }, "", ""},
		{"wrong secret passes the form check", func(t *testing.T) *http.Request {
			return sign(t, signing{id: admin.AccessKeyID, secret: "wrong"}, "{}")
		}, "", ""},
		{"unknown key", func(t *testing.T) *http.Request {
			return sign(t, signing{id: "AKIDNOBODY", secret: "x"}, "{}")
		}, cloudmap.ErrUnrecognizedClient, "security token"},
		{"stale date", func(t *testing.T) *http.Request {
			return sign(t, signing{at: now.Add(-time.Hour)}, "{}")
		}, cloudmap.ErrInvalidSignature, "Signature expired"},
		{"another region", func(t *testing.T) *http.Request {
			return sign(t, signing{region: "eu-west-1"}, "{}")
		}, cloudmap.ErrInvalidSignature, "valid region"},
		{"no authorization", func(t *testing.T) *http.Request {
			return httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/", nil)
		}, cloudmap.ErrMissingAuthenticationToken, "Missing Authentication Token"},
		{"target not signed", func(t *testing.T) *http.Request { return signWithoutTarget(t, "DeleteNamespace") },
			cloudmap.ErrIncompleteSignature, "X-Amz-Target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkErr(t, a.CheckHeaders(tt.req(t)), tt.code, tt.msg) })
	}
	if err := newAuthorizer(nil).CheckHeaders(httptest.NewRequest(http.MethodPost, "/", nil)); err != nil {
		t.Errorf("CheckHeaders without keys = %v, want nil", err)
	}
}

// TestAuthorizer_RejectionLogSampled: a flood of refused requests writes
// one INFO line per second at most; the next INFO line counts what was
// suppressed, and every refusal is still there at DEBUG.
func TestAuthorizer_RejectionLogSampled(t *testing.T) {
	var buf bytes.Buffer
	clock := now
	a := newAuthorizer([]auth.Key{admin}, func(c *auth.Config) {
		c.Now = func() time.Time { return clock }
		c.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	bad := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/", nil)
	for range 1000 {
		authorize(a, bad, nil, "ListNamespaces", nil)
	}
	if n := strings.Count(buf.String(), "level=INFO"); n != 1 {
		t.Fatalf("1000 refusals in one second wrote %d INFO lines, want 1:\n%s", n, buf.String())
	}
	if strings.Contains(buf.String(), "suppressed") {
		t.Errorf("the first INFO line counts suppressed refusals, with none before it: %s", buf.String())
	}
	clock = clock.Add(auth.RejectLogInterval)
	authorize(a, bad, nil, "ListNamespaces", nil)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "suppressed=999") {
		t.Errorf("after a second, lines = %q; want a second line with suppressed=999", lines)
	}
	var debug bytes.Buffer
	d := newAuthorizer([]auth.Key{admin}, func(c *auth.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&debug, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	for range 10 {
		authorize(d, bad, nil, "ListNamespaces", nil)
	}
	if n := strings.Count(debug.String(), "request rejected"); n != 10 {
		t.Errorf("at debug level %d of 10 refusals logged", n)
	}
}

// TestAuthorizer_ReloadFailureVisible: a failed reload keeps the previous
// keys, logs an ERROR line and is reported by ReloadState until a reload
// succeeds.
func TestAuthorizer_ReloadFailureVisible(t *testing.T) {
	var buf bytes.Buffer
	a := newAuthorizer([]auth.Key{admin}, func(c *auth.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	})
	broken := errors.New("credentials: line 3: broken")
	if err := a.Reload(func() ([]auth.Key, error) { return nil, broken }); !errors.Is(err, broken) {
		t.Fatalf("Reload = %v, want the load error", err)
	}
	st := a.ReloadState()
	if st.LastError != broken || st.Failures != 1 || !st.LastFailure.Equal(now) {
		t.Errorf("after a failure ReloadState = %+v", st)
	}
	if !strings.Contains(buf.String(), "level=ERROR") || !strings.Contains(buf.String(), "previous keys stay in force") {
		t.Errorf("no ERROR line for the failed reload: %s", buf.String())
	}
	checkErr(t, authorize(a, sign(t, signing{}, "{}"), []byte("{}"), "ListNamespaces", &cloudmap.ListInput{}), "", "")
	guest := auth.Key{Name: "guest", AccessKeyID: "AKIDGUEST", SecretAccessKey: "g"}
	if err := a.Reload(func() ([]auth.Key, error) { return []auth.Key{guest}, nil }); err != nil {
		t.Fatal(err)
	}
	st = a.ReloadState()
	if st.LastError != nil || st.Failures != 1 || !st.LastSuccess.Equal(now) {
		t.Errorf("after a success ReloadState = %+v", st)
	}
	checkErr(t, authorize(a, sign(t, signing{}, "{}"), []byte("{}"), "ListNamespaces", &cloudmap.ListInput{}),
		cloudmap.ErrUnrecognizedClient, "")
}

// TestAuthorizer_NoShadowingNamespaces: a key scoped to namespaces may not
// create a DNS namespace inside, above, or with the name of a DNS namespace
// outside its scope (DNS answers from the most specific zone, so
// web.base.local would hide service web of base.local); inside its own
// namespaces it may, and HTTP namespaces are not in DNS.
func TestAuthorizer_NoShadowingNamespaces(t *testing.T) {
	zoner := auth.Key{Name: "zoner", AccessKeyID: "AKIDZONER", SecretAccessKey: "z",
		AllowedNamespaces: []string{"web.base.local", "local", "api.mine.local", "ns-mine", "free.example"}}
	scoped := auth.Key{Name: "scoped", AccessKeyID: "AKIDSCOPED", SecretAccessKey: "s",
		AllowedNamespaces: []string{"base.local"}}
	a := newAuthorizer([]auth.Key{admin, zoner, scoped})
	private := func(name string) any { return &cloudmap.CreatePrivateDnsNamespaceInput{Name: name, Vpc: "vpc-1"} }
	public := func(name string) any { return &cloudmap.CreatePublicDnsNamespaceInput{Name: name} }
	const rule = "inside or above"
	tests := []struct {
		name  string
		key   auth.Key
		op    string
		input any
		code  string
	}{
		{"inside a namespace outside the scope", zoner, "CreatePrivateDnsNamespace", private("web.base.local"), cloudmap.ErrAccessDenied},
		{"inside, in any case", zoner, "CreatePublicDnsNamespace", public("WEB.Base.LOCAL"), cloudmap.ErrAccessDenied},
		{"above a namespace outside the scope", zoner, "CreatePrivateDnsNamespace", private("local"), cloudmap.ErrAccessDenied},
		{"inside its own namespace", zoner, "CreatePrivateDnsNamespace", private("api.mine.local"), ""},
		{"above only another account's namespace", zoner, "CreatePrivateDnsNamespace", private("free.example"), ""},
		{"an HTTP namespace is not in DNS", zoner, "CreateHttpNamespace", &cloudmap.CreateHttpNamespaceInput{Name: "web.base.local"}, ""},
		{"a key scoped to the namespace by name may create beside it", scoped, "CreatePrivateDnsNamespace", private("base.local"), ""},
		{"an unscoped key may shadow", admin, "CreatePrivateDnsNamespace", private("web.base.local"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sign(t, signing{id: tt.key.AccessKeyID, secret: tt.key.SecretAccessKey, op: tt.op}, "{}")
			err := authorize(a, r, []byte("{}"), tt.op, tt.input)
			checkErr(t, err, tt.code, rule)
		})
	}
}

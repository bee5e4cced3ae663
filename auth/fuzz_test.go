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

// FuzzVerifier mutates real SigV4 signatures: the seeds are Authorization
// headers the SDK signer produced for the seed body and target, and the
// fuzzer changes the header, the body the server read, the target and the
// host. A mutated request must never verify unless it still carries the
// signature the signer computes for it, every refusal is one of the
// authentication codes with a message, and CheckHeaders (before the body)
// never accepts what Authorize refuses for a reason the headers decide.
func FuzzVerifier(f *testing.F) {
	a := newAuthorizer([]auth.Key{admin})
	seed := func(body, op, host string) string {
		return sign(f, signing{op: op, url: "http://" + host + "/"}, body).Header.Get("Authorization")
	}
	for _, s := range []struct{ body, op, host string }{
		{`{"MaxResults":10}`, "ListNamespaces", "127.0.0.1:8080"},
		{`{"NamespaceName":"ns","ServiceName":"web"}`, "DiscoverInstances", "data-127.0.0.1:8080"},
		{`{"Id":"ns-1"}`, "DeleteNamespace", "cloudmap.example.com"},
		{``, "GetOperation", "127.0.0.1:8080"},
	} {
		f.Add(seed(s.body, s.op, s.host), s.body, s.op, s.host)
	}
	f.Fuzz(func(t *testing.T, authz, body, op, host string) {
		if strings.ContainsAny(host, "/?#@ \t\r\n") || host == "" {
			return // not a host httptest accepts
		}
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/", strings.NewReader(body))
		r.Host = host
		r.Header.Set("Content-Type", "application/x-amz-json-1.1")
		r.Header.Set("X-Amz-Target", target+op)
		ref := r.Clone(context.Background())
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: admin.AccessKeyID,
			SecretAccessKey: admin.SecretAccessKey}, ref, hashHex(body), service, region, now)
		if err != nil {
			return
		}
		r.Header.Set("X-Amz-Date", ref.Header.Get("X-Amz-Date"))
		r.Header.Set("Authorization", authz)
		pre := a.CheckHeaders(r)
		err = authorize(a, r, []byte(body), "ListNamespaces", &cloudmap.ListInput{})
		if err == nil {
			if pre != nil {
				t.Fatalf("CheckHeaders refused (%v) what Authorize accepts", pre)
			}
			if got, want := signatureParam(authz), signatureParam(ref.Header.Get("Authorization")); !strings.EqualFold(got, want) {
				t.Fatalf("verified a signature the signer did not make:\n got %q\nwant %q", authz, ref.Header.Get("Authorization"))
			}
			return
		}
		switch cloudmap.ErrorCode(err) {
		case cloudmap.ErrMissingAuthenticationToken, cloudmap.ErrIncompleteSignature,
			cloudmap.ErrInvalidSignature, cloudmap.ErrUnrecognizedClient:
		default:
			t.Fatalf("refused with %v", err)
		}
		if strings.TrimSpace(cloudmap.ErrorMessage(err)) == "" {
			t.Fatal("refusal without a message")
		}
		if pre != nil && cloudmap.ErrorCode(pre) != cloudmap.ErrorCode(err) {
			t.Fatalf("CheckHeaders says %v, Authorize %v", pre, err)
		}
	})
}

// signatureParam is the Signature parameter of an Authorization header.
func signatureParam(h string) string {
	_, sig, _ := strings.Cut(h, "Signature=")
	return strings.TrimSpace(sig)
}

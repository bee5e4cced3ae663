package awsapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
	"github.com/cloudmap/cloudmap/awsapi"
)

// FuzzHandlerWithAuth drives the whole handler with authentication on:
// random targets, bodies and Authorization / X-Amz-Date headers over
// requests the real SDK signer signed. Nothing may fail with a 5xx, every
// answer is well-formed, and a request is served (200) only when it carries
// the signature the real signer computed: a mutated signature never passes.
func FuzzHandlerWithAuth(f *testing.F) {
	signedAt := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	keys := []auth.Key{
		{Name: "admin", AccessKeyID: "AKIDADMIN", SecretAccessKey: "admin-secret"},
		{Name: "reader", AccessKeyID: "AKIDREADER", SecretAccessKey: "reader-secret",
			AllowedActions: []string{"servicediscovery:Discover*"}, AllowedNamespaces: []string{"ns"}},
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	authz := auth.New(auth.Config{Region: "us-east-1", Keys: keys, Now: func() time.Time { return signedAt }, Logger: log})
	h := awsapi.NewHandler(&fakeAPI{Fn: func(context.Context, string, any) (any, error) { return nil, nil }},
		awsapi.Config{Logger: log, MaxBodyBytes: 64 << 10, Authorizer: authz})
	seeds := []struct {
		op, body, authz, date string
		reader                bool
	}{
		{"ListNamespaces", `{"MaxResults":10}`, "", "", false},
		{"DiscoverInstances", `{"NamespaceName":"ns","ServiceName":"web"}`, "", "", true},
		{"DeleteNamespace", `{"Id":"ns-1"}`, "", "", true},
		{"GetNamespace", `{"Id":"ns-1"}`, "AWS4-HMAC-SHA256 Credential=AKIDADMIN/20261124/us-east-1/servicediscovery/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("ab", 32), "", false},
		{"ListServices", `{}`, "", "20261124T115000Z", false},
		{"Nope", `[1,{"a":null}]`, "AWS4-HMAC-SHA256 Credential=A/B/C/D/E", "x", false},
	}
	for _, s := range seeds {
		f.Add(s.op, []byte(s.body), s.authz, s.date, s.reader)
	}
	f.Fuzz(func(t *testing.T, op string, body []byte, authzHeader, date string, reader bool) {
		logs.Reset()
		k := keys[0]
		if reader {
			k = keys[1]
		}
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "Route53AutoNaming_v20170314."+op)
		sum := sha256.Sum256(body)
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: k.AccessKeyID,
			SecretAccessKey: k.SecretAccessKey}, req, hex.EncodeToString(sum[:]), "servicediscovery", "us-east-1", signedAt)
		if err != nil {
			t.Skip() // the signer refuses some inputs (e.g. invalid header values)
		}
		genuine := signatureOf(req.Header.Get("Authorization"))
		if authzHeader != "" {
			req.Header.Set("Authorization", authzHeader)
		}
		if date != "" {
			req.Header.Set("X-Amz-Date", date)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d: %s\n%s", rec.Code, rec.Body, logs.String())
		}
		if rec.Code == 200 {
			if !strings.EqualFold(signatureOf(req.Header.Get("Authorization")), genuine) {
				t.Fatalf("served with a signature the signer did not make: %q", req.Header.Get("Authorization"))
			}
			return
		}
		var doc map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("error answer %q is not JSON: %v", rec.Body, err)
		}
		if code, _ := doc["__type"].(string); code == "" || code == cloudmap.ErrInternalFailure {
			t.Fatalf("answer without a code, or internal: %s", rec.Body)
		}
		if msg, _ := doc["Message"].(string); strings.TrimSpace(msg) == "" {
			t.Fatalf("empty message: %s", rec.Body)
		}
	})
}

// signatureOf is the Signature parameter of an Authorization header.
func signatureOf(h string) string {
	_, sig, _ := strings.Cut(h, "Signature=")
	return strings.TrimSpace(sig)
}

package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/smithy-go"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/auth"
)

// server is a minimal JSON 1.1 front end around an Authorizer: it decodes
// a few operations' inputs, authorizes, and answers "{}" or the AWS error.
func server(t *testing.T, a *auth.Authorizer, attempts *atomic.Int32) *httptest.Server {
	inputs := map[string]func() any{
		"ListNamespaces":    func() any { return &cloudmap.ListInput{} },
		"GetService":        func() any { return &cloudmap.IdInput{} },
		"RegisterInstance":  func() any { return &cloudmap.RegisterInstanceInput{} },
		"DiscoverInstances": func() any { return &cloudmap.DiscoverInstancesInput{} },
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			t.Error(err)
			return
		}
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), target)
		if op == "DiscoverInstances" && !strings.HasPrefix(r.Host, "data-") {
			t.Errorf("DiscoverInstances reached host %q, want the SDK's data- prefix", r.Host)
		}
		newInput, ok := inputs[op]
		if !ok {
			t.Errorf("unexpected operation %q", op)
			return
		}
		input := newInput()
		if err := json.Unmarshal(body, input); err != nil {
			t.Errorf("decode %s: %v", op, err)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if err := authorize(a, r, body, op, input); err != nil {
			w.WriteHeader(http.StatusForbidden)
			json.NewEncoder(w).Encode(map[string]string{"__type": cloudmap.ErrorCode(err), "Message": cloudmap.ErrorMessage(err)})
			return
		}
		io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// client is the official SDK client for srv with the given key. Its dialer
// ignores the host name, so the data- prefix the SDK puts in front of the
// endpoint for DiscoverInstances still reaches srv (and is signed).
func client(srv *httptest.Server, id, secret string) *sd.Client {
	addr := srv.Listener.Addr().String()
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	return sd.New(sd.Options{
		Region:       region,
		BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
		}),
		HTTPClient: &http.Client{Transport: &http.Transport{DialContext: dial}},
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.Backoff = retry.NewExponentialJitterBackoff(10 * time.Millisecond)
		}),
	})
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "non-API error: " + err.Error()
	}
	return ""
}

func TestAuthorizer_ThroughSDK(t *testing.T) {
	reader := auth.Key{Name: "reader", AccessKeyID: "AKIDREADER", SecretAccessKey: "reader-secret",
		AllowedActions: []string{"servicediscovery:Discover*", "servicediscovery:Get*"}, AllowedNamespaces: []string{"open"}}
	a := auth.New(auth.Config{Region: region, AccountID: account, Keys: []auth.Key{admin, reader}, Resolver: fakeResolver{}})
	var attempts atomic.Int32
	srv := server(t, a, &attempts)
	ctx := context.Background()
	adminC := client(srv, admin.AccessKeyID, admin.SecretAccessKey)
	readerC := client(srv, reader.AccessKeyID, reader.SecretAccessKey)
	discover := func(c *sd.Client, ns string) error {
		_, err := c.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String(ns), ServiceName: aws.String("s")})
		return err
	}
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"admin lists", func() error { _, err := adminC.ListNamespaces(ctx, &sd.ListNamespacesInput{}); return err }, ""},
		{"admin registers", func() error {
			_, err := adminC.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: aws.String("srv-closed"), InstanceId: aws.String("i"),
				Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1"}})
			return err
		}, ""},
		{"reader discovers in scope via data- host", func() error { return discover(readerC, "open") }, ""},
		{"reader discovers outside", func() error { return discover(readerC, "closed") }, "AccessDeniedException"},
		{"reader gets a service outside", func() error {
			_, err := readerC.GetService(ctx, &sd.GetServiceInput{Id: aws.String("srv-closed")})
			return err
		}, "AccessDeniedException"},
		{"reader registers", func() error {
			_, err := readerC.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: aws.String("srv-open"), InstanceId: aws.String("i"),
				Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1"}})
			return err
		}, "AccessDeniedException"},
		{"wrong secret", func() error {
			_, err := client(srv, admin.AccessKeyID, "wrong").ListNamespaces(ctx, &sd.ListNamespacesInput{})
			return err
		}, "InvalidSignatureException"},
		{"unknown key", func() error {
			_, err := client(srv, "AKIDNOBODY", "x").ListNamespaces(ctx, &sd.ListNamespacesInput{})
			return err
		}, "UnrecognizedClientException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorCode(tt.call()); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestAuthorizer_ThrottleRetriedBySDK checks that RequestLimitExceeded is
// an error the SDK retries as a throttle.
func TestAuthorizer_ThrottleRetriedBySDK(t *testing.T) {
	a := auth.New(auth.Config{Region: region, AccountID: account, Keys: []auth.Key{admin}, RateLimit: 0.001, Burst: 1})
	var attempts atomic.Int32
	srv := server(t, a, &attempts)
	c := client(srv, admin.AccessKeyID, admin.SecretAccessKey)
	ctx := context.Background()
	if _, err := c.ListNamespaces(ctx, &sd.ListNamespacesInput{}); err != nil {
		t.Fatal(err)
	}
	attempts.Store(0)
	_, err := c.ListNamespaces(ctx, &sd.ListNamespacesInput{})
	if got := errorCode(err); got != "RequestLimitExceeded" {
		t.Fatalf("got %q, want RequestLimitExceeded", got)
	}
	if got := attempts.Load(); got != 3 {
		t.Errorf("server saw %d attempts, want 3 (the SDK retries throttles)", got)
	}
}

package cloudmaptest_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"

	"github.com/cloudmap/cloudmap/cloudmaptest"
	"github.com/cloudmap/cloudmap/embed"
)

func TestNew_LoopbackPortsAndStopAtCleanup(t *testing.T) {
	var endpoint, dnsAddr string
	t.Run("inner", func(t *testing.T) {
		srv := cloudmaptest.New(t)
		endpoint, dnsAddr = srv.Endpoint(), srv.DNSAddr()
		if !strings.HasPrefix(endpoint, "http://127.0.0.1:") || strings.HasSuffix(endpoint, ":8080") {
			t.Errorf("Endpoint() = %q, want http on a free 127.0.0.1 port", endpoint)
		}
		if host, _, _ := net.SplitHostPort(dnsAddr); host != "127.0.0.1" {
			t.Errorf("DNSAddr() = %q, want 127.0.0.1", dnsAddr)
		}
		if _, err := srv.Client().ListNamespaces(context.Background(), &servicediscovery.ListNamespacesInput{}); err != nil {
			t.Errorf("ListNamespaces: %v", err)
		}
	})
	// After the subtest's cleanup the API no longer answers.
	if resp, err := http.Post(endpoint, "application/x-amz-json-1.1", nil); err == nil {
		resp.Body.Close()
		t.Fatalf("API at %s still answers after cleanup", endpoint)
	}
}

func TestNew_TwoServersAreIndependent(t *testing.T) {
	a, b := cloudmaptest.New(t), cloudmaptest.New(t)
	ctx := context.Background()
	if _, err := a.Client().CreateHttpNamespace(ctx, &servicediscovery.CreateHttpNamespaceInput{Name: ptr("only-in-a")}); err != nil {
		t.Fatal(err)
	}
	out, err := b.Client().ListNamespaces(ctx, &servicediscovery.ListNamespacesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Namespaces) != 0 {
		t.Fatalf("server b sees %d namespaces of server a", len(out.Namespaces))
	}
}

func TestNew_WithConfigCredentials(t *testing.T) {
	srv := cloudmaptest.New(t, cloudmaptest.WithConfig(func(c *embed.Config) {
		c.AccessKeyID, c.SecretAccessKey = "AKIDGOOD", "good-secret"
	}))
	ctx := context.Background()
	if _, err := srv.NewClient("AKIDGOOD", "good-secret").ListNamespaces(ctx, &servicediscovery.ListNamespacesInput{}); err != nil {
		t.Fatalf("configured key: %v", err)
	}
	_, err := srv.NewClient("AKIDGOOD", "wrong-secret").ListNamespaces(ctx, &servicediscovery.ListNamespacesInput{})
	var apiErr interface{ ErrorCode() string }
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidSignatureException" {
		t.Fatalf("wrong secret: err = %v, want InvalidSignatureException", err)
	}
}

func TestResolver_AsksCloudmapDNS(t *testing.T) {
	srv := cloudmaptest.New(t)
	// A name outside every namespace is REFUSED by cloudmap (it never
	// recurses): the resolver reports an error rather than an answer
	// from the machine's own DNS.
	_, err := srv.Resolver().LookupHost(context.Background(), "nowhere.invalid")
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) {
		t.Fatalf("LookupHost(nowhere.invalid) err = %v, want a *net.DNSError", err)
	}
}

// BenchmarkStart is the start-up of a server as New does it (budget:
// under 100 ms); stopping it is not counted.
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		srv, err := cloudmaptest.Start()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := srv.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

func ptr(s string) *string { return &s }

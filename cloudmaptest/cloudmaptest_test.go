package cloudmaptest_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

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

// A test's HTTP target on loopback is probed (a default server refuses to).
func TestNew_HealthChecksReachLoopbackTargets(t *testing.T) {
	srv := cloudmaptest.New(t, cloudmaptest.WithHealthCheckInterval(20*time.Millisecond))
	var code atomic.Int32
	code.Store(http.StatusInternalServerError)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(code.Load()))
	}))
	defer target.Close()
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(target.URL, "http://"))
	ctx := context.Background()
	c := srv.Client()
	op, err := c.CreateHttpNamespace(ctx, &servicediscovery.CreateHttpNamespaceInput{Name: ptr("checked")})
	if err != nil {
		t.Fatal(err)
	}
	srv.WaitOperation(ctx, *op.OperationId)
	got, _ := c.GetOperation(ctx, &servicediscovery.GetOperationInput{OperationId: op.OperationId})
	svc, err := c.CreateService(ctx, &servicediscovery.CreateServiceInput{Name: ptr("web"),
		NamespaceId:       ptr(got.Operation.Targets["NAMESPACE"]),
		HealthCheckConfig: &types.HealthCheckConfig{Type: types.HealthCheckTypeHttp}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RegisterInstance(ctx, &servicediscovery.RegisterInstanceInput{ServiceId: svc.Service.Id,
		InstanceId: ptr("i-1"), Attributes: map[string]string{"AWS_INSTANCE_IPV4": host, "AWS_INSTANCE_PORT": port}}); err != nil {
		t.Fatal(err)
	}
	// The target answers 500, then 200: the instance turns UNHEALTHY, then
	// HEALTHY again, which only probes can do (a refused probe is a
	// failure). A long-poll on the revision reports each change.
	rev, err := c.DiscoverInstancesRevision(ctx, &servicediscovery.DiscoverInstancesRevisionInput{
		NamespaceName: ptr("checked"), ServiceName: ptr("web")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for _, want := range []types.HealthStatus{types.HealthStatusUnhealthy, types.HealthStatusHealthy} {
		for {
			hs, err := c.GetInstancesHealthStatus(ctx, &servicediscovery.GetInstancesHealthStatusInput{ServiceId: svc.Service.Id})
			if err != nil {
				t.Fatal(err)
			}
			if hs.Status["i-1"] == want {
				break
			}
			out, err := c.DiscoverInstancesRevision(ctx, &servicediscovery.DiscoverInstancesRevisionInput{
				NamespaceName: ptr("checked"), ServiceName: ptr("web")}, func(o *servicediscovery.Options) {
				o.APIOptions = append(o.APIOptions,
					smithyhttp.AddHeaderValue("X-Cloudmap-Index", strconv.FormatInt(*rev.InstancesRevision, 10)),
					smithyhttp.AddHeaderValue("X-Cloudmap-Wait", "30s"))
			})
			if err != nil {
				t.Fatalf("waiting for %s: %v", want, err)
			}
			rev = out
		}
		code.Store(http.StatusOK)
	}
}

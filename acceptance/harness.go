// Package acceptance holds black-box tests that drive a cloudmap server
// started in-process with the official aws-sdk-go-v2 client and a real DNS
// client, and the helpers (MustStart, NewClient) that start one.
package acceptance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap/dnsserver/dnstest"
	"github.com/cloudmap/cloudmap/embed"
	"github.com/cloudmap/cloudmap/internal/testkit"
	"github.com/cloudmap/cloudmap/storetest/teststore"
)

// Node is a cloudmap server started for a test, with an SDK client.
type Node struct {
	*embed.Server
	Config embed.Config
	Client *servicediscovery.Client
}

// TestConfig returns a configuration for tests: loopback addresses on free
// ports, a temporary data directory (or, when the tests run on etcd, a
// prefix of the embedded etcd: teststore.MainOn), a fast health check
// interval.
func TestConfig(t testing.TB) embed.Config {
	cfg := embed.DefaultConfig()
	cfg.APIAddr = "127.0.0.1:0"
	cfg.DNSAddr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.HealthCheckInterval = 50 * time.Millisecond
	// The tests' health check targets listen on loopback, which health
	// checks refuse by default.
	cfg.HealthCheckAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	cfg.Logger = testLogger()
	if teststore.Current() == "etcd" {
		// CLOUDMAP_TEST_STORE=etcd (or all): the server keeps its data in
		// the embedded etcd, under a prefix of its own.
		cfg.EtcdEndpoints, cfg.EtcdPrefix = teststore.Etcd(t)
		cfg.DataDir = ""
	}
	return cfg
}

// OnBolt is the MustStart option of a test pinned to the embedded store,
// for what only bbolt has (a data dir to read, its commit counter,
// /backup): the server keeps its data in t.TempDir() whatever store the
// run chooses. The test then does not take the chosen store, so it runs
// once (teststore.Once) when several are chosen.
func OnBolt(t testing.TB) func(*embed.Config) {
	t.Helper()
	teststore.Once(t)
	dir := t.TempDir()
	return func(c *embed.Config) {
		c.DataDir = dir
		c.EtcdEndpoints = nil
	}
}

func testLogger() *slog.Logger {
	if os.Getenv("CLOUDMAP_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// MustStart starts a server with TestConfig changed by mods and closes it at
// the end of the test.
func MustStart(t testing.TB, mods ...func(*embed.Config)) *Node {
	t.Helper()
	cfg := TestConfig(t)
	for _, m := range mods {
		m(&cfg)
	}
	return StartConfig(t, cfg)
}

// StartConfig starts a server with exactly cfg and closes it at the end of
// the test.
func StartConfig(t testing.TB, cfg embed.Config) *Node {
	t.Helper()
	srv, err := embed.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start cloudmap: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return &Node{Server: srv, Config: cfg, Client: NewClient(srv.APIURL(), "AKIDEXAMPLE", "secret")}
}

// Restart closes the node and starts a new one on the same data and
// addresses given by port 0 again.
func (n *Node) Restart(t testing.TB) *Node {
	t.Helper()
	if err := n.Server.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return StartConfig(t, n.Config)
}

// NewClient returns an aws-sdk-go-v2 Cloud Map client for the endpoint,
// signing with the given key, with the data- host prefix turned off.
func NewClient(endpoint, accessKey, secret string) *servicediscovery.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(accessKey, secret, ""),
	}
	return servicediscovery.NewFromConfig(cfg, func(o *servicediscovery.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.APIOptions = append(o.APIOptions, DisableHostPrefix)
	})
}

// DisableHostPrefix is the aws-sdk-go-v2 middleware that keeps the SDK from
// prefixing the endpoint host with "data-" for DiscoverInstances.
func DisableHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("DisableHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
			middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

// WaitOperation polls GetOperation until the operation is done and returns it.
func (n *Node) WaitOperation(t testing.TB, id string) *types.Operation {
	t.Helper()
	return WaitOperation(t, n.Client, id)
}

// WaitOperation polls GetOperation through c until the operation is done.
func WaitOperation(t testing.TB, c *servicediscovery.Client, id string) *types.Operation {
	t.Helper()
	var op *types.Operation
	testkit.Eventually(t, "operation "+id+" final", func() error {
		out, err := c.GetOperation(context.Background(), &servicediscovery.GetOperationInput{OperationId: &id})
		if err != nil {
			t.Fatalf("GetOperation %s: %v", id, err)
		}
		switch op = out.Operation; op.Status {
		case types.OperationStatusSuccess, types.OperationStatusFail:
			return nil
		}
		return fmt.Errorf("still %s", op.Status)
	})
	return op
}

// APIError is an error answer of the server as the SDK decoded it.
type APIError struct {
	Status  int    // HTTP status
	Code    string // the AWS error code (__type), e.g. InvalidInput
	Message string
}

// DecodeError is the one way the acceptance tests read an SDK error: it
// returns the HTTP status, AWS code and message of err, and fails the test
// when err is not an error answer of the server (a transport error, or
// nil).
func DecodeError(t testing.TB, err error) APIError {
	t.Helper()
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		t.Fatalf("got error %v (%T), want an AWS API error", err, err)
	}
	return APIError{Status: re.HTTPStatusCode(), Code: ae.ErrorCode(), Message: ae.ErrorMessage()}
}

// Ask sends the question of c to the node over proto ("udp" or "tcp") and
// checks the whole reply against c, with the header invariants of every
// reply (dnstest.Case.Check).
func (n *Node) Ask(t testing.TB, proto string, c dnstest.Case) {
	t.Helper()
	q := c.Query()
	r, _, err := (&dns.Client{Net: proto, Timeout: 5 * time.Second}).Exchange(q, n.DNSAddr())
	if err != nil {
		t.Fatalf("dns %s %s: %v", proto, c.Name(), err)
	}
	c.Check(t, q, r)
}

// Query sends one DNS question to the node over proto ("udp" or "tcp").
func (n *Node) Query(t testing.TB, proto, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Net: proto, Timeout: 5 * time.Second}
	r, _, err := c.Exchange(m, n.DNSAddr())
	if err != nil {
		t.Fatalf("dns %s %s %s: %v", proto, name, dns.TypeToString[qtype], err)
	}
	return r
}

// Package cloudmaptest starts a cloudmap server for Go tests: in-process,
// on free loopback ports, with its data in a temporary directory, stopped
// when the test ends. It replaces mocks of the Cloud Map API (moto,
// LocalStack) with the real thing, DNS and health checks included.
//
//	srv := cloudmaptest.New(t)
//	client := srv.Client()              // *servicediscovery.Client
//	addrs, err := srv.Resolver().LookupHost(ctx, "web.example.local")
package cloudmaptest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cloudmap/cloudmap/embed"
)

// Server is a cloudmap server started by New.
type Server struct {
	srv     *embed.Server
	cfg     embed.Config
	client  *servicediscovery.Client
	tempDir string // made by Start, removed by Close
}

// Option changes the configuration New starts the server with.
type Option func(*embed.Config)

// WithConfig lets the test change any setting of the server (the
// addresses and the data directory are already set to free loopback ports
// and a temporary directory).
func WithConfig(f func(*embed.Config)) Option { return Option(f) }

// WithLogger sends the server's log to l (New discards it by default).
func WithLogger(l *slog.Logger) Option { return func(c *embed.Config) { c.Logger = l } }

// WithHealthCheckInterval sets the probe interval of active health checks
// (30 s by default, as in Route 53).
func WithHealthCheckInterval(d time.Duration) Option {
	return func(c *embed.Config) { c.HealthCheckInterval = d }
}

// New starts a cloudmap server on 127.0.0.1 with free ports for the API
// and DNS and a data directory from t.TempDir, and stops it in t.Cleanup.
// It fails the test if the server cannot start.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	opts = append([]Option{func(c *embed.Config) { c.DataDir = t.TempDir() }}, opts...)
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("cloudmaptest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("cloudmaptest: stop cloudmap: %v", err)
		}
	})
	return s
}

// Start is New for a server shared by several tests (started in TestMain,
// say): its data directory is a new temporary directory that Close
// removes. The caller must call Close. Health checks may probe loopback
// addresses (where a test's targets listen), unlike a default server.
func Start(opts ...Option) (*Server, error) {
	cfg := embed.DefaultConfig()
	cfg.APIAddr, cfg.DNSAddr, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", ""
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	// A test's health check targets (httptest servers) listen on loopback,
	// which a server refuses to probe by default.
	cfg.HealthCheckAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{}
	if cfg.DataDir == "" && len(cfg.EtcdEndpoints) == 0 {
		dir, err := os.MkdirTemp("", "cloudmaptest-")
		if err != nil {
			return nil, err
		}
		cfg.DataDir, s.tempDir = dir, dir
	}
	srv, err := embed.Start(context.Background(), cfg)
	if err != nil {
		if s.tempDir != "" {
			os.RemoveAll(s.tempDir)
		}
		return nil, fmt.Errorf("start cloudmap: %w", err)
	}
	s.srv, s.cfg = srv, cfg
	s.client = s.NewClient("AKIDCLOUDMAPTEST", "cloudmaptest-secret")
	return s, nil
}

// Close stops the server and removes the data directory Start made.
func (s *Server) Close() error {
	err := s.srv.Close()
	if s.tempDir != "" {
		err = errors.Join(err, os.RemoveAll(s.tempDir))
	}
	return err
}

// Endpoint is the base URL of the API, for example http://127.0.0.1:40123:
// the endpoint URL of any AWS SDK or of the aws CLI (--endpoint-url).
func (s *Server) Endpoint() string { return s.srv.APIURL() }

// DNSAddr is the address (host:port) of the DNS server, UDP and TCP.
func (s *Server) DNSAddr() string { return s.srv.DNSAddr() }

// Embed returns the underlying server, for its store and settings.
func (s *Server) Embed() *embed.Server { return s.srv }

// Client returns an aws-sdk-go-v2 Cloud Map client for the server: region
// us-east-1, static test credentials, the endpoint set and the "data-" host
// prefix of DiscoverInstances turned off.
func (s *Server) Client() *servicediscovery.Client { return s.client }

// NewClient returns a client like Client's signing with the given key, for
// a server started with credentials (WithConfig setting CredentialsFile or
// AccessKeyID).
func (s *Server) NewClient(accessKeyID, secretAccessKey string, optFns ...func(*servicediscovery.Options)) *servicediscovery.Client {
	cfg := aws.Config{
		Region:      s.cfg.Region,
		Credentials: credentials.NewStaticCredentialsProvider(accessKeyID, secretAccessKey, ""),
	}
	opts := append([]func(*servicediscovery.Options){func(o *servicediscovery.Options) {
		o.BaseEndpoint = aws.String(s.Endpoint())
		o.APIOptions = append(o.APIOptions, DisableHostPrefix)
	}}, optFns...)
	return servicediscovery.NewFromConfig(cfg, opts...)
}

// Resolver returns a resolver that sends every DNS query to the server
// (Go's own resolver, so it works without cgo and ignores
// /etc/resolv.conf; /etc/hosts is still read first).
func (s *Server) Resolver() *net.Resolver {
	addr := s.DNSAddr()
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
}

// DisableHostPrefix is the aws-sdk-go-v2 API option that keeps the SDK from
// calling "data-<host>" for DiscoverInstances; add it to
// servicediscovery.Options.APIOptions of clients you build yourself.
func DisableHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("CloudmapDisableHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
			middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

// WaitOperation polls GetOperation until the operation is final and
// returns its status ("SUCCESS" or "FAIL") and, for a failure, its error
// message. It gives up when ctx ends.
func (s *Server) WaitOperation(ctx context.Context, operationID string) (status, message string, err error) {
	delay := time.Millisecond
	for {
		out, err := s.client.GetOperation(ctx, &servicediscovery.GetOperationInput{OperationId: &operationID})
		if err != nil {
			return "", "", err
		}
		switch st := string(out.Operation.Status); st {
		case "SUCCESS", "FAIL":
			return st, aws.ToString(out.Operation.ErrorMessage), nil
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", "", ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
}

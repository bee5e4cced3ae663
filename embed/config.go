package embed

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"
)

// Config is everything a cloudmap server needs. cmd/cloudmap fills it from
// flags and CLOUDMAP_* environment variables; tests fill it directly.
type Config struct {
	// APIAddr is the address of the Cloud Map API (HTTP or HTTPS).
	APIAddr string
	// DNSAddr is the address of the DNS server (UDP and TCP); "" disables DNS.
	DNSAddr string
	// DataDir holds the embedded store; unused with EtcdEndpoints.
	DataDir string
	// Region and AccountID appear in ARNs and SigV4 scopes.
	Region    string
	AccountID string
	// Logger receives every log line; nil means discard.
	Logger *slog.Logger

	// Etcd settings: a non-empty EtcdEndpoints switches the store to etcd.
	EtcdEndpoints []string
	EtcdPrefix    string
	EtcdCert      string
	EtcdKey       string
	EtcdCA        string
	EtcdUsername  string
	EtcdPassword  string
	// EtcdRequestTimeout bounds every etcd call, so that writes fail fast
	// with ServiceUnavailable when etcd is unreachable; 0 means 5 s.
	EtcdRequestTimeout time.Duration
	// EtcdMaxTxnOps is the etcd servers' --max-txn-ops; 0 means etcd's
	// default, 128. The operations worker sizes its batches by it.
	EtcdMaxTxnOps int
	// LeaderTTL is the lease TTL of the elected worker node (etcd only).
	LeaderTTL time.Duration

	// DNSPrivateCIDRs are the client networks that see private DNS
	// namespaces; nil means loopback and the private ranges.
	DNSPrivateCIDRs []netip.Prefix
	// DNSRateLimit is the DNS responses per second per client, 0 = off.
	DNSRateLimit int

	// HealthCheckInterval is the probe interval of active health checks.
	HealthCheckInterval time.Duration
	// HealthCheckConcurrency bounds the probes in flight.
	HealthCheckConcurrency int

	// CredentialsFile is an AWS shared-credentials file of accepted keys.
	CredentialsFile string
	// AccessKeyID and SecretAccessKey add one full-access key.
	AccessKeyID     string
	SecretAccessKey string
	// InsecureNoAuth allows unsigned requests on non-loopback addresses.
	InsecureNoAuth bool
	// TLSCert and TLSKey switch the API to HTTPS.
	TLSCert string
	TLSKey  string
	// RateLimit is API requests per second per key (or client), 0 = off.
	RateLimit float64
	// MaxConnections caps concurrent API connections, 0 = 4096.
	MaxConnections int

	// AdminAddr is the address of the admin listener (/metrics, /healthz,
	// /readyz, /backup, and /debug/pprof/ with Pprof); "" turns it off.
	AdminAddr string
	// AdminToken is the bearer token the admin listener requires (but on
	// /healthz and /readyz); a non-loopback AdminAddr needs one.
	AdminToken string
	// Pprof serves /debug/pprof/ on the admin listener.
	Pprof bool
	// AccessLog logs one line per API request.
	AccessLog bool
	// OperationRetention is how long finished operations and their
	// idempotency records are kept; 0 keeps them for ever.
	OperationRetention time.Duration
	// Version is reported by the cloudmap_build_info metric.
	Version string

	// Account quotas, 0 = unlimited.
	MaxNamespaces          int
	MaxServices            int
	MaxInstancesPerService int
}

// DefaultConfig returns the configuration of `cloudmap serve` without flags.
func DefaultConfig() Config {
	return Config{
		APIAddr:                "127.0.0.1:8080",
		DNSAddr:                "127.0.0.1:8053",
		DataDir:                "./cloudmap-data",
		Region:                 "us-east-1",
		AccountID:              "123456789012",
		EtcdPrefix:             "/cloudmap/",
		LeaderTTL:              10 * time.Second,
		HealthCheckInterval:    30 * time.Second,
		HealthCheckConcurrency: 256,
		MaxConnections:         4096,
		OperationRetention:     720 * time.Hour,
	}
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	switch {
	case c.APIAddr == "":
		return errors.New("config: api address is empty")
	case c.DataDir == "" && len(c.EtcdEndpoints) == 0:
		return errors.New("config: data dir is empty")
	case c.Region == "":
		return errors.New("config: region is empty")
	case len(c.AccountID) != 12 || !allDigits(c.AccountID):
		return fmt.Errorf("config: account id %q must be 12 digits", c.AccountID)
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return errors.New("config: --tls-cert and --tls-key go together")
	case (c.AccessKeyID == "") != (c.SecretAccessKey == ""):
		return errors.New("config: access key id and secret access key go together")
	case c.HealthCheckInterval <= 0:
		return errors.New("config: health check interval must be positive")
	case c.HealthCheckConcurrency <= 0:
		return errors.New("config: health check concurrency must be positive")
	case c.RateLimit < 0 || c.DNSRateLimit < 0:
		return errors.New("config: rate limits must not be negative")
	case c.OperationRetention < 0:
		return errors.New("config: operation retention must not be negative (0 keeps operations for ever)")
	case c.EtcdRequestTimeout < 0 || c.EtcdMaxTxnOps < 0 || c.LeaderTTL < 0:
		return errors.New("config: etcd request timeout, max txn ops and leader ttl must not be negative")
	}
	return nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

package embed

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/dnsserver"
	"github.com/cloudmap/cloudmap/registry"
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
	// Region and AccountID are the default cell: the region of requests
	// without a SigV4 credential scope and the account of keys without an
	// account_id (and of unsigned requests). The default cell keeps the key
	// layout of a single-cell server.
	Region    string
	AccountID string
	// Regions are the regions a request's credential scope may name
	// (--regions); nil means any well-formed region ("*").
	Regions []string
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
	// VPCs declare the client networks of VPCs (--vpc ID=CIDR,...): a
	// private DNS namespace created for a declared VPC answers only them.
	VPCs map[string][]netip.Prefix
	// DNSRateLimit is the UDP DNS responses per second per client network
	// (IPv4 /24, IPv6 /56). 0 means dnsserver.DefaultRateLimit when DNSAddr
	// is not a loopback address and off on loopback; negative turns it off.
	DNSRateLimit int
	// DNSNameServers are the hosts that serve the zones (--dns-nameservers,
	// see ParseNameServers): the apex NS and SOA of every zone and the name
	// servers GetHostedZone reports. Empty: the synthetic
	// ns-1.cloudmap.invalid.
	DNSNameServers []dnsserver.NameServer

	// HealthCheckInterval is the probe interval of active health checks.
	HealthCheckInterval time.Duration
	// HealthCheckConcurrency bounds the probes in flight.
	HealthCheckConcurrency int
	// HealthCheckAllow and HealthCheckDeny widen and narrow the addresses
	// health checks may probe; by default loopback, link-local, multicast,
	// unspecified and the server's own addresses are never probed
	// (health.DefaultBlocked).
	HealthCheckAllow []netip.Prefix
	HealthCheckDeny  []netip.Prefix
	// HealthChecksPrivate lets HealthCheckConfig be used in private DNS
	// namespaces (AWS refuses it there); the probes follow the same
	// probe-target policy as those of public namespaces.
	HealthChecksPrivate bool

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
	// MaxConnections caps concurrent API connections, 0 = 4096; near the
	// cap idle connections are closed first, and past it new ones are
	// answered 503.
	MaxConnections int
	// MaxConnectionsPerClient caps the API connections of one client
	// address (IPv4 address, IPv6 /64), 0 = 512.
	MaxConnectionsPerClient int

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
	// OperationDelay keeps new operations SUBMITTED, then PENDING, that
	// long before they finish, and requests reply at once; 0 (the default)
	// finishes every operation before its request replies.
	OperationDelay time.Duration

	// Account quotas, 0 = unlimited.
	MaxNamespaces          int
	MaxServices            int
	MaxInstancesPerService int
}

// DefaultConfig returns the configuration of `cloudmap serve` without flags.
func DefaultConfig() Config {
	return Config{
		APIAddr:                 "127.0.0.1:8080",
		DNSAddr:                 "127.0.0.1:8053",
		DataDir:                 "./cloudmap-data",
		Region:                  "us-east-1",
		AccountID:               "123456789012",
		EtcdPrefix:              "/cloudmap/",
		LeaderTTL:               10 * time.Second,
		HealthCheckInterval:     30 * time.Second,
		HealthCheckConcurrency:  256,
		MaxConnections:          4096,
		MaxConnectionsPerClient: 512,
		OperationRetention:      registry.DefaultOperationRetention,
	}
}

// AddFlags defines the `cloudmap serve` flag of every setting on fs, each
// setting the field it names with the field's current value as default
// (etcd's AddFlags). A new Config field gets its flag here, beside the
// others; cmd/cloudmap adds the environment variables and README_test
// checks that the README lists it. Logger is not a flag: cmd/cloudmap
// builds it from --log-level.
func (c *Config) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.APIAddr, "api-addr", c.APIAddr, "address of the Cloud Map API")
	fs.StringVar(&c.DNSAddr, "dns-addr", c.DNSAddr, "address of the DNS server (UDP and TCP); empty disables DNS")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory of the embedded store")
	fs.StringVar(&c.Region, "region", c.Region, "region of requests without a SigV4 credential scope (with --account-id, the default cell)")
	fs.StringVar(&c.AccountID, "account-id", c.AccountID, "12-digit account of keys without account_id and of unsigned requests")
	fs.Func("regions", "regions served, from requests' SigV4 credential scopes (`region,...`, or * for any well-formed region; default *)", func(s string) error {
		regions, err := ParseRegions(s)
		if err != nil {
			return err
		}
		c.Regions = regions
		return nil
	})

	fs.Func("etcd-endpoints", "comma-separated etcd endpoints (`host:port,...`); switches the store to etcd", func(s string) error {
		c.EtcdEndpoints = splitList(s)
		return nil
	})
	fs.StringVar(&c.EtcdPrefix, "etcd-prefix", c.EtcdPrefix, "key prefix in etcd")
	fs.StringVar(&c.EtcdCert, "etcd-cert", c.EtcdCert, "client certificate for etcd")
	fs.StringVar(&c.EtcdKey, "etcd-key", c.EtcdKey, "client key for etcd")
	fs.StringVar(&c.EtcdCA, "etcd-ca", c.EtcdCA, "CA bundle for etcd")
	fs.StringVar(&c.EtcdUsername, "etcd-username", c.EtcdUsername, "etcd user")
	fs.StringVar(&c.EtcdPassword, "etcd-password", c.EtcdPassword, "etcd password")
	fs.DurationVar(&c.EtcdRequestTimeout, "etcd-request-timeout", c.EtcdRequestTimeout, "bound on every etcd call; writes fail fast with ServiceUnavailable past it (0 = 5s)")
	fs.IntVar(&c.EtcdMaxTxnOps, "etcd-max-txn-ops", c.EtcdMaxTxnOps, "the etcd cluster's --max-txn-ops (0 = etcd's default 128)")
	fs.DurationVar(&c.LeaderTTL, "leader-ttl", c.LeaderTTL, "lease TTL of the elected worker node (etcd)")

	fs.Func("dns-private-cidrs", "comma-separated client networks (`cidr,...`) that see private DNS namespaces (default loopback and private ranges)",
		cidrsFlag(&c.DNSPrivateCIDRs))
	fs.Func("vpc", "client networks of a VPC (`ID=CIDR[,CIDR...]`; repeatable, or ;-separated): its private DNS namespaces answer only them", func(s string) error {
		vpcs, err := ParseVPCs(s)
		if err != nil {
			return err
		}
		if c.VPCs == nil {
			c.VPCs = map[string][]netip.Prefix{}
		}
		for id, nets := range vpcs {
			c.VPCs[id] = append(c.VPCs[id], nets...)
		}
		return nil
	})
	fs.IntVar(&c.DNSRateLimit, "dns-rate-limit", c.DNSRateLimit, "UDP DNS responses per second per client /24 (IPv6 /56); 0 = 100 when DNS listens beyond loopback, off on loopback; -1 = off")
	fs.Func("dns-nameservers", "the hosts serving the zones (`NAME=IP,...`, IPv4 or IPv6), for their NS and SOA records and Route 53's DelegationSet (default the synthetic ns-1.cloudmap.invalid)", func(s string) error {
		ns, err := ParseNameServers(s)
		if err != nil {
			return err
		}
		c.DNSNameServers = ns
		return nil
	})

	fs.DurationVar(&c.HealthCheckInterval, "health-check-interval", c.HealthCheckInterval, "interval of active health checks")
	fs.IntVar(&c.HealthCheckConcurrency, "health-check-concurrency", c.HealthCheckConcurrency, "maximum health probes in flight")
	fs.Func("health-check-allow", "comma-separated CIDRs (`cidr,...`) health checks may probe although refused by default (loopback, link-local, multicast, unspecified, own addresses)",
		cidrsFlag(&c.HealthCheckAllow))
	fs.Func("health-check-deny", "comma-separated CIDRs (`cidr,...`) health checks never probe (the most specific prefix decides; deny wins ties)",
		cidrsFlag(&c.HealthCheckDeny))
	fs.BoolVar(&c.HealthChecksPrivate, "health-checks-private", c.HealthChecksPrivate, "accept HealthCheckConfig in private DNS namespaces (AWS refuses it)")

	fs.StringVar(&c.CredentialsFile, "credentials-file", c.CredentialsFile, "AWS shared-credentials file of accepted keys (re-read on SIGHUP)")
	fs.BoolVar(&c.InsecureNoAuth, "insecure-no-auth", c.InsecureNoAuth, "accept unsigned requests on non-loopback addresses")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "TLS certificate for the API (re-read on SIGHUP)")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "TLS key for the API")
	fs.Float64Var(&c.RateLimit, "rate-limit", c.RateLimit, "API requests per second per key, 0 = off")
	fs.IntVar(&c.MaxConnections, "max-connections", c.MaxConnections, "maximum concurrent API connections (near it idle ones are closed first, past it new ones get 503)")
	fs.IntVar(&c.MaxConnectionsPerClient, "max-connections-per-client", c.MaxConnectionsPerClient, "maximum concurrent API connections of one client address (IPv6: /64); past it 503")

	fs.DurationVar(&c.OperationDelay, "operation-delay", c.OperationDelay, "keep new operations SUBMITTED/PENDING this long and reply at once (0 = every operation is final when its call returns)")

	fs.IntVar(&c.MaxNamespaces, "max-namespaces", c.MaxNamespaces, "namespace quota, 0 = unlimited")
	fs.IntVar(&c.MaxServices, "max-services", c.MaxServices, "service quota, 0 = unlimited")
	fs.IntVar(&c.MaxInstancesPerService, "max-instances-per-service", c.MaxInstancesPerService, "instances per service quota, 0 = unlimited")

	fs.StringVar(&c.AdminAddr, "admin-addr", c.AdminAddr, "address of the admin listener (/metrics, /healthz, /readyz, /backup); empty = off")
	fs.StringVar(&c.AdminToken, "admin-token", c.AdminToken, "bearer token of the admin listener (required on a non-loopback --admin-addr)")
	fs.BoolVar(&c.Pprof, "pprof", c.Pprof, "serve /debug/pprof/ on the admin listener")
	fs.BoolVar(&c.AccessLog, "access-log", c.AccessLog, "log one line per API request (request id, operation, key id, status, error code, latency)")
	fs.DurationVar(&c.OperationRetention, "operation-retention", c.OperationRetention, "how long finished operations and idempotency records are kept; 0 = for ever")
}

// cidrsFlag parses a comma-separated list of CIDR prefixes into *dst.
func cidrsFlag(dst *[]netip.Prefix) func(string) error {
	return func(s string) error {
		var prefixes []netip.Prefix
		for _, p := range splitList(s) {
			prefix, err := netip.ParsePrefix(p)
			if err != nil {
				return fmt.Errorf("%q is not a CIDR prefix", p)
			}
			prefixes = append(prefixes, prefix)
		}
		*dst = prefixes
		return nil
	}
}

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
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
	case len(c.Regions) > 0 && !slices.Contains(c.Regions, c.Region):
		return fmt.Errorf("config: --region %s is not among --regions %s", c.Region, strings.Join(c.Regions, ","))
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
	case c.MaxConnections < 0 || c.MaxConnectionsPerClient < 0:
		return errors.New("config: connection limits must not be negative")
	case c.RateLimit < 0:
		return errors.New("config: --rate-limit: rate limits must not be negative")
	case c.OperationRetention < 0:
		return errors.New("config: operation retention must not be negative (0 keeps operations for ever)")
	case c.OperationDelay < 0:
		return errors.New("config: operation delay must not be negative")
	case c.EtcdRequestTimeout < 0 || c.EtcdMaxTxnOps < 0 || c.LeaderTTL < 0:
		return errors.New("config: etcd request timeout, max txn ops and leader ttl must not be negative")
	}
	if err := dnsserver.CheckNameServers(c.DNSNameServers); err != nil {
		return fmt.Errorf("config: --dns-nameservers: %w", err)
	}
	return nil
}

// ParseRegions parses the --regions list: "*" (or "") for any well-formed
// region, else comma-separated region names; errors name the entry.
func ParseRegions(s string) ([]string, error) {
	if strings.TrimSpace(s) == "*" || strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	for _, r := range splitList(s) {
		if !cloudmap.ValidRegion(r) {
			return nil, fmt.Errorf("%q is not a region name (like eu-west-1)", r)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// ParseVPCs parses --vpc values: ID=CIDR[,CIDR...], several separated by
// ";" (CLOUDMAP_VPC); errors name the entry.
func ParseVPCs(s string) (map[string][]netip.Prefix, error) {
	out := map[string][]netip.Prefix{}
	for _, entry := range strings.Split(s, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, cidrs, ok := strings.Cut(entry, "=")
		id = strings.TrimSpace(id)
		if !ok || id == "" || strings.ContainsAny(id, " ,") {
			return nil, fmt.Errorf("%q is not ID=CIDR[,CIDR...]", entry)
		}
		nets := splitList(cidrs)
		if len(nets) == 0 {
			return nil, fmt.Errorf("%q lists no CIDR", entry)
		}
		for _, n := range nets {
			p, err := netip.ParsePrefix(n)
			if err != nil {
				return nil, fmt.Errorf("%q: %q is not a CIDR prefix", entry, n)
			}
			out[id] = append(out[id], p.Masked())
		}
	}
	return out, nil
}

// ParseNameServers parses the --dns-nameservers list NAME=IP[,NAME=IP...]
// (IPv4 or IPv6; a host with both is listed twice); errors name the entry.
func ParseNameServers(s string) ([]dnsserver.NameServer, error) {
	return dnsserver.ParseNameServers(s)
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

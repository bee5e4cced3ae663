package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"

	"github.com/cloudmap/cloudmap/embed"
)

var errHelp = errors.New("help requested")

// parseServeFlags fills an embed.Config from the flags, then from the
// CLOUDMAP_<FLAG> environment variables for flags not given (flag wins).
func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (embed.Config, error) {
	cfg := embed.DefaultConfig()
	fs := flag.NewFlagSet("cloudmap serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		logLevel, logFormat, etcdEndpoints, privateCIDRs string
	)
	fs.StringVar(&cfg.APIAddr, "api-addr", cfg.APIAddr, "address of the Cloud Map API")
	fs.StringVar(&cfg.DNSAddr, "dns-addr", cfg.DNSAddr, "address of the DNS server (UDP and TCP); empty disables DNS")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory of the embedded store")
	fs.StringVar(&cfg.Region, "region", cfg.Region, "region in ARNs and SigV4 scopes")
	fs.StringVar(&cfg.AccountID, "account-id", cfg.AccountID, "12-digit account id in ARNs")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&etcdEndpoints, "etcd-endpoints", "", "comma-separated etcd endpoints (host:port); switches the store to etcd")
	fs.StringVar(&cfg.EtcdPrefix, "etcd-prefix", cfg.EtcdPrefix, "key prefix in etcd")
	fs.StringVar(&cfg.EtcdCert, "etcd-cert", "", "client certificate for etcd")
	fs.StringVar(&cfg.EtcdKey, "etcd-key", "", "client key for etcd")
	fs.StringVar(&cfg.EtcdCA, "etcd-ca", "", "CA bundle for etcd")
	fs.StringVar(&cfg.EtcdUsername, "etcd-username", "", "etcd user")
	fs.StringVar(&cfg.EtcdPassword, "etcd-password", "", "etcd password")
	fs.DurationVar(&cfg.EtcdRequestTimeout, "etcd-request-timeout", cfg.EtcdRequestTimeout, "bound on every etcd call; writes fail fast with ServiceUnavailable past it (0 = 5s)")
	fs.IntVar(&cfg.EtcdMaxTxnOps, "etcd-max-txn-ops", cfg.EtcdMaxTxnOps, "the etcd cluster's --max-txn-ops (0 = etcd's default 128)")
	fs.DurationVar(&cfg.LeaderTTL, "leader-ttl", cfg.LeaderTTL, "lease TTL of the elected worker node (etcd)")
	fs.StringVar(&privateCIDRs, "dns-private-cidrs", "", "comma-separated client networks that see private DNS namespaces (default loopback and private ranges)")
	fs.IntVar(&cfg.DNSRateLimit, "dns-rate-limit", 0, "DNS responses per second per client, 0 = off")
	fs.DurationVar(&cfg.HealthCheckInterval, "health-check-interval", cfg.HealthCheckInterval, "interval of active health checks")
	fs.IntVar(&cfg.HealthCheckConcurrency, "health-check-concurrency", cfg.HealthCheckConcurrency, "maximum health probes in flight")
	fs.StringVar(&cfg.CredentialsFile, "credentials-file", "", "AWS shared-credentials file of accepted keys (re-read on SIGHUP)")
	fs.BoolVar(&cfg.InsecureNoAuth, "insecure-no-auth", false, "accept unsigned requests on non-loopback addresses")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "TLS certificate for the API (re-read on SIGHUP)")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "TLS key for the API")
	fs.Float64Var(&cfg.RateLimit, "rate-limit", 0, "API requests per second per key, 0 = off")
	fs.IntVar(&cfg.MaxConnections, "max-connections", cfg.MaxConnections, "maximum concurrent API connections")
	fs.IntVar(&cfg.MaxNamespaces, "max-namespaces", 0, "namespace quota, 0 = unlimited")
	fs.IntVar(&cfg.MaxServices, "max-services", 0, "service quota, 0 = unlimited")
	fs.IntVar(&cfg.MaxInstancesPerService, "max-instances-per-service", 0, "instances per service quota, 0 = unlimited")
	fs.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&cfg.AdminAddr, "admin-addr", "", "address of the admin listener (/metrics, /healthz, /readyz, /backup); empty = off")
	fs.StringVar(&cfg.AdminToken, "admin-token", "", "bearer token of the admin listener (required on a non-loopback --admin-addr)")
	fs.BoolVar(&cfg.Pprof, "pprof", false, "serve /debug/pprof/ on the admin listener")
	fs.BoolVar(&cfg.AccessLog, "access-log", false, "log one line per API request (request id, operation, key id, status, error code, latency)")
	fs.DurationVar(&cfg.OperationRetention, "operation-retention", cfg.OperationRetention, "how long finished operations and idempotency records are kept; 0 = for ever")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, errHelp
		}
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := applyEnv(fs, getenv); err != nil {
		return cfg, err
	}
	cfg.AccessKeyID = getenv("CLOUDMAP_ACCESS_KEY_ID")
	cfg.SecretAccessKey = getenv("CLOUDMAP_SECRET_ACCESS_KEY")
	cfg.EtcdEndpoints = splitList(etcdEndpoints)
	for _, c := range splitList(privateCIDRs) {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return cfg, fmt.Errorf("--dns-private-cidrs: %q is not a CIDR prefix", c)
		}
		cfg.DNSPrivateCIDRs = append(cfg.DNSPrivateCIDRs, p)
	}
	level, err := parseLevel(logLevel)
	if err != nil {
		return cfg, err
	}
	cfg.Logger, err = newLogger(stderr, logFormat, level)
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// applyEnv sets every flag not given on the command line from its
// CLOUDMAP_<FLAG_IN_UPPER_SNAKE> environment variable.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		name := EnvName(f.Name)
		if v := getenv(name); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %v", name, v, e)
			}
		}
	})
	return err
}

// EnvName is the environment variable of a flag: api-addr -> CLOUDMAP_API_ADDR.
func EnvName(flagName string) string {
	return "CLOUDMAP_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// newLogger returns the logger of format "text" or "json".
func newLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", format)
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", s)
	}
	return l, nil
}

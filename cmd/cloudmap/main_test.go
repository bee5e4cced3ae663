package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap/embed"
	"github.com/cloudmap/cloudmap/internal/testkit"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseServeFlags_EnvAndFlags(t *testing.T) {
	cfg, err := parseServeFlags([]string{"--api-addr", "127.0.0.1:9999"}, env(map[string]string{
		"CLOUDMAP_API_ADDR":              "127.0.0.1:1111", // the flag wins
		"CLOUDMAP_DNS_ADDR":              "127.0.0.1:2222",
		"CLOUDMAP_DATA_DIR":              "/tmp/x",
		"CLOUDMAP_REGION":                "eu-west-1",
		"CLOUDMAP_ACCOUNT_ID":            "210987654321",
		"CLOUDMAP_HEALTH_CHECK_INTERVAL": "2s",
		"CLOUDMAP_ETCD_ENDPOINTS":        "127.0.0.1:2379, 127.0.0.1:2479",
		"CLOUDMAP_DNS_PRIVATE_CIDRS":     "10.0.0.0/8",
		"CLOUDMAP_ACCESS_KEY_ID":         "AK",
		"CLOUDMAP_SECRET_ACCESS_KEY":     "SK",
		"CLOUDMAP_REGIONS":               "eu-west-1, us-east-1",
		"CLOUDMAP_VPC":                   "vpc-a=10.1.0.0/16,10.2.0.0/16; vpc-b=127.0.0.3/32",
	}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"api", cfg.APIAddr, "127.0.0.1:9999"},
		{"dns", cfg.DNSAddr, "127.0.0.1:2222"},
		{"data", cfg.DataDir, "/tmp/x"},
		{"region", cfg.Region, "eu-west-1"},
		{"account", cfg.AccountID, "210987654321"},
		{"interval", cfg.HealthCheckInterval.String(), "2s"},
		{"etcd", strings.Join(cfg.EtcdEndpoints, "|"), "127.0.0.1:2379|127.0.0.1:2479"},
		{"cidrs", cfg.DNSPrivateCIDRs[0].String(), "10.0.0.0/8"},
		{"key", cfg.AccessKeyID + "/" + cfg.SecretAccessKey, "AK/SK"},
		{"regions", strings.Join(cfg.Regions, "|"), "eu-west-1|us-east-1"},
		{"vpc-a", fmt.Sprint(cfg.VPCs["vpc-a"]), "[10.1.0.0/16 10.2.0.0/16]"},
		{"vpc-b", fmt.Sprint(cfg.VPCs["vpc-b"]), "[127.0.0.3/32]"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestParseServeFlags_Defaults(t *testing.T) {
	cfg, err := parseServeFlags(nil, env(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.APIAddr != "127.0.0.1:8080" || cfg.DNSAddr != "127.0.0.1:8053" || cfg.DataDir != "./cloudmap-data" ||
		cfg.Region != "us-east-1" || cfg.AccountID != "123456789012" {
		t.Errorf("defaults = %+v", cfg)
	}
}

func TestParseServeFlags_OperatingFlags(t *testing.T) {
	var logs bytes.Buffer
	cfg, err := parseServeFlags([]string{"--log-format", "json", "--admin-addr", "127.0.0.1:9090", "--pprof", "--access-log"},
		env(map[string]string{"CLOUDMAP_ADMIN_TOKEN": "tok", "CLOUDMAP_OPERATION_RETENTION": "24h"}), &logs)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AdminAddr != "127.0.0.1:9090" || cfg.AdminToken != "tok" || !cfg.Pprof || !cfg.AccessLog || cfg.OperationRetention != 24*time.Hour {
		t.Errorf("config %+v", cfg)
	}
	cfg.Logger.Info("hello")
	if !strings.HasPrefix(logs.String(), `{"time":`) {
		t.Errorf("--log-format json wrote %q", logs.String())
	}
	def, err := parseServeFlags(nil, env(nil), &logs)
	if err != nil {
		t.Fatal(err)
	}
	if def.AdminAddr != "" || def.OperationRetention != 720*time.Hour {
		t.Errorf("defaults: admin %q, retention %v; want off and 720h", def.AdminAddr, def.OperationRetention)
	}
}

func TestParseServeFlags_Errors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string // the flag or setting and the rule, in the error
	}{
		{"account id not 12 digits", []string{"--account-id", "12"}, nil, `account id "12" must be 12 digits`},
		{"unknown log level", []string{"--log-level", "loud"}, nil, `--log-level: "loud" is not one of debug`},
		{"private cidr not a prefix", []string{"--dns-private-cidrs", "10.0.0.0/8,nope"}, nil, `-dns-private-cidrs: "nope" is not a CIDR prefix`},
		{"unknown flag", []string{"--no-such-flag"}, nil, "flag provided but not defined: -no-such-flag"},
		{"extra argument", []string{"extra"}, nil, `unexpected argument "extra"`},
		{"tls cert without key", []string{"--tls-cert", "c.pem"}, nil, "--tls-cert and --tls-key go together"},
		{"negative rate limit", []string{"--rate-limit", "-1"}, nil, "rate limits must not be negative"},
		{"bad duration in env", nil, map[string]string{"CLOUDMAP_HEALTH_CHECK_INTERVAL": "soon"}, `CLOUDMAP_HEALTH_CHECK_INTERVAL="soon"`},
		{"bad cidr in env", nil, map[string]string{"CLOUDMAP_DNS_PRIVATE_CIDRS": "nope"}, `CLOUDMAP_DNS_PRIVATE_CIDRS="nope": "nope" is not a CIDR prefix`},
		{"key id without secret in env", nil, map[string]string{"CLOUDMAP_ACCESS_KEY_ID": "AK"}, "access key id and secret access key go together"},
		{"region list entry not a region", []string{"--regions", "eu-west-1,mars"}, nil, `-regions: "mars" is not a region name`},
		{"default region not served", []string{"--regions", "eu-west-1"}, nil, "--region us-east-1 is not among --regions eu-west-1"},
		{"vpc without =", []string{"--vpc", "vpc-a"}, nil, `-vpc: "vpc-a" is not ID=CIDR`},
		{"vpc without cidr", []string{"--vpc", "vpc-a="}, nil, `-vpc: "vpc-a=" lists no CIDR`},
		{"vpc cidr not a prefix", nil, map[string]string{"CLOUDMAP_VPC": "vpc-a=10.0.0.0/8;vpc-b=nope"}, `CLOUDMAP_VPC="vpc-a=10.0.0.0/8;vpc-b=nope": "vpc-b=nope": "nope" is not a CIDR prefix`},
		{"unknown log format", []string{"--log-format", "xml"}, nil, `--log-format: "xml" is not text or json`},
		{"negative retention", []string{"--operation-retention", "-1h"}, nil, "operation retention must not be negative"},
		{"bad retention in env", nil, map[string]string{"CLOUDMAP_OPERATION_RETENTION": "a while"}, `CLOUDMAP_OPERATION_RETENTION="a while"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseServeFlags(c.args, env(c.env), &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestParseServeFlags_Help(t *testing.T) {
	var out bytes.Buffer
	if _, err := parseServeFlags([]string{"-h"}, env(nil), &out); err != errHelp {
		t.Fatalf("err = %v, want errHelp", err)
	}
	if code := run([]string{"serve", "-h"}, env(nil), &out, &out, nil); code != 0 {
		t.Errorf("serve -h: code %d, want 0", code)
	}
	if !strings.Contains(out.String(), "-etcd-max-txn-ops") {
		t.Errorf("usage does not list the flags: %s", out.String())
	}
}

func TestRun_Version(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"version"}, env(nil), &out, &out, nil); code != 0 || !strings.HasPrefix(out.String(), "cloudmap ") {
		t.Errorf("version: code %d, output %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"bogus"}, env(nil), &out, &out, nil); code != 2 || !strings.Contains(out.String(), `unknown command "bogus"`) {
		t.Errorf("unknown command: code %d, output %q; want 2 and the command named", code, out.String())
	}
	out.Reset()
	if code := run(nil, env(nil), &out, &out, nil); code != 2 || !strings.Contains(out.String(), "usage: cloudmap serve") {
		t.Errorf("no command: code %d, output %q; want 2 and the usage", code, out.String())
	}
	out.Reset()
	if code := run([]string{"serve", "--account-id", "1"}, env(nil), &out, &out, nil); code != 2 || !strings.Contains(out.String(), "cloudmap: config: account id") {
		t.Errorf("bad flag: code %d, output %q; want 2 and the setting named", code, out.String())
	}
}

func TestRun_ServeAndStop(t *testing.T) {
	logs := &lockedBuffer{}
	sigs := make(chan os.Signal, 1)
	done := make(chan int)
	dir := t.TempDir()
	go func() {
		done <- run([]string{"serve", "--api-addr", "127.0.0.1:0", "--dns-addr", "127.0.0.1:0", "--data-dir", dir},
			env(nil), logs, logs, sigs)
	}()
	testkit.EventuallyTrue(t, "the ready line logged", func() bool { return strings.Contains(logs.String(), "cloudmap ready") })
	url := field(logs.String(), "api=")
	resp, err := http.Post(url, "application/x-amz-json-1.1", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sigs <- syscall.SIGTERM
	if code := <-done; code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0; logs: %s", code, logs.String())
	}
}

func TestRun_AddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	logs := &lockedBuffer{}
	code := run([]string{"serve", "--api-addr", ln.Addr().String(), "--dns-addr", "127.0.0.1:0", "--data-dir", t.TempDir()},
		env(nil), logs, logs, make(chan os.Signal))
	if code != 1 || !strings.Contains(logs.String(), "address already in use") {
		t.Errorf("code %d, logs %s; want 1 and a clear error", code, logs.String())
	}
}

func TestRun_UnwritableDataDir(t *testing.T) {
	// A path below a regular file cannot be created, even by root.
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	code := run([]string{"serve", "--api-addr", "127.0.0.1:0", "--dns-addr", "127.0.0.1:0", "--data-dir", filepath.Join(f, "data")},
		env(nil), logs, logs, make(chan os.Signal))
	if code != 1 || !strings.Contains(logs.String(), "data dir") {
		t.Errorf("code %d, logs %s; want 1 and a data dir error", code, logs.String())
	}
}

func TestRun_RefusesNonLoopbackWithoutCredentials(t *testing.T) {
	logs := &lockedBuffer{}
	code := run([]string{"serve", "--api-addr", "0.0.0.0:0", "--dns-addr", "", "--data-dir", t.TempDir()},
		env(nil), logs, logs, make(chan os.Signal))
	if code != 1 || !strings.Contains(logs.String(), "--insecure-no-auth") {
		t.Errorf("code %d, logs %s; want 1 and a refusal naming --insecure-no-auth", code, logs.String())
	}
}

// field returns the value after key up to the next space in s.
func field(s, key string) string {
	i := strings.Index(s, key)
	if i < 0 {
		return ""
	}
	v := s[i+len(key):]
	if j := strings.IndexAny(v, " \n"); j >= 0 {
		v = v[:j]
	}
	return strings.Trim(v, `"`)
}

// TestRun_StoreOpenFailures: a store that cannot be opened (a data dir
// locked by another server, a corrupt cloudmap.db, an etcd that does not
// answer) ends the start-up with one error line naming the cause and exit
// status 1, never a panic.
func TestRun_StoreOpenFailures(t *testing.T) {
	locked := t.TempDir()
	first, err := embed.Start(context.Background(), func() embed.Config {
		cfg := embed.DefaultConfig()
		cfg.APIAddr, cfg.DNSAddr, cfg.DataDir = "127.0.0.1:0", "", locked
		return cfg
	}())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	corrupt := t.TempDir()
	if err := os.WriteFile(filepath.Join(corrupt, "cloudmap.db"), bytes.Repeat([]byte("not a bolt file "), 1024), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"locked", []string{"--data-dir", locked}, "locked by another process"},
		{"corrupt", []string{"--data-dir", corrupt}, "cloudmap.db"},
		{"etcd down", []string{"--etcd-endpoints", "127.0.0.1:1", "--etcd-request-timeout", "300ms"}, "etcd"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			logs := &lockedBuffer{}
			args := append([]string{"serve", "--api-addr", "127.0.0.1:0", "--dns-addr", ""}, c.args...)
			code := run(args, env(nil), logs, logs, make(chan os.Signal))
			out := logs.String()
			if code != 1 || strings.Contains(out, "panic") || strings.Count(out, "level=ERROR") != 1 ||
				!strings.Contains(out, "cannot start") || !strings.Contains(out, c.want) {
				t.Errorf("code %d, logs:\n%s\nwant exit 1 and one error line naming %q", code, out, c.want)
			}
		})
	}
}

// TestRun_UnreadableCredentials: the start-up refuses a credentials file it
// cannot read or parse, naming it, rather than serving without its keys.
func TestRun_UnreadableCredentials(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken")
	if err := os.WriteFile(broken, []byte("[admin]\naws_access_key_id = AK\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"a directory": dir, "missing": filepath.Join(dir, "nope"), "broken": broken} {
		logs := &lockedBuffer{}
		code := run([]string{"serve", "--api-addr", "127.0.0.1:0", "--dns-addr", "", "--data-dir", t.TempDir(),
			"--credentials-file", path}, env(nil), logs, logs, make(chan os.Signal))
		if code != 1 || !strings.Contains(logs.String(), "credentials") || !strings.Contains(logs.String(), path) {
			t.Errorf("%s: code %d, logs %s; want 1 and an error naming the file", name, code, logs.String())
		}
	}
}

// TestParseServeFlags_Limits: the limit flags of the hostile-input review
// reach the configuration, with their defaults, from flags and from the
// environment; a bad CIDR names its flag.
func TestParseServeFlags_Limits(t *testing.T) {
	cfg, err := parseServeFlags(nil, env(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxConnections != 4096 || cfg.MaxConnectionsPerClient != 512 || cfg.DNSRateLimit != 0 ||
		cfg.HealthCheckAllow != nil || cfg.HealthCheckDeny != nil {
		t.Errorf("defaults: %d %d %d %v %v", cfg.MaxConnections, cfg.MaxConnectionsPerClient, cfg.DNSRateLimit,
			cfg.HealthCheckAllow, cfg.HealthCheckDeny)
	}
	cfg, err = parseServeFlags([]string{"--health-check-allow", "127.0.0.0/8, 10.9.9.9/32", "--dns-rate-limit", "-1"},
		env(map[string]string{"CLOUDMAP_HEALTH_CHECK_DENY": "10.1.0.0/16", "CLOUDMAP_MAX_CONNECTIONS_PER_CLIENT": "64"}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(cfg.HealthCheckAllow) != "[127.0.0.0/8 10.9.9.9/32]" || fmt.Sprint(cfg.HealthCheckDeny) != "[10.1.0.0/16]" ||
		cfg.MaxConnectionsPerClient != 64 || cfg.DNSRateLimit != -1 {
		t.Errorf("got allow %v deny %v per-client %d dns rate %d", cfg.HealthCheckAllow, cfg.HealthCheckDeny,
			cfg.MaxConnectionsPerClient, cfg.DNSRateLimit)
	}
	for _, flag := range []string{"--health-check-allow", "--health-check-deny"} {
		_, err := parseServeFlags([]string{flag, "10.0.0.0/8,nope"}, env(nil), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), strings.TrimLeft(flag, "-")) || !strings.Contains(err.Error(), `"nope"`) {
			t.Errorf("%s nope: %v, want an error naming the flag and the value", flag, err)
		}
	}
	if _, err := parseServeFlags([]string{"--max-connections-per-client", "-1"}, env(nil), &bytes.Buffer{}); err == nil ||
		!strings.Contains(err.Error(), "connection limits") {
		t.Errorf("negative per-client limit: %v", err)
	}
}

package acceptance_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/embed"
	"github.com/cloudmap/cloudmap/etcd/etcdtest"
	"github.com/cloudmap/cloudmap/storetest/teststore"
)

// adminGet sends GET path to the node's admin listener with the bearer
// token (none when empty) and returns the status and body.
func adminGet(t *testing.T, n *acceptance.Node, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+n.AdminAddr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

// metricValue returns the value of the series (name plus its labels in
// Prometheus' order, e.g. `cloudmap_instances` or
// `cloudmap_api_requests_total{code="OK",operation="GetService"}`), or
// -1 when the exposition does not hold it.
func metricValue(t *testing.T, exposition, series string) float64 {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(exposition))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if ok && name == series {
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				t.Fatalf("%s: value %q: %v", series, value, err)
			}
			return v
		}
	}
	return -1
}

func withAdmin(cfg *embed.Config) { cfg.AdminAddr = "127.0.0.1:0" }

// Pinned to bolt: cloudmap_store_commits_total counts the embedded store's
// group commits (an etcd server has no such counter); every other series
// here is the same on etcd.
func TestAdmin_MetricsCountWhatTheServerDid(t *testing.T) {
	n := acceptance.MustStart(t, acceptance.OnBolt(t), withAdmin)
	nsID := createPrivateNamespace(t, n, "metrics.local", 60)
	svc := createService(t, n, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: &nsID,
		DnsConfig: &types.DnsConfig{DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(60)}}}})
	register(t, n, *svc.Id, "i-1", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1"})
	if _, err := n.Client.GetService(ctx, &sd.GetServiceInput{Id: aws.String("srv-doesnotexist00000")}); err == nil {
		t.Fatal("GetService of a missing service succeeded")
	}
	if r := n.Query(t, "udp", "web.metrics.local", dns.TypeA); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Fatalf("dns answer: %v", r)
	}
	if r := n.Query(t, "tcp", "nothere.metrics.local", dns.TypeAAAA); r.Rcode != dns.RcodeNameError {
		t.Fatalf("dns answer: %v", r)
	}

	status, body := adminGet(t, n, "/metrics", "")
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", status, body)
	}
	atLeast := map[string]float64{
		`cloudmap_api_requests_total{code="OK",operation="RegisterInstance"}`:           1,
		`cloudmap_api_requests_total{code="ServiceNotFound",operation="GetService"}`:    1,
		`cloudmap_api_request_duration_seconds_count{operation="RegisterInstance"}`:     1,
		`cloudmap_dns_queries_total{qtype="A",rcode="NOERROR",transport="udp"}`:         1,
		`cloudmap_dns_queries_total{qtype="AAAA",rcode="NXDOMAIN",transport="tcp"}`:     1,
		`cloudmap_dns_query_duration_seconds_count{transport="udp"}`:                    1,
		`cloudmap_operations_finished_total{status="SUCCESS",type="REGISTER_INSTANCE"}`: 1,
		`cloudmap_store_commits_total`:                                                  1,
		`cloudmap_store_request_duration_seconds_count{call="update"}`:                  1,
		`cloudmap_view_applied_revision`:                                                1,
	}
	for series, min := range atLeast {
		if got := metricValue(t, body, series); got < min {
			t.Errorf("%s = %v, want at least %v", series, got, min)
		}
	}
	exactly := map[string]float64{
		`cloudmap_namespaces`:             1,
		`cloudmap_services`:               1,
		`cloudmap_instances`:              1,
		`cloudmap_leader`:                 1,
		`cloudmap_operations_pending`:     0,
		`cloudmap_api_requests_in_flight`: 0,
		`cloudmap_dns_queries_total{qtype="A",rcode="NOERROR",transport="udp"}`: 1,
	}
	for series, want := range exactly {
		if got := metricValue(t, body, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if !strings.Contains(body, `cloudmap_build_info{goversion="go`) {
		t.Error("no cloudmap_build_info series")
	}
	for _, line := range strings.Split(body, "\n") {
		if strings.Contains(line, "i-1") || strings.Contains(line, *svc.Id) || strings.Contains(line, nsID) {
			t.Errorf("a series is labelled with an id: %s", line)
		}
	}
}

func TestAdmin_HealthAndReadiness(t *testing.T) {
	n := acceptance.MustStart(t, withAdmin)
	if status, body := adminGet(t, n, "/healthz", ""); status != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz: %d %q", status, body)
	}
	if status, body := adminGet(t, n, "/readyz", ""); status != http.StatusOK || body != "ready\n" {
		t.Errorf("/readyz: %d %q", status, body)
	}
	if status, _ := adminGet(t, n, "/debug/pprof/", ""); status != http.StatusNotFound {
		t.Errorf("/debug/pprof/ without --pprof: %d, want 404", status)
	}
	p := acceptance.MustStart(t, withAdmin, func(c *embed.Config) { c.Pprof = true })
	if status, body := adminGet(t, p, "/debug/pprof/", ""); status != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/ with --pprof: %d", status)
	}
}

// TestAdmin_ReadyzNamesEveryFailingCheckWhenEtcdIsDown: with etcd down,
// /readyz answers 503 with one line per failing check (the store, etcd's
// leader) while /healthz stays 200; readiness comes back with etcd.
func TestAdmin_ReadyzNamesEveryFailingCheckWhenEtcdIsDown(t *testing.T) {
	teststore.Once(t) // etcd members of its own, not the chosen store
	c := etcdtest.StartCluster(t, 1)
	n := acceptance.MustStart(t, withAdmin, func(cfg *embed.Config) {
		cfg.EtcdEndpoints = c.Endpoints()
		cfg.EtcdRequestTimeout = time.Second
	})
	if status, body := adminGet(t, n, "/readyz", ""); status != http.StatusOK {
		t.Fatalf("/readyz with etcd up: %d %q", status, body)
	}
	c.Stop(0)
	status, body := adminGet(t, n, "/readyz", "")
	if status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with etcd down: %d %q, want 503", status, body)
	}
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "store: not answering") || !strings.HasPrefix(lines[1], "etcd: ") {
		t.Errorf("/readyz body %q: want one line for the store and one for etcd's leader", body)
	}
	if status, _ := adminGet(t, n, "/healthz", ""); status != http.StatusOK {
		t.Errorf("/healthz with etcd down: %d, want 200 (the process is alive)", status)
	}
	c.Restart(0)
	eventually(t, "ready again once etcd is back", func() bool {
		status, _ := adminGet(t, n, "/readyz", "")
		return status == http.StatusOK
	})
}

func TestAdmin_Token(t *testing.T) {
	t.Run("non-loopback without token refuses to start", func(t *testing.T) {
		cfg := acceptance.TestConfig(t)
		cfg.AdminAddr = "0.0.0.0:0"
		_, err := embed.Start(ctx, cfg)
		if err == nil || !strings.Contains(err.Error(), "without a token") || !strings.Contains(err.Error(), "--admin-token") {
			t.Fatalf("Start: %v, want a refusal naming --admin-token", err)
		}
	})
	t.Run("token required but on probes", func(t *testing.T) {
		// Pinned to bolt: /backup serves the embedded store's file (on
		// etcd it answers 501 and names etcdctl snapshot).
		n := acceptance.MustStart(t, acceptance.OnBolt(t), withAdmin, func(c *embed.Config) { c.AdminToken = "s3cret" })
		for _, path := range []string{"/metrics", "/backup"} {
			if status, _ := adminGet(t, n, path, ""); status != http.StatusUnauthorized {
				t.Errorf("%s without token: %d, want 401", path, status)
			}
			if status, _ := adminGet(t, n, path, "wrong"); status != http.StatusUnauthorized {
				t.Errorf("%s with a wrong token: %d, want 401", path, status)
			}
			if status, _ := adminGet(t, n, path, "s3cret"); status != http.StatusOK {
				t.Errorf("%s with the token: %d, want 200", path, status)
			}
		}
		for _, path := range []string{"/healthz", "/readyz"} {
			if status, _ := adminGet(t, n, path, ""); status != http.StatusOK {
				t.Errorf("%s without token: %d, want 200", path, status)
			}
		}
	})
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestAccessLog_OneLinePerRequestWithoutSecrets(t *testing.T) {
	var logs syncBuffer
	n := acceptance.MustStart(t, func(c *embed.Config) {
		c.AccessLog = true
		c.AccessKeyID, c.SecretAccessKey = "AKIDACCESSLOG", "verysecretkey"
		c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	client := acceptance.NewClient(n.APIURL(), "AKIDACCESSLOG", "verysecretkey")
	out, err := client.ListNamespaces(ctx, &sd.ListNamespacesInput{})
	if err != nil {
		t.Fatal(err)
	}
	okID, _ := awsmw.GetRequestIDMetadata(out.ResultMetadata)
	_, err = client.GetService(ctx, &sd.GetServiceInput{Id: aws.String("srv-doesnotexist00000")})
	var nf *types.ServiceNotFound
	if !errors.As(err, &nf) {
		t.Fatalf("GetService: %v", err)
	}
	type line struct {
		Msg, Component, RequestID, Op, Key, Cell, Code string
		Status                                         int
		LatencyMs                                      *float64
	}
	var got []line
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["component"] != "access" {
			continue
		}
		b, _ := json.Marshal(m)
		var al struct {
			Msg       string   `json:"msg"`
			RequestID string   `json:"request_id"`
			Op        string   `json:"op"`
			Key       string   `json:"key"`
			Cell      string   `json:"cell"`
			Code      string   `json:"code"`
			Status    int      `json:"status"`
			LatencyMs *float64 `json:"latency_ms"`
		}
		json.Unmarshal(b, &al)
		got = append(got, line{Msg: al.Msg, RequestID: al.RequestID, Op: al.Op, Key: al.Key, Cell: al.Cell, Code: al.Code,
			Status: al.Status, LatencyMs: al.LatencyMs})
	}
	if len(got) != 2 {
		t.Fatalf("access log lines: %+v, want 2", got)
	}
	if g := got[0]; g.RequestID != okID || g.Op != "ListNamespaces" || g.Key != "AKIDACCESSLOG" || g.Cell != "123456789012/us-east-1" || g.Status != 200 ||
		g.Code != "" || g.LatencyMs == nil {
		t.Errorf("success line %+v (request id %s)", g, okID)
	}
	if g := got[1]; g.Op != "GetService" || g.Status != 400 || g.Code != "ServiceNotFound" || g.Key != "AKIDACCESSLOG" {
		t.Errorf("error line %+v", g)
	}
	for _, secret := range []string{"verysecretkey", "Signature=", "Credential="} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

func TestRetention_PrunedOperationIsNotFoundAndItsTokenIsFree(t *testing.T) {
	n := acceptance.MustStart(t, func(c *embed.Config) { c.OperationRetention = 0 })
	nsID := createHTTPNamespace(t, n, "retain")
	svc := createService(t, n, &sd.CreateServiceInput{Name: aws.String("api"), NamespaceId: &nsID})
	in := &sd.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: aws.String("i-1"),
		CreatorRequestId: aws.String("token-1"), Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1"}}
	first, err := n.Client.RegisterInstance(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	n.WaitOperation(t, *first.OperationId)
	// Submitted after the cutoff: kept.
	cutoff := time.Now()
	second, err := n.Client.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: aws.String("i-2"),
		Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.2"}})
	if err != nil {
		t.Fatal(err)
	}
	n.WaitOperation(t, *second.OperationId)

	ops, idem, err := n.PruneOperations(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	// The namespace's and the first registration's operations, with their
	// request tokens (the SDK fills CreatorRequestId when it is not given).
	if ops != 2 || idem != 2 {
		t.Errorf("pruned %d operations and %d idempotency records, want 2 and 2", ops, idem)
	}
	_, err = n.Client.GetOperation(ctx, &sd.GetOperationInput{OperationId: first.OperationId})
	var nf *types.OperationNotFound
	if !errors.As(err, &nf) {
		t.Errorf("GetOperation of a pruned operation: %v, want OperationNotFound", err)
	}
	if _, err := n.Client.GetOperation(ctx, &sd.GetOperationInput{OperationId: second.OperationId}); err != nil {
		t.Errorf("GetOperation of a kept operation: %v", err)
	}
	list, err := n.Client.ListOperations(ctx, &sd.ListOperationsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Operations) != 1 || *list.Operations[0].Id != *second.OperationId {
		t.Errorf("ListOperations after pruning: %d operations, want only %s", len(list.Operations), *second.OperationId)
	}
	// The token is forgotten with its operation: the same request starts
	// a new operation instead of answering the pruned one.
	again, err := n.Client.RegisterInstance(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if *again.OperationId == *first.OperationId {
		t.Errorf("the pruned token answered its pruned operation %s", *first.OperationId)
	}
	if op := n.WaitOperation(t, *again.OperationId); op.Status != types.OperationStatusSuccess {
		t.Errorf("re-registration: %s", op.Status)
	}
	if _, err := n.Client.GetInstance(ctx, &sd.GetInstanceInput{ServiceId: svc.Id, InstanceId: aws.String("i-1")}); err != nil {
		t.Errorf("the instance of a pruned operation: %v", err)
	}
	if _, err := n.Client.GetNamespace(ctx, &sd.GetNamespaceInput{Id: &nsID}); err != nil {
		t.Errorf("the namespace of a pruned operation: %v", err)
	}
}

func TestAdmin_HealthProbeMetrics(t *testing.T) {
	n := acceptance.MustStart(t, withAdmin)
	nsID := createHTTPNamespace(t, n, "probed")
	svc := createService(t, n, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: &nsID,
		HealthCheckConfig: &types.HealthCheckConfig{Type: types.HealthCheckTypeHttp, FailureThreshold: aws.Int32(1)}})
	good, _ := switchable(t)
	bad, badCode := switchable(t)
	badCode.Store(500)
	gh, gp := hostPort(t, good.URL)
	bh, bp := hostPort(t, bad.URL)
	register(t, n, *svc.Id, "good", map[string]string{"AWS_INSTANCE_IPV4": gh, "AWS_INSTANCE_PORT": gp})
	register(t, n, *svc.Id, "bad", map[string]string{"AWS_INSTANCE_IPV4": bh, "AWS_INSTANCE_PORT": bp})
	var body string
	eventually(t, "a passed and a failed probe counted", func() bool {
		_, body = adminGet(t, n, "/metrics", "")
		return metricValue(t, body, `cloudmap_health_probes_total{result="pass",type="HTTP"}`) >= 1 &&
			metricValue(t, body, `cloudmap_health_probes_total{result="fail",type="HTTP"}`) >= 1
	})
	if got := metricValue(t, body, `cloudmap_health_probe_duration_seconds_count{type="HTTP"}`); got < 2 {
		t.Errorf("probe latencies observed: %v, want at least 2", got)
	}
	eventually(t, "the checker's gauges to show one unhealthy target of two", func() bool {
		_, body = adminGet(t, n, "/metrics", "")
		return metricValue(t, body, "cloudmap_health_targets") == 2 &&
			metricValue(t, body, "cloudmap_health_unhealthy_targets") == 1
	})
}

func TestAdmin_CredentialsReloadFailureIsAMetric(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials")
	good := "[app]\naws_access_key_id = AKIDAPP\naws_secret_access_key = app-secret\n"
	if err := os.WriteFile(path, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	n := acceptance.MustStart(t, withAdmin, func(c *embed.Config) { c.CredentialsFile = path })
	scrape := func() (ok, failures float64) {
		_, body := adminGet(t, n, "/metrics", "")
		return metricValue(t, body, "cloudmap_credentials_reload_ok"), metricValue(t, body, "cloudmap_credentials_reload_failures_total")
	}
	if ok, f := scrape(); ok != 1 || f != 0 {
		t.Errorf("before any reload: ok %v, failures %v; want 1 and 0", ok, f)
	}
	if err := os.WriteFile(path, []byte("[app\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.Server.Reload(); err == nil {
		t.Fatal("Reload of a broken file succeeded")
	}
	if ok, f := scrape(); ok != 0 || f != 1 {
		t.Errorf("after a failed reload: ok %v, failures %v; want 0 and 1", ok, f)
	}
	if err := os.WriteFile(path, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.Server.Reload(); err != nil {
		t.Fatal(err)
	}
	if ok, f := scrape(); ok != 1 || f != 1 {
		t.Errorf("after a good reload: ok %v, failures %v; want 1 and 1", ok, f)
	}
}

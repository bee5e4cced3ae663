package discovery_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap/bench/discovery"
)

func TestFixedBody(t *testing.T) {
	var out struct {
		Instances []struct {
			InstanceId   string
			HealthStatus string
			Attributes   map[string]string
		}
		InstancesRevision int64
	}
	if err := json.Unmarshal(discovery.FixedBody, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Instances) != 8 || out.InstancesRevision == 0 {
		t.Fatalf("got %d instances, revision %d", len(out.Instances), out.InstancesRevision)
	}
	for _, i := range out.Instances {
		if len(i.Attributes) != 4 || i.HealthStatus != "HEALTHY" {
			t.Errorf("instance %+v", i)
		}
	}
}

func TestRun(t *testing.T) {
	var got atomic.Int64
	var badTarget atomic.Int64
	ref := discovery.ReferenceHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		var in struct{ NamespaceName, ServiceName string }
		if r.Header.Get("X-Amz-Target") != "Route53AutoNaming_v20170314.DiscoverInstances" ||
			json.NewDecoder(r.Body).Decode(&in) != nil || in.NamespaceName != "bench" || !strings.HasPrefix(in.ServiceName, "svc-") {
			badTarget.Add(1)
		}
		ref.ServeHTTP(w, r)
	}))
	defer srv.Close()
	res, err := discovery.Run(t.Context(), discovery.Config{URL: srv.URL, Connections: 4, Duration: 5 * time.Second, MaxRequests: 500, Services: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 500 || res.Errors != 0 || got.Load() != 500 {
		t.Errorf("result %v, server saw %d requests, want 500 without errors", res, got.Load())
	}
	if badTarget.Load() != 0 {
		t.Errorf("%d requests were not DiscoverInstances for bench/svc-N", badTarget.Load())
	}
	if res.P50 <= 0 || res.P99 < res.P50 || res.Max < res.P99 || res.RPS <= 0 {
		t.Errorf("inconsistent figures: %v", res)
	}
}

func TestRun_RefusesNonLoopback(t *testing.T) {
	for _, u := range []string{"http://example.com", "http://10.0.0.1:8080", "::"} {
		if _, err := discovery.Run(t.Context(), discovery.Config{URL: u, Duration: time.Second}); err == nil {
			t.Errorf("Run(%q) sent load to a non-loopback address", u)
		}
	}
}

func TestRun_ReportsFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"__type":"ServiceNotFound"}`, http.StatusBadRequest)
	}))
	defer srv.Close()
	res, err := discovery.Run(t.Context(), discovery.Config{URL: srv.URL, Connections: 2, Duration: 5 * time.Second, MaxRequests: 10})
	if err == nil || res.Errors != 10 || !strings.Contains(res.FirstError, "ServiceNotFound") {
		t.Errorf("got %v, %v; want every request to fail with the server's error", res, err)
	}
}

// BenchmarkReference runs the load generator in-process against the
// reference handler for one second with 32 connections and reports its
// requests per second: the ceiling cloudmap is measured against.
func BenchmarkReference(b *testing.B) {
	srv := httptest.NewServer(discovery.ReferenceHandler())
	defer srv.Close()
	var res discovery.Result
	for b.Loop() {
		var err error
		res, err = discovery.Run(b.Context(), discovery.Config{URL: srv.URL, Connections: 32, Duration: time.Second})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(res.RPS, "req/s")
	b.ReportMetric(float64(res.P99.Microseconds()), "p99-µs")
}

func TestCompare(t *testing.T) {
	var refHits, cmHits atomic.Int64
	ref := discovery.ReferenceHandler()
	serve := func(n *atomic.Int64) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			ref.ServeHTTP(w, r)
		}))
	}
	refSrv, cmSrv := serve(&refHits), serve(&cmHits)
	defer refSrv.Close()
	defer cmSrv.Close()
	var hooks []bool
	cfg := discovery.Config{Connections: 2, Duration: 5 * time.Second, MaxRequests: 100, Services: 10}
	c, err := discovery.Compare(t.Context(), refSrv.URL, cmSrv.URL, cfg, 3, func(server string, start bool) {
		if server == "cloudmap" {
			hooks = append(hooks, start)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := refHits.Load(), int64(300); got != want {
		t.Errorf("reference saw %d requests, want %d", got, want)
	}
	if got, want := cmHits.Load(), int64(300); got != want {
		t.Errorf("cloudmap saw %d requests, want %d", got, want)
	}
	if got, want := len(c.Ratios), 3; got != want || len(c.Rounds) != 6 {
		t.Errorf("got %d ratios and %d rounds, want %d and 6", got, len(c.Rounds), want)
	}
	if c.Ratio <= 0 || c.ReferenceRPS <= 0 || c.CloudmapRPS <= 0 || c.Cloudmap.Requests != 100 {
		t.Errorf("inconsistent comparison: %v", c)
	}
	if got, want := fmt.Sprint(hooks), "[true false true false true false]"; got != want {
		t.Errorf("cloudmap hooks %s, want %s", got, want)
	}
}

func TestCompare_FailsOnErrors(t *testing.T) {
	ok := httptest.NewServer(discovery.ReferenceHandler())
	defer ok.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"__type":"ServiceNotFound"}`, http.StatusBadRequest)
	}))
	defer bad.Close()
	cfg := discovery.Config{Connections: 2, Duration: 5 * time.Second, MaxRequests: 10}
	if _, err := discovery.Compare(t.Context(), ok.URL, bad.URL, cfg, 1, nil); err == nil || !strings.Contains(err.Error(), "cloudmap") {
		t.Errorf("got %v, want an error naming cloudmap", err)
	}
}

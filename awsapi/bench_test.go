package awsapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/awsapi"
	"github.com/cloudmap/cloudmap/metrics"
)

// discardWriter is a ResponseWriter that keeps only the status and the
// body length, so the benchmark measures the handler.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
func (w *discardWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }

// BenchmarkHandler_DiscoverInstances decodes a DiscoverInstances request
// and encodes 8 instances with 4 attributes each.
func BenchmarkHandler_DiscoverInstances(b *testing.B) { benchDiscover(b, awsapi.Config{}) }

// BenchmarkHandler_DiscoverInstancesMetrics is BenchmarkHandler_DiscoverInstances
// through the metrics hook `serve --admin-addr` installs (what metrics cost
// per request).
func BenchmarkHandler_DiscoverInstancesMetrics(b *testing.B) {
	m := metrics.New("bench")
	hook := func(op string, next awsapi.Invoker) awsapi.Invoker {
		rec := m.API.Op(op)
		return func(ctx context.Context, c *awsapi.Call) (any, error) {
			start := rec.Start()
			out, err := next(ctx, c)
			rec.Done(start, err)
			return out, err
		}
	}
	benchDiscover(b, awsapi.Config{Hooks: []awsapi.Hook{hook}})
}

func benchDiscover(b *testing.B, cfg awsapi.Config) {
	out := &cloudmap.DiscoverInstancesOutput{InstancesRevision: 42}
	for i := range 8 {
		out.Instances = append(out.Instances, cloudmap.HttpInstanceSummary{
			InstanceId: fmt.Sprintf("i-%02d", i), NamespaceName: "example.local", ServiceName: "web",
			HealthStatus: cloudmap.Healthy, Attributes: map[string]string{
				"AWS_INSTANCE_IPV4": fmt.Sprintf("10.0.0.%d", i+1), "AWS_INSTANCE_PORT": "8080",
				"AVAILABILITY_ZONE": "us-east-1a", "version": "v1.2.3"}})
	}
	api := &fakeAPI{Fn: func(context.Context, string, any) (any, error) { return out, nil }}
	h := awsapi.NewHandler(api, cfg)
	body := []byte(`{"NamespaceName":"example.local","ServiceName":"web","MaxResults":10,"HealthStatus":"HEALTHY_OR_ELSE_ALL","QueryParameters":{"version":"v1.2.3"}}`)
	rd := bytes.NewReader(body)
	req, _ := http.NewRequest(http.MethodPost, "/", rd)
	req.Header.Set("X-Amz-Target", "Route53AutoNaming_v20170314.DiscoverInstances")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.ContentLength = int64(len(body))
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		req.Body = io.NopCloser(rd)
		clear(w.h)
		w.n = 0
		h.ServeHTTP(w, req)
		if w.status != 200 {
			b.Fatalf("status %d", w.status)
		}
	}
	b.SetBytes(int64(w.n))
}

// BenchmarkHandler_DiscoverInstancesDefault is the benchmark load's
// request: names only, 10 instances of 4 attributes in the answer (from
// the fragment cache after the first request).
func BenchmarkHandler_DiscoverInstancesDefault(b *testing.B) {
	out := &cloudmap.DiscoverInstancesOutput{InstancesRevision: 42}
	for i := range 10 {
		out.Instances = append(out.Instances, cloudmap.HttpInstanceSummary{
			InstanceId: fmt.Sprintf("i-42-%d", i), NamespaceName: "bench", ServiceName: "svc-42",
			HealthStatus: cloudmap.Unknown, Attributes: map[string]string{
				"AWS_INSTANCE_IPV4": fmt.Sprintf("10.0.42.%d", i), "AWS_INSTANCE_PORT": "8080",
				"stage": "prod", "zone": "us-east-1a"}})
	}
	api := &fakeAPI{Fn: func(context.Context, string, any) (any, error) { return out, nil }}
	h := awsapi.NewHandler(api, awsapi.Config{})
	body := []byte(`{"NamespaceName":"bench","ServiceName":"svc-42"}`)
	rd := bytes.NewReader(body)
	req, _ := http.NewRequest(http.MethodPost, "/", rd)
	req.Header.Set("X-Amz-Target", "Route53AutoNaming_v20170314.DiscoverInstances")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.ContentLength = int64(len(body))
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		req.Body = io.NopCloser(rd)
		clear(w.h)
		w.n = 0
		h.ServeHTTP(w, req)
		if w.status != 200 {
			b.Fatalf("status %d", w.status)
		}
	}
	b.SetBytes(int64(w.n))
}

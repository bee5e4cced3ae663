package awsapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/awsapi"
)

// wireDoc is the JSON a DiscoverInstances answer must decode to: empty
// strings and nil maps omitted, numbers always present.
func wireDoc(out *cloudmap.DiscoverInstancesOutput) map[string]any {
	doc := map[string]any{"InstancesRevision": float64(out.InstancesRevision)}
	if out.Instances == nil {
		return doc
	}
	list := []any{}
	for _, s := range out.Instances {
		m := map[string]any{}
		for k, v := range map[string]string{"InstanceId": s.InstanceId, "NamespaceName": s.NamespaceName,
			"ServiceName": s.ServiceName, "HealthStatus": string(s.HealthStatus)} {
			if v != "" {
				m[k] = v
			}
		}
		if s.Attributes != nil {
			attrs := map[string]any{}
			for k, v := range s.Attributes {
				attrs[k] = v
			}
			m["Attributes"] = attrs
		}
		list = append(list, m)
	}
	doc["Instances"] = list
	return doc
}

// discover serves one DiscoverInstances request answered with out.
func discover(t *testing.T, h http.Handler, body string) map[string]any {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", targetPrefix+"DiscoverInstances")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if got, want := rec.Header().Get("Content-Length"), fmt.Sprint(rec.Body.Len()); got != want {
		t.Errorf("Content-Length %s, body of %s bytes", got, want)
	}
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, rec.Body)
	}
	return doc
}

func TestHandler_DiscoverInstancesCache(t *testing.T) {
	web := "web"
	attrs := []map[string]string{
		{"AWS_INSTANCE_IPV4": "10.0.0.1", "AWS_INSTANCE_PORT": "8080"},
		{"AWS_INSTANCE_IPV4": "10.0.0.2", "note": "quote \" backslash \\ tab \t é \u2028"},
		{},
	}
	sum := func(id, ns string, h cloudmap.HealthStatus, a map[string]string) cloudmap.HttpInstanceSummary {
		return cloudmap.HttpInstanceSummary{InstanceId: id, NamespaceName: ns, ServiceName: web, HealthStatus: h, Attributes: a}
	}
	base := []cloudmap.HttpInstanceSummary{
		sum("i-1", "example.local", cloudmap.Healthy, attrs[0]),
		sum("i-2", "example.local", cloudmap.Healthy, attrs[1]),
		sum("i-3", "example.local", cloudmap.Unknown, attrs[2]),
	}
	steps := []struct {
		name string
		out  *cloudmap.DiscoverInstancesOutput
	}{
		{"first answer", &cloudmap.DiscoverInstancesOutput{Instances: base, InstancesRevision: 7}},
		{"same answer again", &cloudmap.DiscoverInstancesOutput{Instances: base, InstancesRevision: 7}},
		{"other order and subset", &cloudmap.DiscoverInstancesOutput{Instances: []cloudmap.HttpInstanceSummary{base[2], base[0]}, InstancesRevision: 7}},
		{"health changed, same attributes map", &cloudmap.DiscoverInstancesOutput{Instances: []cloudmap.HttpInstanceSummary{
			sum("i-1", "example.local", cloudmap.Unhealthy, attrs[0]), base[1]}, InstancesRevision: 8}},
		{"attributes replaced by a new map", &cloudmap.DiscoverInstancesOutput{Instances: []cloudmap.HttpInstanceSummary{
			base[0], sum("i-2", "example.local", cloudmap.Healthy, map[string]string{"AWS_INSTANCE_IPV4": "10.9.9.9"})}, InstancesRevision: 9}},
		{"another id on the same map", &cloudmap.DiscoverInstancesOutput{Instances: []cloudmap.HttpInstanceSummary{
			sum("i-9", "example.local", cloudmap.Healthy, attrs[0])}, InstancesRevision: 10}},
		{"same service name and map in another namespace", &cloudmap.DiscoverInstancesOutput{Instances: []cloudmap.HttpInstanceSummary{
			sum("i-1", "other.local", cloudmap.Healthy, attrs[0])}, InstancesRevision: 11}},
		{"another service name", &cloudmap.DiscoverInstancesOutput{Instances: []cloudmap.HttpInstanceSummary{
			{InstanceId: "i-1", NamespaceName: "example.local", ServiceName: "api", HealthStatus: cloudmap.Healthy, Attributes: attrs[0]}}}},
		{"empty members and nil attributes omitted", &cloudmap.DiscoverInstancesOutput{Instances: []cloudmap.HttpInstanceSummary{
			{InstanceId: "i-5"}, {ServiceName: web, Attributes: attrs[0]}}}},
		{"no instances", &cloudmap.DiscoverInstancesOutput{Instances: []cloudmap.HttpInstanceSummary{}, InstancesRevision: 3}},
		{"nil instances", &cloudmap.DiscoverInstancesOutput{InstancesRevision: 4}},
		{"first answer once more", &cloudmap.DiscoverInstancesOutput{Instances: base, InstancesRevision: 7}},
	}
	for _, size := range []int{0, 1, 2, -1} {
		t.Run(fmt.Sprintf("cache %d", size), func(t *testing.T) {
			var cur *cloudmap.DiscoverInstancesOutput
			h := awsapi.NewHandler(&fakeAPI{Fn: func(context.Context, string, any) (any, error) { return cur, nil }},
				awsapi.Config{DiscoverCacheEntries: size})
			for _, st := range steps {
				cur = st.out
				got := discover(t, h, `{"NamespaceName":"example.local","ServiceName":"web"}`)
				if want := wireDoc(st.out); !reflect.DeepEqual(got, want) {
					t.Errorf("%s:\n got %v\nwant %v", st.name, got, want)
				}
			}
		})
	}
}

// TestHandler_DiscoverInstancesConcurrent changes the health of instances
// from answer to answer while many requests are served: every answer must
// carry exactly the statuses of the output it encodes (the revision
// carries the expected statuses as bits).
func TestHandler_DiscoverInstancesConcurrent(t *testing.T) {
	const instances = 6
	attrs := make([]map[string]string, instances)
	for i := range attrs {
		attrs[i] = map[string]string{"AWS_INSTANCE_IPV4": fmt.Sprintf("10.0.0.%d", i)}
	}
	var mu sync.Mutex
	next := int64(0)
	api := &fakeAPI{Fn: func(context.Context, string, any) (any, error) {
		mu.Lock()
		bits := next % (1 << instances)
		next += 7
		mu.Unlock()
		out := &cloudmap.DiscoverInstancesOutput{InstancesRevision: bits}
		for i := range instances {
			h := cloudmap.Healthy
			if bits&(1<<i) != 0 {
				h = cloudmap.Unhealthy
			}
			out.Instances = append(out.Instances, cloudmap.HttpInstanceSummary{InstanceId: fmt.Sprintf("i-%d", i),
				NamespaceName: "ns", ServiceName: "web", HealthStatus: h, Attributes: attrs[i]})
		}
		return out, nil
	}}
	h := awsapi.NewHandler(api, awsapi.Config{DiscoverCacheEntries: 4})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				doc := discover(t, h, `{"NamespaceName":"ns","ServiceName":"web"}`)
				bits := int64(doc["InstancesRevision"].(float64))
				list, _ := doc["Instances"].([]any)
				if len(list) != instances {
					t.Errorf("got %d instances, want %d", len(list), instances)
					return
				}
				for i, x := range list {
					m := x.(map[string]any)
					want := "HEALTHY"
					if bits&(1<<i) != 0 {
						want = "UNHEALTHY"
					}
					if m["HealthStatus"] != want || m["InstanceId"] != fmt.Sprintf("i-%d", i) {
						t.Errorf("answer %d, instance %d: got %v, want %s", bits, i, m, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

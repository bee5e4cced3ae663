package discovery

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// SeedConfig says what Seed registers.
type SeedConfig struct {
	URL                 string // loopback API endpoint
	Namespace           string // HTTP namespace name (bench)
	ServicePrefix       string // service names are prefix+index (svc-)
	Services            int    // 10000
	InstancesPerService int    // 10
	Connections         int    // concurrent requests (32)
}

// Seed creates an HTTP namespace, Services services and
// InstancesPerService instances of 4 attributes each through the Cloud Map
// API (unsigned requests: run the server on loopback without credentials),
// then waits until every registration operation succeeded.
func Seed(ctx context.Context, cfg SeedConfig) error {
	if err := checkLoopback(cfg.URL); err != nil {
		return err
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "bench"
	}
	if cfg.ServicePrefix == "" {
		cfg.ServicePrefix = "svc-"
	}
	if cfg.Connections <= 0 {
		cfg.Connections = 32
	}
	c := &apiClient{url: cfg.URL, http: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Connections}}}
	var op struct{ OperationId string }
	if err := c.do(ctx, "CreateHttpNamespace", map[string]any{"Name": cfg.Namespace}, &op); err != nil {
		return err
	}
	targets, err := c.wait(ctx, op.OperationId)
	if err != nil {
		return err
	}
	nsID := targets["NAMESPACE"]
	svcIDs := make([]string, cfg.Services)
	err = parallel(ctx, cfg.Connections, cfg.Services, func(i int) error {
		var out struct{ Service struct{ Id string } }
		err := c.do(ctx, "CreateService", map[string]any{"Name": fmt.Sprintf("%s%d", cfg.ServicePrefix, i), "NamespaceId": nsID}, &out)
		svcIDs[i] = out.Service.Id
		return err
	})
	if err != nil {
		return err
	}
	total := cfg.Services * cfg.InstancesPerService
	ops := make([]string, total)
	err = parallel(ctx, cfg.Connections, total, func(k int) error {
		s, i := k/cfg.InstancesPerService, k%cfg.InstancesPerService
		var out struct{ OperationId string }
		err := c.do(ctx, "RegisterInstance", map[string]any{
			"ServiceId": svcIDs[s], "InstanceId": fmt.Sprintf("i-%d-%d", s, i),
			"Attributes": map[string]string{
				"AWS_INSTANCE_IPV4": fmt.Sprintf("10.%d.%d.%d", s/256%256, s%256, i%256),
				"AWS_INSTANCE_PORT": "8080", "stage": "prod", "zone": fmt.Sprintf("us-east-1%c", 'a'+i%3),
			},
		}, &out)
		ops[k] = out.OperationId
		return err
	})
	if err != nil {
		return err
	}
	return parallel(ctx, cfg.Connections, total, func(k int) error {
		_, err := c.wait(ctx, ops[k])
		return err
	})
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first error.
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

type apiClient struct {
	url  string
	http *http.Client
}

// do calls one operation with a JSON body and decodes the answer into out.
func (c *apiClient) do(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Route53AutoNaming_v20170314."+op)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d: %s", op, resp.StatusCode, b)
	}
	if out == nil || len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, out)
}

// wait polls GetOperation until the operation succeeds (bounded to a minute).
func (c *apiClient) wait(ctx context.Context, id string) (map[string]string, error) {
	deadline := time.Now().Add(time.Minute)
	for delay := time.Millisecond; time.Now().Before(deadline); delay = min(2*delay, 200*time.Millisecond) {
		var out struct {
			Operation struct {
				Status       string
				ErrorMessage string
				Targets      map[string]string
			}
		}
		if err := c.do(ctx, "GetOperation", map[string]any{"OperationId": id}, &out); err != nil {
			return nil, err
		}
		switch out.Operation.Status {
		case "SUCCESS":
			return out.Operation.Targets, nil
		case "FAIL":
			return nil, fmt.Errorf("operation %s failed: %s", id, out.Operation.ErrorMessage)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
	}
	return nil, fmt.Errorf("operation %s did not finish within a minute", id)
}

// Seeded reports whether the last service of cfg already holds
// InstancesPerService instances, so a kept data directory need not be
// seeded again.
func Seeded(ctx context.Context, cfg SeedConfig) bool {
	if cfg.Namespace == "" {
		cfg.Namespace = "bench"
	}
	if cfg.ServicePrefix == "" {
		cfg.ServicePrefix = "svc-"
	}
	if checkLoopback(cfg.URL) != nil || cfg.Services <= 0 {
		return false
	}
	c := &apiClient{url: cfg.URL, http: &http.Client{Timeout: 10 * time.Second}}
	var out struct{ Instances []struct{ InstanceId string } }
	err := c.do(ctx, "DiscoverInstances", map[string]any{"NamespaceName": cfg.Namespace,
		"ServiceName": fmt.Sprintf("%s%d", cfg.ServicePrefix, cfg.Services-1), "HealthStatus": "ALL"}, &out)
	return err == nil && len(out.Instances) == cfg.InstancesPerService
}

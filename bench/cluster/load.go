// Package cluster measures cloudmap in cluster mode: several nodes sharing
// one etcd. Register counts acknowledged registrations per second through
// the API of one or more nodes; Visibility measures how long a write on one
// node takes to show in another node's discovery and DNS. The benchmarks in
// cluster_test.go start etcd and the nodes in-process (see README.md).
package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Client calls the Cloud Map API of one node with unsigned JSON requests
// (run the node on loopback without credentials).
type Client struct {
	URL  string
	HTTP *http.Client
}

// NewClient returns a client for url with up to conns keep-alive connections.
func NewClient(url string, conns int) *Client {
	return &Client{URL: url, HTTP: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: conns, DisableCompression: true}}}
}

// Do calls operation op with in as the JSON body and decodes the answer
// into out (nil skips decoding).
func (c *Client) Do(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Route53AutoNaming_v20170314."+op)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d: %.300s", op, resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// Register registers instance id (with an IPv4 address) and returns the
// operation id.
func (c *Client) Register(ctx context.Context, svcID, id, ip string) (string, error) {
	var out struct{ OperationId string }
	err := c.Do(ctx, "RegisterInstance", map[string]any{"ServiceId": svcID, "InstanceId": id,
		"Attributes": map[string]string{"AWS_INSTANCE_IPV4": ip}}, &out)
	return out.OperationId, err
}

// Status returns the status of an operation.
func (c *Client) Status(ctx context.Context, opID string) (string, error) {
	var out struct {
		Operation struct{ Status, ErrorMessage string }
	}
	if err := c.Do(ctx, "GetOperation", map[string]any{"OperationId": opID}, &out); err != nil {
		return "", err
	}
	if out.Operation.Status == "FAIL" {
		return "FAIL", fmt.Errorf("operation %s failed: %s", opID, out.Operation.ErrorMessage)
	}
	return out.Operation.Status, nil
}

// Discovers reports whether DiscoverInstances (all health) of ns/svc lists id.
func (c *Client) Discovers(ctx context.Context, ns, svc, id string) (bool, error) {
	var out struct{ Instances []struct{ InstanceId string } }
	err := c.Do(ctx, "DiscoverInstances", map[string]any{"NamespaceName": ns, "ServiceName": svc,
		"HealthStatus": "ALL", "MaxResults": 1000}, &out)
	for _, in := range out.Instances {
		if in.InstanceId == id {
			return true, nil
		}
	}
	return false, err
}

// Latencies summarizes durations.
type Latencies struct {
	N             int
	P50, P99, Max time.Duration
}

// summarize sorts d and returns its percentiles.
func summarize(d []time.Duration) Latencies {
	if len(d) == 0 {
		return Latencies{}
	}
	slices.Sort(d)
	pct := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	return Latencies{N: len(d), P50: pct(0.50), P99: pct(0.99), Max: d[len(d)-1]}
}

func (l Latencies) String() string {
	return fmt.Sprintf("n=%d p50 %v p99 %v max %v", l.N, l.P50, l.P99, l.Max)
}

// RegisterResult is what Register measured.
type RegisterResult struct {
	Acknowledged int64 // RegisterInstance answered with an operation id
	Errors       int64
	FirstError   string
	Elapsed      time.Duration
	Latency      Latencies
}

// PerSecond is the acknowledged registrations per second.
func (r RegisterResult) PerSecond() float64 { return float64(r.Acknowledged) / r.Elapsed.Seconds() }

func (r RegisterResult) String() string {
	return fmt.Sprintf("%d registrations acknowledged in %v: %.0f/s, latency %v, %d errors %s",
		r.Acknowledged, r.Elapsed.Round(time.Millisecond), r.PerSecond(), r.Latency, r.Errors, r.FirstError)
}

// Register runs clients goroutines, client i on nodes[i%len(nodes)], that
// register distinct instances of svcID until d passes or max were sent.
func Register(ctx context.Context, nodes []*Client, svcID string, clients int, d time.Duration, max int64) RegisterResult {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		issued atomic.Int64
		mu     sync.Mutex
		res    RegisterResult
		lats   []time.Duration
		wg     sync.WaitGroup
	)
	start := time.Now()
	for i := range clients {
		c := nodes[i%len(nodes)]
		wg.Go(func() {
			var local []time.Duration
			var errs int64
			var first string
			for ctx.Err() == nil {
				n := issued.Add(1)
				if n > max {
					break
				}
				t0 := time.Now()
				_, err := c.Register(ctx, svcID, fmt.Sprintf("r-%d", n), fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255))
				if err != nil {
					if ctx.Err() == nil {
						errs++
						first = cmpOr(first, err.Error())
					}
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, local...)
			res.Errors += errs
			res.FirstError = cmpOr(res.FirstError, first)
			mu.Unlock()
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Acknowledged = int64(len(lats))
	res.Latency = summarize(lats)
	return res
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// WaitDone polls GetOperation on c until every operation is SUCCESS or
// timeout passes.
func WaitDone(ctx context.Context, c *Client, opIDs []string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, id := range opIDs {
		for {
			st, err := c.Status(ctx, id)
			if st == "SUCCESS" {
				break
			}
			if st == "FAIL" || ctx.Err() != nil {
				return errors.Join(err, ctx.Err())
			}
			time.Sleep(time.Millisecond)
		}
	}
	return nil
}

// Package discovery is the DiscoverInstances load generator and the trivial
// reference server it is compared with. Run sends DiscoverInstances
// requests for a random service among N over keep-alive connections to a
// loopback URL for a bounded time and count, and reports requests per
// second and latency percentiles. The load and reference commands wrap it;
// benchmarks call Run in-process.
package discovery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Config is one load run.
type Config struct {
	// URL is the API endpoint, e.g. http://127.0.0.1:8080. Only loopback
	// hosts are accepted.
	URL string
	// Connections is the number of concurrent keep-alive connections (32).
	Connections int
	// Duration bounds the run (10s); MaxRequests bounds it too (0 = 10^8).
	Duration    time.Duration
	MaxRequests int64
	// Namespace and Services name the target: services ServicePrefix0 …
	// ServicePrefix(Services-1) in namespace Namespace (bench, svc-, 10000).
	Namespace     string
	ServicePrefix string
	Services      int
	// HealthStatus, when set, is sent as the HealthStatus filter.
	HealthStatus string
}

// Result is what a run measured.
type Result struct {
	Requests  int64
	Errors    int64
	Elapsed   time.Duration
	RPS       float64
	P50, P90  time.Duration
	P99, P999 time.Duration
	Max       time.Duration
	// FirstError is the first failure seen, for the report.
	FirstError string
}

// String formats the result in one line.
func (r Result) String() string {
	s := fmt.Sprintf("%d requests in %v: %.0f req/s, p50 %v p90 %v p99 %v p99.9 %v max %v, %d errors",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.RPS, r.P50, r.P90, r.P99, r.P999, r.Max, r.Errors)
	if r.FirstError != "" {
		s += " (first: " + r.FirstError + ")"
	}
	return s
}

func (c *Config) defaults() error {
	if c.Connections <= 0 {
		c.Connections = 32
	}
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.MaxRequests <= 0 {
		c.MaxRequests = 100_000_000
	}
	if c.Namespace == "" {
		c.Namespace = "bench"
	}
	if c.ServicePrefix == "" {
		c.ServicePrefix = "svc-"
	}
	if c.Services <= 0 {
		c.Services = 10_000
	}
	return checkLoopback(c.URL)
}

// checkLoopback refuses to send load anywhere but this machine.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("discovery: url: %w", err)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("discovery: url %q is not a loopback address", raw)
}

// Run sends load until cfg.Duration passes, cfg.MaxRequests were sent or
// ctx is done.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.defaults(); err != nil {
		return Result{}, err
	}
	tr := &http.Transport{MaxIdleConnsPerHost: cfg.Connections, MaxConnsPerHost: cfg.Connections,
		DisableCompression: true, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()

	bodies := make([][]byte, min(cfg.Services, 100_000))
	for i := range bodies {
		hs := ""
		if cfg.HealthStatus != "" {
			hs = fmt.Sprintf(`,"HealthStatus":%q`, cfg.HealthStatus)
		}
		bodies[i] = fmt.Appendf(nil, `{"NamespaceName":%q,"ServiceName":"%s%d"%s}`, cfg.Namespace, cfg.ServicePrefix, i, hs)
	}
	var (
		mu     sync.Mutex
		lats   []time.Duration
		res    Result
		issued int64
	)
	var wg sync.WaitGroup
	start := time.Now()
	for range cfg.Connections {
		wg.Go(func() {
			local := make([]time.Duration, 0, 1<<16)
			var errs int64
			var first string
			for ctx.Err() == nil {
				mu.Lock()
				if issued >= cfg.MaxRequests {
					mu.Unlock()
					break
				}
				issued++
				mu.Unlock()
				t0 := time.Now()
				err := call(ctx, client, cfg.URL, bodies[rand.IntN(len(bodies))])
				if err != nil {
					if ctx.Err() != nil {
						break
					}
					errs++
					if first == "" {
						first = err.Error()
					}
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, local...)
			res.Errors += errs
			if res.FirstError == "" {
				res.FirstError = first
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Requests = int64(len(lats))
	res.RPS = float64(res.Requests) / res.Elapsed.Seconds()
	if len(lats) > 0 {
		slices.Sort(lats)
		pct := func(p float64) time.Duration { return lats[min(len(lats)-1, int(p*float64(len(lats))))] }
		res.P50, res.P90, res.P99, res.P999, res.Max = pct(0.50), pct(0.90), pct(0.99), pct(0.999), lats[len(lats)-1]
	}
	if res.Requests == 0 && res.Errors > 0 {
		return res, errors.New("discovery: every request failed: " + res.FirstError)
	}
	return res, nil
}

// call sends one DiscoverInstances request and reads the whole answer.
func call(ctx context.Context, client *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Route53AutoNaming_v20170314.DiscoverInstances")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, msg)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

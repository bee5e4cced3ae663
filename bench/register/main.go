// Command register measures durable RegisterInstance throughput through the
// HTTP API: it creates a namespace and a service, then N concurrent clients
// register distinct instances for a bounded time and count. Each
// registration is acknowledged only after it is durable (the operation
// record is fsynced before the reply).
//
//	go run ./cmd/cloudmap serve --data-dir /tmp/cm &
//	go run ./bench/register -url http://127.0.0.1:8080 -c 64 -d 10s
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one load run.
type Config struct {
	URL         string
	Concurrency int
	Duration    time.Duration
	MaxRequests int64
}

// Result is what a run measured.
type Result struct {
	Registrations int64
	Errors        int64
	Elapsed       time.Duration
	P50, P99      time.Duration
}

// PerSecond is the acknowledged registrations per second.
func (r Result) PerSecond() float64 { return float64(r.Registrations) / r.Elapsed.Seconds() }

func (r Result) String() string {
	return fmt.Sprintf("%d registrations in %v: %.0f/s, p50 %v, p99 %v, %d errors",
		r.Registrations, r.Elapsed.Round(time.Millisecond), r.PerSecond(), r.P50, r.P99, r.Errors)
}

func main() {
	var cfg Config
	flag.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "cloudmap API (loopback only)")
	flag.IntVar(&cfg.Concurrency, "c", 64, "concurrent clients")
	flag.DurationVar(&cfg.Duration, "d", 10*time.Second, "duration (at most 5m)")
	flag.Int64Var(&cfg.MaxRequests, "n", 1_000_000, "maximum registrations")
	flag.Parse()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "register:", err)
		os.Exit(1)
	}
	fmt.Println(res)
}

// Run creates a namespace and a service and registers instances until the
// duration or the count is reached.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := checkLoopback(cfg.URL); err != nil {
		return Result{}, err
	}
	if cfg.Duration <= 0 || cfg.Duration > 5*time.Minute {
		return Result{}, errors.New("duration must be in (0, 5m]")
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency}}
	serviceID, err := setup(ctx, client, cfg.URL)
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var (
		n, errs atomic.Int64
		mu      sync.Mutex
		lat     []time.Duration
		wg      sync.WaitGroup
	)
	start := time.Now()
	for w := 0; w < cfg.Concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var mine []time.Duration
			for i := 0; ctx.Err() == nil; i++ {
				if n.Load() >= cfg.MaxRequests {
					break
				}
				body := fmt.Sprintf(`{"ServiceId":%q,"InstanceId":"w%d-%d","Attributes":{"AWS_INSTANCE_IPV4":"10.%d.%d.%d","AWS_INSTANCE_PORT":"8080","az":"a","ver":"1"}}`,
					serviceID, w, i, w%250, (i/250)%250, i%250)
				t0 := time.Now()
				if _, err := call(ctx, client, cfg.URL, "RegisterInstance", body); err != nil {
					if ctx.Err() == nil {
						errs.Add(1)
					}
					continue
				}
				mine = append(mine, time.Since(t0))
				n.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	res := Result{Registrations: n.Load(), Errors: errs.Load(), Elapsed: time.Since(start)}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		res.P50, res.P99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return res, nil
}

func setup(ctx context.Context, client *http.Client, base string) (string, error) {
	name := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	out, err := call(ctx, client, base, "CreateHttpNamespace", fmt.Sprintf(`{"Name":%q}`, name))
	if err != nil {
		return "", err
	}
	var op struct{ OperationId string }
	json.Unmarshal(out, &op)
	var nsID string
	for deadline := time.Now().Add(10 * time.Second); nsID == "" && time.Now().Before(deadline); {
		out, err := call(ctx, client, base, "GetOperation", fmt.Sprintf(`{"OperationId":%q}`, op.OperationId))
		if err != nil {
			return "", err
		}
		var got struct {
			Operation struct {
				Status  string
				Targets map[string]string
			}
		}
		json.Unmarshal(out, &got)
		if got.Operation.Status == "SUCCESS" {
			nsID = got.Operation.Targets["NAMESPACE"]
		}
		time.Sleep(5 * time.Millisecond)
	}
	if nsID == "" {
		return "", errors.New("namespace creation did not finish")
	}
	out, err = call(ctx, client, base, "CreateService", fmt.Sprintf(`{"Name":"svc","NamespaceId":%q}`, nsID))
	if err != nil {
		return "", err
	}
	var svc struct{ Service struct{ Id string } }
	json.Unmarshal(out, &svc)
	return svc.Service.Id, nil
}

func call(ctx context.Context, client *http.Client, base, op, body string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base, bytes.NewBufferString(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Route53AutoNaming_v20170314."+op)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %d %s", op, resp.StatusCode, out)
	}
	return out, nil
}

func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	switch u.Hostname() {
	case "127.0.0.1", "localhost", "::1":
		return nil
	}
	return fmt.Errorf("refusing to load %s: loopback addresses only", u.Hostname())
}

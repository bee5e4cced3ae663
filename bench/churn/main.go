// Command churn shows that the data file stops growing once operations
// expire: it starts cloudmap in-process on the embedded store with a short
// --operation-retention, registers -instances instances, then re-registers
// each of them -rounds times through the HTTP API (every registration is
// one operation, with a request token like the SDKs send), and prints every
// -report operations the data file's size, the operation and idempotency
// records in the store and the file size per live instance. Bounded by the
// operation count and -max.
//
//	go run ./bench/churn                                   # 10,000 x 100 = 1,000,000 operations
//	go run ./bench/churn -instances 1000 -rounds 100 -report 10000 -retention 5s
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/bolt"
	"github.com/cloudmap/cloudmap/embed"
)

func main() {
	instances := flag.Int("instances", 10_000, "live instances")
	rounds := flag.Int("rounds", 100, "registrations of each instance")
	report := flag.Int("report", 100_000, "report every this many operations")
	retention := flag.Duration("retention", 10*time.Second, "--operation-retention")
	workers := flag.Int("c", 32, "concurrent clients")
	maxTime := flag.Duration("max", 30*time.Minute, "stop after this long whatever the count")
	flag.Parse()
	if err := run(*instances, *rounds, *report, *workers, *retention, *maxTime); err != nil {
		fmt.Fprintln(os.Stderr, "churn:", err)
		os.Exit(1)
	}
}

func run(instances, rounds, report, workers int, retention, maxTime time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), maxTime)
	defer cancel()
	dir, err := os.MkdirTemp("", "cloudmap-churn-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := embed.DefaultConfig()
	cfg.APIAddr, cfg.DNSAddr, cfg.DataDir = "127.0.0.1:0", "", dir
	cfg.OperationRetention = retention
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := embed.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	c := &client{url: srv.APIURL(), http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}}
	svcID, err := c.service(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%d instances x %d registrations, retention %v, %d clients\n", instances, rounds, retention, workers)
	fmt.Println("operations  elapsed  file MiB  op records  idempotency records  file bytes per live instance")
	total := int64(instances) * int64(rounds)
	var next, done, busy atomic.Int64
	var mu sync.Mutex
	reported := int64(0)
	start := time.Now()
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= total {
					return
				}
				err := c.register(ctx, svcID, fmt.Sprintf("i-%05d", i%int64(instances)), i)
				if errors.Is(err, errBusy) {
					busy.Add(1)
					continue // the previous registration of that instance still runs: skip it
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
				if n := done.Add(1); n%int64(report) == 0 {
					mu.Lock()
					if n > reported {
						reported = n
						line(srv, dir, n, time.Since(start), instances)
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	fmt.Printf("%d registrations in %v (%.0f/s), %d skipped as still in progress\n", done.Load(),
		time.Since(start).Round(time.Second), float64(done.Load())/time.Since(start).Seconds(), busy.Load())
	return ctx.Err()
}

// line prints one report.
func line(srv *embed.Server, dir string, ops int64, elapsed time.Duration, live int) {
	fi, err := os.Stat(filepath.Join(dir, bolt.FileName))
	if err != nil {
		fmt.Println("stat:", err)
		return
	}
	var opsN, idemN int
	srv.Store().View(context.Background(), func(tx cloudmap.ReadTx) error {
		opsN, _ = tx.Count("op/")
		idemN, _ = tx.Count("idem/")
		return nil
	})
	fmt.Printf("%10d  %7s  %8.1f  %10d  %19d  %d\n", ops, elapsed.Round(time.Second), float64(fi.Size())/(1<<20),
		opsN, idemN, fi.Size()/int64(live))
}

var errBusy = errors.New("busy")

type client struct {
	url  string
	http *http.Client
}

func (c *client) service(ctx context.Context) (string, error) {
	var op struct{ OperationId string }
	if err := c.do(ctx, "CreateHttpNamespace", map[string]any{"Name": "churn"}, &op); err != nil {
		return "", err
	}
	for {
		var out struct {
			Operation struct {
				Status  string
				Targets map[string]string
			}
		}
		if err := c.do(ctx, "GetOperation", map[string]any{"OperationId": op.OperationId}, &out); err != nil {
			return "", err
		}
		if out.Operation.Status == "SUCCESS" {
			var svc struct{ Service struct{ Id string } }
			err := c.do(ctx, "CreateService", map[string]any{"Name": "api", "NamespaceId": out.Operation.Targets["NAMESPACE"]}, &svc)
			return svc.Service.Id, err
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// register registers instance id with 4 attributes and a fresh request
// token, as the SDKs do.
func (c *client) register(ctx context.Context, svcID, id string, gen int64) error {
	return c.do(ctx, "RegisterInstance", map[string]any{
		"ServiceId": svcID, "InstanceId": id, "CreatorRequestId": rand.Text(),
		"Attributes": map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1", "AWS_INSTANCE_PORT": "8080",
			"zone": "us-east-1a", "gen": fmt.Sprint(gen)},
	}, nil)
}

func (c *client) do(ctx context.Context, op string, in, out any) error {
	body, _ := json.Marshal(in)
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
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		if bytes.Contains(b, []byte("DuplicateRequest")) {
			return errBusy
		}
		return fmt.Errorf("%s: HTTP %d: %s", op, resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

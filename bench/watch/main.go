// Command watch measures what long-poll waiters and change streams cost
// the server, and how fast a registration reaches them: it starts a
// cloudmap server in a child process (so that the memory measured is the
// server's alone), holds N long-polls (DiscoverInstancesRevision with
// X-Cloudmap-Index/X-Cloudmap-Wait) or N SSE streams (GET /v1/watch) spread
// over S services (S=1: every waiter on one service, the worst case), then
// registers an instance in a random service per round and records, for
// every waiter of that service, the time from the return of
// RegisterInstance to the moment the waiter has the change.
//
//	go run ./bench/watch -n 10000 -mode sse -rounds 5
//	go run ./bench/watch -n 10000 -mode longpoll -services 1000 -rounds 300
//
// Everything runs on 127.0.0.1 and ends after -rounds registrations or -d.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/cloudmap/cloudmap/bench/internal/child"
)

func main() {
	child.ServeIfChild(16000)
	var cfg Config
	flag.IntVar(&cfg.N, "n", 10000, "waiters or streams (at most 15000)")
	flag.StringVar(&cfg.Mode, "mode", "longpoll", "longpoll or sse")
	flag.IntVar(&cfg.Services, "services", 1, "services the waiters are spread over (1: all on one service)")
	flag.IntVar(&cfg.Rounds, "rounds", 5, "registrations, each in a random service (at most 1000)")
	flag.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write the server's CPU profile of the rounds to this file")
	flag.StringVar(&cfg.HeapProfile, "heapprofile", "", "write the server's heap profile with the waiters held to this file")
	flag.BoolVar(&cfg.SDKHeaders, "sdk", false, "long-polls carry the headers of an aws-sdk-go-v2 call (signature, user agent; not checked)")
	d := flag.Duration("d", 2*time.Minute, "give up after this long (at most 10m)")
	flag.Parse()
	if cfg.N < 1 || cfg.N > 15000 || cfg.Rounds < 1 || cfg.Rounds > 1000 || cfg.Services < 1 || cfg.Services > cfg.N ||
		*d > 10*time.Minute || (cfg.Mode != "longpoll" && cfg.Mode != "sse") {
		fmt.Fprintln(os.Stderr, "watch: -n 1..15000, -services 1..n, -rounds 1..1000, -d at most 10m, -mode longpoll|sse")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *d)
	defer cancel()
	res, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "watch:", err)
		os.Exit(1)
	}
	fmt.Println(res)
}

// call makes one API call and decodes the answer into out.
func call(ctx context.Context, c *http.Client, url, op string, in, out any, hdr ...string) error {
	body, _ := json.Marshal(in)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Route53AutoNaming_v20170314."+op)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %d %s", op, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// serviceName is the name of service i of n: "web" when there is one.
func serviceName(i, n int) string {
	if n == 1 {
		return "web"
	}
	return "web-" + strconv.Itoa(i)
}

// setup creates namespace "bench" and n services in it and returns their ids.
func setup(ctx context.Context, c *http.Client, url string, n int) ([]string, error) {
	var op struct{ OperationId string }
	if err := call(ctx, c, url, "CreateHttpNamespace", map[string]string{"Name": "bench"}, &op); err != nil {
		return nil, err
	}
	targets, err := waitOp(ctx, c, url, op.OperationId)
	if err != nil {
		return nil, err
	}
	ids := make([]string, n)
	for i := range ids {
		var svc struct{ Service struct{ Id string } }
		err := call(ctx, c, url, "CreateService", map[string]string{"Name": serviceName(i, n), "NamespaceId": targets["NAMESPACE"]}, &svc)
		if err != nil {
			return nil, err
		}
		ids[i] = svc.Service.Id
	}
	return ids, nil
}

func waitOp(ctx context.Context, c *http.Client, url, id string) (map[string]string, error) {
	for {
		var out struct {
			Operation struct {
				Status  string
				Targets map[string]string
			}
		}
		if err := call(ctx, c, url, "GetOperation", map[string]string{"OperationId": id}, &out); err != nil {
			return nil, err
		}
		switch out.Operation.Status {
		case "SUCCESS":
			return out.Operation.Targets, nil
		case "FAIL":
			return nil, fmt.Errorf("operation %s failed", id)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

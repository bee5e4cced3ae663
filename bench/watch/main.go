// Command watch measures what long-poll waiters and change streams cost
// the server, and how fast a registration reaches them: it starts a
// cloudmap server in a child process (so that the memory measured is the
// server's alone), holds N long-polls (DiscoverInstancesRevision with
// X-Cloudmap-Index/X-Cloudmap-Wait) or N SSE streams (GET /v1/watch) on
// one service, then registers instances and records, for every waiter,
// the time from the return of RegisterInstance (and from the operation's
// SUCCESS) to the moment the waiter has the change.
//
//	go run ./bench/watch -n 10000 -mode longpoll -rounds 5
//	go run ./bench/watch -n 10000 -mode sse -rounds 5
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
	"time"

	"github.com/cloudmap/cloudmap/bench/internal/child"
)

func main() {
	child.ServeIfChild(16000)
	n := flag.Int("n", 10000, "waiters or streams (at most 15000)")
	mode := flag.String("mode", "longpoll", "longpoll or sse")
	rounds := flag.Int("rounds", 5, "registrations (at most 100)")
	d := flag.Duration("d", 2*time.Minute, "give up after this long (at most 10m)")
	flag.Parse()
	if *n < 1 || *n > 15000 || *rounds < 1 || *rounds > 100 || *d > 10*time.Minute || (*mode != "longpoll" && *mode != "sse") {
		fmt.Fprintln(os.Stderr, "watch: -n 1..15000, -rounds 1..100, -d at most 10m, -mode longpoll|sse")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *d)
	defer cancel()
	res, err := Run(ctx, *mode, *n, *rounds)
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

// setup creates namespace "bench" and service "web" and returns its id.
func setup(ctx context.Context, c *http.Client, url string) (string, error) {
	var op struct{ OperationId string }
	if err := call(ctx, c, url, "CreateHttpNamespace", map[string]string{"Name": "bench"}, &op); err != nil {
		return "", err
	}
	targets, err := waitOp(ctx, c, url, op.OperationId)
	if err != nil {
		return "", err
	}
	var svc struct{ Service struct{ Id string } }
	err = call(ctx, c, url, "CreateService", map[string]string{"Name": "web", "NamespaceId": targets["NAMESPACE"]}, &svc)
	return svc.Service.Id, err
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

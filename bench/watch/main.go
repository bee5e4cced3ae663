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
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/cloudmap/cloudmap/embed"
)

func main() {
	child := flag.Bool("child", false, "run as the server (internal)")
	dataDir := flag.String("data-dir", "", "server data directory (child)")
	n := flag.Int("n", 10000, "waiters or streams (at most 15000)")
	mode := flag.String("mode", "longpoll", "longpoll or sse")
	rounds := flag.Int("rounds", 5, "registrations (at most 100)")
	d := flag.Duration("d", 2*time.Minute, "give up after this long (at most 10m)")
	flag.Parse()
	if *child {
		if err := serve(*dataDir, *n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
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

// serve is the child: a cloudmap server on a free loopback port, printing
// its URL, then its memory whenever a line arrives on stdin.
func serve(dir string, n int) error {
	cfg := embed.DefaultConfig()
	cfg.APIAddr, cfg.DNSAddr, cfg.DataDir = "127.0.0.1:0", "", dir
	cfg.MaxConnections = n + 256
	srv, err := embed.Start(context.Background(), cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Println("URL", srv.APIURL())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Println("STATS", rss(), ms.HeapInuse, ms.StackInuse, runtime.NumGoroutine())
	}
	return nil
}

// rss is the resident set of this process in bytes (Linux), else the
// memory the Go runtime holds from the OS.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Sys
}

// stats is one memory reading of the child.
type stats struct {
	RSS, Heap, Stack uint64
	Goroutines       int
}

type server struct {
	url   string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

func startChild(n int) (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cloudmap-bench-watch-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-child", "-data-dir", dir, "-n", strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	if !s.out.Scan() || !strings.HasPrefix(s.out.Text(), "URL ") {
		s.stop()
		return nil, errors.New("child did not start")
	}
	s.url = strings.TrimPrefix(s.out.Text(), "URL ")
	go func() { cmd.Wait(); os.RemoveAll(dir) }()
	return s, nil
}

func (s *server) stats() stats {
	fmt.Fprintln(s.stdin, "stats")
	var st stats
	if s.out.Scan() {
		fmt.Sscanf(s.out.Text(), "STATS %d %d %d %d", &st.RSS, &st.Heap, &st.Stack, &st.Goroutines)
	}
	return st
}

func (s *server) stop() {
	s.stdin.Close() // the child returns at the end of stdin
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

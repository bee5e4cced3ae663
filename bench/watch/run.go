package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cloudmap/cloudmap/bench/internal/child"
)

// Config is one run.
type Config struct {
	Mode        string // longpoll or sse
	N           int    // waiters
	Services    int    // the waiters are spread over this many services
	Rounds      int    // registrations, each in a random service
	CPUProfile  string // the server's CPU profile of the rounds
	HeapProfile string // the server's heap with the waiters held
	SDKHeaders  bool   // long-polls carry an aws-sdk-go-v2 call's headers (sdkHeaders)
}

// Result is what a run measured.
type Result struct {
	Config
	Burst      mem   // server memory with the waiters held, minus before, after one collection
	Held       mem   // the same after two (see child.Server.Settled)
	Rearmed    []mem // Held after every tenth round and the last (the waiters of its service re-armed)
	Deliveries int   // waiters that had a change
	FromReturn latency
	ServerCPU  time.Duration // the server's CPU time over the rounds
	Load       [2]string     // /proc/loadavg before and after
}

// mem is the server's memory, minus before the waiters.
type mem struct{ RSS, Heap, Live, Stack int64 }

type latency struct{ P50, P90, P99, Max time.Duration }

func (r Result) String() string {
	lo, hi := r.Held.RSS, r.Held.RSS
	for _, m := range r.Rearmed {
		lo, hi = min(lo, m.RSS), max(hi, m.RSS)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d waiters on %d service(s), %d rounds (load average %s -> %s)\n",
		r.Mode, r.N, r.Services, r.Rounds, r.Load[0], r.Load[1])
	fmt.Fprintf(&b, "  server memory held: +%.1f MB RSS (%.1f KB per waiter), +%.1f MB heap in use (+%.1f MB live), +%.1f MB stacks\n",
		mb(r.Held.RSS), float64(r.Held.RSS)/1024/float64(r.N), mb(r.Held.Heap), mb(r.Held.Live), mb(r.Held.Stack))
	fmt.Fprintf(&b, "  (after one collection only: +%.1f MB RSS, +%.1f MB live: sync.Pool's buffers of the requests that armed them)\n",
		mb(r.Burst.RSS), mb(r.Burst.Live))
	fmt.Fprintf(&b, "  server memory held over the run (armed, and every tenth round): +%.1f .. +%.1f MB RSS\n", mb(lo), mb(hi))
	fmt.Fprintf(&b, "  %d deliveries after RegisterInstance returns: p50 %v p90 %v p99 %v max %v\n",
		r.Deliveries, r.FromReturn.P50, r.FromReturn.P90, r.FromReturn.P99, r.FromReturn.Max)
	per := time.Duration(0)
	if r.Deliveries > 0 {
		per = r.ServerCPU / time.Duration(r.Deliveries)
	}
	fmt.Fprintf(&b, "  server CPU over the rounds: %v (%v per delivery, registration included)", r.ServerCPU.Round(time.Millisecond), per)
	return b.String()
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// Run measures one mode.
func Run(ctx context.Context, cfg Config) (Result, error) {
	res := Result{Config: cfg}
	res.Load[0] = loadavg()
	srv, err := child.Start()
	if err != nil {
		return res, err
	}
	defer srv.Stop()
	tr := &http.Transport{MaxIdleConnsPerHost: cfg.N + 16, DisableCompression: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	api := srv.URL + "/"
	svcIDs, err := setup(ctx, c, api, cfg.Services)
	if err != nil {
		return res, err
	}
	tr.CloseIdleConnections()
	before := srv.Settled()
	diff := func(st child.Stats) mem {
		return mem{int64(st.RSS) - int64(before.RSS), int64(st.Heap) - int64(before.Heap), int64(st.Live) - int64(before.Live),
			int64(st.Stack) - int64(before.Stack)}
	}

	// Waiter i watches service i % Services and reports on got[service].
	got := make([]chan time.Time, cfg.Services)
	count := make([]int, cfg.Services)
	for i := range cfg.N {
		count[i%cfg.Services]++
	}
	for s := range got {
		got[s] = make(chan time.Time, count[s])
	}
	armed := make(chan struct{}, cfg.N)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	for i := range cfg.N {
		s := i % cfg.Services
		name := serviceName(s, cfg.Services)
		switch cfg.Mode {
		case "sse":
			go streamWaiter(wctx, c, srv.URL, name, got[s], armed)
		default:
			go pollWaiter(wctx, c, api, name, got[s], armed, cfg.SDKHeaders)
		}
	}
	for range cfg.N { // every long-poll has its first answer, every stream its snapshot
		select {
		case <-armed:
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	// Connections the client opened while another was on its way back to
	// the idle pool are no waiters: idle, each costs the server a goroutine
	// and its buffers, and their number varies from run to run.
	tr.CloseIdleConnections()
	held, err := waitHeld(ctx, srv, cfg, before)
	if err != nil {
		return res, err
	}
	res.Burst, res.Held = diff(held[0]), diff(held[1])
	if cfg.HeapProfile != "" {
		srv.HeapProfile(cfg.HeapProfile)
	}

	var fromReturn []time.Duration
	cpu0 := srv.Stats(false).CPU
	if cfg.CPUProfile != "" {
		srv.CPUProfile(cfg.CPUProfile)
	}
	for r := range cfg.Rounds {
		s := rand.IntN(cfg.Services)
		in := map[string]any{"ServiceId": svcIDs[s], "InstanceId": "i-" + strconv.Itoa(r),
			"Attributes": map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1"}}
		if err := call(ctx, c, api, "RegisterInstance", in, nil); err != nil {
			return res, err
		}
		returned := time.Now()
		for range count[s] {
			select {
			case t := <-got[s]:
				fromReturn = append(fromReturn, max(0, t.Sub(returned)))
			case <-ctx.Done():
				return res, fmt.Errorf("round %d: %w", r, ctx.Err())
			}
		}
		// Every waiter of s is held again before the next round, and
		// every tenth round and at the last the memory is read.
		if r%10 == 9 || r == cfg.Rounds-1 {
			tr.CloseIdleConnections()
			st, err := waitHeld(ctx, srv, cfg, before)
			if err != nil {
				return res, err
			}
			res.Rearmed = append(res.Rearmed, diff(st[1]))
		} else if cfg.Mode == "sse" || cfg.Services > 1 {
			// Streams stay held; with waiters spread, the next round is
			// most likely on another service (its waiters are held), and
			// counting the server's descriptors costs it milliseconds of
			// CPU at 10,000.
			continue
		} else if _, err := waitHeldNoGC(ctx, srv, cfg, before); err != nil {
			return res, err
		}
	}
	if cfg.CPUProfile != "" {
		srv.CPUProfile("")
	}
	res.ServerCPU = srv.Stats(false).CPU - cpu0
	res.Deliveries, res.FromReturn = len(fromReturn), percentiles(fromReturn)
	res.Load[1] = loadavg()
	return res, nil
}

// waitHeld waits until the server holds every waiter (see waitHeldNoGC)
// and reads its memory after one collection and after two.
func waitHeld(ctx context.Context, srv *child.Server, cfg Config, base child.Stats) ([2]child.Stats, error) {
	if _, err := waitHeldNoGC(ctx, srv, cfg, base); err != nil {
		return [2]child.Stats{}, err
	}
	return [2]child.Stats{srv.Stats(true), srv.Settled()}, nil
}

// waitHeldNoGC waits until the server holds a connection per waiter and
// no request is in flight: parked long-polls and adopted streams hold no
// goroutine (a group of them, one per service, holds one); requests in
// flight do. Linux; elsewhere it returns at once.
func waitHeldNoGC(ctx context.Context, srv *child.Server, cfg Config, base child.Stats) (child.Stats, error) {
	n := cfg.N
	for {
		st := srv.Stats(false)
		// 1% slack: connections closing blur the count.
		if st.FDs == 0 || (st.FDs >= base.FDs+n-n/100 && st.Goroutines < base.Goroutines+cfg.Services+n/100+16) {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return child.Stats{}, fmt.Errorf("%d of %d waiters held (%d goroutines more than before): %w", st.FDs-base.FDs, n, st.Goroutines-base.Goroutines, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// pollWaiter long-polls DiscoverInstancesRevision of one service and
// reports every new revision; armed gets its first answer. With sdk its
// calls carry sdkHeaders.
func pollWaiter(ctx context.Context, c *http.Client, api, svc string, got chan<- time.Time, armed chan<- struct{}, sdk bool) {
	in := map[string]string{"NamespaceName": "bench", "ServiceName": svc}
	var extra []string
	if sdk {
		extra = sdkHeaders
	}
	var index int64
	for ctx.Err() == nil {
		var out struct{ InstancesRevision int64 }
		if err := call(ctx, c, api, "DiscoverInstancesRevision", in, &out, extra...); err == nil {
			index = out.InstancesRevision
			break
		}
	}
	armed <- struct{}{}
	for ctx.Err() == nil {
		var out struct{ InstancesRevision int64 }
		err := call(ctx, c, api, "DiscoverInstancesRevision", in, &out,
			append([]string{"X-Cloudmap-Index", strconv.FormatInt(index, 10), "X-Cloudmap-Wait", "10m"}, extra...)...)
		if err != nil {
			continue
		}
		if out.InstancesRevision != index {
			got <- time.Now()
			index = out.InstancesRevision
		}
	}
}

// streamWaiter reads one SSE stream and reports every change event.
func streamWaiter(ctx context.Context, c *http.Client, base, svc string, got chan<- time.Time, armed chan<- struct{}) {
	q := url.Values{"namespace": {"bench"}, "service": {svc}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/watch?"+q.Encode(), nil)
	resp, err := c.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	r := bufio.NewReaderSize(resp.Body, 512)
	for {
		line, err := r.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
		switch {
		case bytesHasPrefix(line, "event: snapshot"):
			armed <- struct{}{}
		case bytesHasPrefix(line, "event: change"):
			got <- time.Now()
		}
	}
}

func bytesHasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

func percentiles(d []time.Duration) latency {
	if len(d) == 0 {
		return latency{}
	}
	slices.Sort(d)
	at := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	return latency{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: d[len(d)-1]}
}

// sdkHeaders are the headers an aws-sdk-go-v2 call carries besides the
// operation's, of their usual sizes: a SigV4 Authorization (AWS's example
// key; the bench's server runs unsigned and reads only its credential
// scope's region), X-Amz-Date, the SDK's User-Agent and invocation
// headers.
var sdkHeaders = []string{
	"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261126/us-east-1/servicediscovery/aws4_request, " +
		"SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-date;x-amz-target;" +
		"x-cloudmap-index;x-cloudmap-wait, Signature=" + strings.Repeat("0f", 32),
	"X-Amz-Date", "20261126T060000Z",
	"User-Agent", "aws-sdk-go-v2/1.36.3 ua/2.1 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64 api/servicediscovery#1.35.0 m/E",
	"Amz-Sdk-Invocation-Id", "4f0e6a52-2b8c-4f0e-9d4b-6a1c2f3e4d5b",
	"Amz-Sdk-Request", "attempt=1; max=3",
}

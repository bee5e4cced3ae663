package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cloudmap/cloudmap/bench/internal/child"
)

// Result is what a run measured.
type Result struct {
	Mode        string
	Waiters     int
	Rounds      int
	ExtraRSS    int64 // server RSS with the waiters held, minus before
	ExtraHeap   int64
	ExtraStack  int64
	PerWaiter   int64   // ExtraRSS / Waiters
	FromReturn  latency // from RegisterInstance's return to each waiter
	FromSuccess latency // from GetOperation SUCCESS to each waiter
}

type latency struct{ P50, P99, Max time.Duration }

func (r Result) String() string {
	return fmt.Sprintf("%s: %d waiters, %d rounds\n"+
		"  server memory: +%.1f MB RSS (%.1f KB per waiter), +%.1f MB heap, +%.1f MB stacks\n"+
		"  after RegisterInstance returns: p50 %v p99 %v max %v\n"+
		"  after its operation is SUCCESS: p50 %v p99 %v max %v",
		r.Mode, r.Waiters, r.Rounds, mb(r.ExtraRSS), float64(r.PerWaiter)/1024, mb(r.ExtraHeap), mb(r.ExtraStack),
		r.FromReturn.P50, r.FromReturn.P99, r.FromReturn.Max, r.FromSuccess.P50, r.FromSuccess.P99, r.FromSuccess.Max)
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// Run measures one mode with n waiters over rounds registrations.
func Run(ctx context.Context, mode string, n, rounds int) (Result, error) {
	srv, err := child.Start()
	if err != nil {
		return Result{}, err
	}
	defer srv.Stop()
	tr := &http.Transport{MaxIdleConnsPerHost: n + 16, DisableCompression: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	api := srv.URL + "/"
	svcID, err := setup(ctx, c, api)
	if err != nil {
		return Result{}, err
	}
	var rev struct{ InstancesRevision int64 }
	if err := call(ctx, c, api, "DiscoverInstancesRevision", disc, &rev); err != nil {
		return Result{}, err
	}
	tr.CloseIdleConnections()
	before := srv.Stats(true)

	got := make(chan time.Time, n)
	armed := make(chan struct{}, n)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	for range n {
		switch mode {
		case "sse":
			go streamWaiter(wctx, c, srv.URL, got, armed)
		default:
			go pollWaiter(wctx, c, api, rev.InstancesRevision, got, armed)
		}
	}
	held, err := waitArmed(ctx, srv, mode, n, before, armed)
	if err != nil {
		return Result{}, err
	}
	res := Result{Mode: mode, Waiters: n, Rounds: rounds,
		ExtraRSS: int64(held.RSS) - int64(before.RSS), ExtraHeap: int64(held.Heap) - int64(before.Heap),
		ExtraStack: int64(held.Stack) - int64(before.Stack)}
	res.PerWaiter = res.ExtraRSS / int64(n)

	var fromReturn, fromSuccess []time.Duration
	for r := range rounds {
		var op struct{ OperationId string }
		in := map[string]any{"ServiceId": svcID, "InstanceId": "i-" + strconv.Itoa(r),
			"Attributes": map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1"}}
		if err := call(ctx, c, api, "RegisterInstance", in, &op); err != nil {
			return res, err
		}
		returned := time.Now()
		if _, err := waitOp(ctx, c, api, op.OperationId); err != nil {
			return res, err
		}
		success := time.Now()
		for range n {
			select {
			case t := <-got:
				fromReturn = append(fromReturn, max(0, t.Sub(returned)))
				fromSuccess = append(fromSuccess, max(0, t.Sub(success)))
			case <-ctx.Done():
				return res, fmt.Errorf("round %d: %w", r, ctx.Err())
			}
		}
		if _, err := waitArmed(ctx, srv, mode, n, before, nil); err != nil {
			return res, err
		}
	}
	res.FromReturn, res.FromSuccess = percentiles(fromReturn), percentiles(fromSuccess)
	return res, nil
}

var disc = map[string]string{"NamespaceName": "bench", "ServiceName": "web"}

// waitArmed waits until every waiter is held by the server: every stream
// has its snapshot, or the server holds a connection per long-poll again
// and no request is in flight (base: the server without them; Linux).
func waitArmed(ctx context.Context, srv *child.Server, mode string, n int, base child.Stats, armed chan struct{}) (child.Stats, error) {
	if mode == "sse" && armed != nil {
		for range n {
			select {
			case <-armed:
			case <-ctx.Done():
				return child.Stats{}, ctx.Err()
			}
		}
		return srv.Stats(true), nil
	}
	for {
		st := srv.Stats(false)
		// 1% slack: the setup's keep-alive connection and closing ones blur
		// the count. Parked long-polls hold no goroutine: requests still in
		// flight do.
		if mode == "sse" || (st.FDs >= base.FDs+n-n/100 && st.Goroutines < base.Goroutines+n/100+16) {
			return srv.Stats(true), nil
		}
		select {
		case <-ctx.Done():
			return child.Stats{}, fmt.Errorf("%d of %d waiters held: %w", st.FDs-base.FDs, n, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// pollWaiter long-polls DiscoverInstancesRevision and reports every new
// revision.
func pollWaiter(ctx context.Context, c *http.Client, api string, index int64, got chan<- time.Time, armed chan<- struct{}) {
	for ctx.Err() == nil {
		var out struct{ InstancesRevision int64 }
		err := call(ctx, c, api, "DiscoverInstancesRevision", disc, &out,
			"X-Cloudmap-Index", strconv.FormatInt(index, 10), "X-Cloudmap-Wait", "10m")
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
func streamWaiter(ctx context.Context, c *http.Client, base string, got chan<- time.Time, armed chan<- struct{}) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/watch?namespace=bench&service=web", nil)
	resp, err := c.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	r := bufio.NewReaderSize(resp.Body, 512)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch {
		case strings.HasPrefix(line, "event: snapshot"):
			armed <- struct{}{}
		case strings.HasPrefix(line, "event: change"):
			got <- time.Now()
		}
	}
}

func percentiles(d []time.Duration) latency {
	if len(d) == 0 {
		return latency{}
	}
	slices.Sort(d)
	at := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	return latency{P50: at(0.50), P99: at(0.99), Max: d[len(d)-1]}
}

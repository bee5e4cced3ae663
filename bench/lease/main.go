// Command lease measures what heartbeat leases cost the server: it starts
// cloudmap in a child process, registers N instances in a service with
// cloudmap.lease-seconds (three renewal periods), and renews every instance every -every through
// UpdateInstanceCustomHealthStatus HEALTHY, then reports the server's CPU
// time per second of wall time (a fraction of one core), beside the same
// request rate of DiscoverInstancesRevision (a read that touches nothing)
// and the idle server, all measured in the same run.
//
//	go run ./bench/lease -n 10000 -every 5s -d 15s
//
// It checks that the renewals changed nothing durable (the service's
// InstancesRevision did not move) and that no instance expired. Everything
// runs on 127.0.0.1 and ends after -d per phase.
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
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudmap/cloudmap/bench/internal/child"
)

func main() {
	child.ServeIfChild(4096)
	n := flag.Int("n", 10000, "leased instances (at most 100000)")
	every := flag.Duration("every", 5*time.Second, "renewal period of each instance")
	d := flag.Duration("d", 15*time.Second, "duration of each phase (at most 2m)")
	c := flag.Int("c", 64, "concurrent clients")
	flag.Parse()
	if *n < 1 || *n > 100000 || *d > 2*time.Minute || *every <= 0 || *c < 1 || *c > 256 {
		fmt.Fprintln(os.Stderr, "lease: -n 1..100000, -d at most 2m, -every > 0, -c 1..256")
		os.Exit(2)
	}
	if err := run(*n, *every, *d, *c); err != nil {
		fmt.Fprintln(os.Stderr, "lease:", err)
		os.Exit(1)
	}
}

func run(n int, every, d time.Duration, c int) error {
	srv, err := child.Start()
	if err != nil {
		return err
	}
	defer srv.Stop()
	api := &client{url: srv.URL + "/", http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c}}}
	ctx := context.Background()
	svcID, err := api.setup(ctx, n, c)
	if err != nil {
		return err
	}
	rev0, err := api.revision(ctx)
	if err != nil {
		return err
	}
	rate := float64(n) / every.Seconds()
	fmt.Printf("%d leased instances, each renewed every %v: %.0f renewals/s, %d clients, %v per phase\n", n, every, rate, c, d)

	idle := measure(srv, d, func(stop <-chan struct{}) int64 { <-stop; return 0 })
	fmt.Printf("  idle server:                          %5.1f%% of a core\n", 100*idle.core)

	read := measure(srv, d, func(stop <-chan struct{}) int64 {
		return paced(stop, n, rate, c, func(int) error {
			return api.call(ctx, "DiscoverInstancesRevision", discover, nil)
		})
	})
	fmt.Printf("  reference, DiscoverInstancesRevision at the same rate: %5.1f%% of a core (%d calls, %.0f/s)\n",
		100*read.core, read.calls, read.perSecond)
	// The leases start now: every instance gets its grace period from here,
	// and the renewals start at once.
	if err := api.call(ctx, "UpdateServiceAttributes", map[string]any{"ServiceId": svcID,
		"Attributes": map[string]string{"cloudmap.lease-seconds": strconv.Itoa(int(3 * every.Seconds()))}}, nil); err != nil {
		return err
	}
	renew := measure(srv, d, func(stop <-chan struct{}) int64 {
		return paced(stop, n, rate, c, func(i int) error {
			return api.call(ctx, "UpdateInstanceCustomHealthStatus", map[string]string{"ServiceId": svcID,
				"InstanceId": "i-" + strconv.Itoa(i), "Status": "HEALTHY"}, nil)
		})
	})
	fmt.Printf("  renewals (UpdateInstanceCustomHealthStatus HEALTHY): %5.1f%% of a core (%d calls, %.0f/s)\n",
		100*renew.core, renew.calls, renew.perSecond)

	fmt.Printf("  renewals / reference CPU: %.2f\n", renew.core/read.core)

	rev1, err := api.revision(ctx)
	if err != nil {
		return err
	}
	var unhealthy struct{ Instances []json.RawMessage }
	if err := api.call(ctx, "DiscoverInstances", map[string]any{"NamespaceName": "bench", "ServiceName": "leased",
		"HealthStatus": "UNHEALTHY", "MaxResults": 1000}, &unhealthy); err != nil {
		return err
	}
	fmt.Printf("  InstancesRevision before %d, after %d (unchanged: nothing durable written); %d instances UNHEALTHY\n",
		rev0, rev1, len(unhealthy.Instances))
	if rev0 != rev1 || len(unhealthy.Instances) > 0 {
		return errors.New("renewals wrote something or leases expired")
	}
	return nil
}

var discover = map[string]string{"NamespaceName": "bench", "ServiceName": "leased"}

type phase struct {
	core      float64 // server CPU seconds per wall second
	calls     int64
	perSecond float64
}

// measure runs load for d and reads the server's CPU time around it.
func measure(srv *child.Server, d time.Duration, load func(stop <-chan struct{}) int64) phase {
	stop := make(chan struct{})
	done := make(chan int64)
	before := srv.Stats(false)
	start := time.Now()
	go func() { done <- load(stop) }()
	time.Sleep(d)
	close(stop)
	calls := <-done
	wall := time.Since(start)
	after := srv.Stats(false)
	return phase{core: (after.CPU - before.CPU).Seconds() / wall.Seconds(), calls: calls,
		perSecond: float64(calls) / wall.Seconds()}
}

// paced calls f for instances 0..n-1 in turn at rate per second over c
// clients until stop; it returns the number of calls made.
func paced(stop <-chan struct{}, n int, rate float64, c int, f func(i int) error) int64 {
	jobs := make(chan int, c)
	var calls atomic.Int64
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for i := range jobs {
				if f(i) == nil {
					calls.Add(1)
				}
			}
		})
	}
	start := time.Now()
	tick := time.NewTicker(time.Millisecond)
	sent := 0
loop:
	for {
		select {
		case <-stop:
			break loop
		case <-tick.C:
			for due := int(time.Since(start).Seconds() * rate); sent < due; sent++ {
				select {
				case jobs <- sent % n:
				case <-stop:
					break loop
				}
			}
		}
	}
	tick.Stop()
	close(jobs)
	wg.Wait()
	return calls.Load()
}

type client struct {
	url  string
	http *http.Client
}

func (c *client) call(ctx context.Context, op string, in, out any) error {
	body, _ := json.Marshal(in)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Route53AutoNaming_v20170314."+op)
	resp, err := c.http.Do(req)
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

func (c *client) revision(ctx context.Context) (int64, error) {
	var out struct{ InstancesRevision int64 }
	err := c.call(ctx, "DiscoverInstancesRevision", discover, &out)
	return out.InstancesRevision, err
}

// setup creates the namespace, the service (custom health, its lease set
// later) and n instances.
func (c *client) setup(ctx context.Context, n, conc int) (string, error) {
	var op struct{ OperationId string }
	if err := c.call(ctx, "CreateHttpNamespace", map[string]string{"Name": "bench"}, &op); err != nil {
		return "", err
	}
	targets, err := c.waitOp(ctx, op.OperationId)
	if err != nil {
		return "", err
	}
	var svc struct{ Service struct{ Id string } }
	if err := c.call(ctx, "CreateService", map[string]any{"Name": "leased", "NamespaceId": targets["NAMESPACE"],
		"HealthCheckCustomConfig": map[string]any{}}, &svc); err != nil {
		return "", err
	}
	id := svc.Service.Id
	var failed atomic.Int64
	var wg sync.WaitGroup
	next := make(chan int)
	for range conc {
		wg.Go(func() {
			for i := range next {
				var op struct{ OperationId string }
				err := c.call(ctx, "RegisterInstance", map[string]any{"ServiceId": id, "InstanceId": "i-" + strconv.Itoa(i),
					"Attributes": map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1"}}, &op)
				if err == nil {
					_, err = c.waitOp(ctx, op.OperationId)
				}
				if err != nil {
					failed.Add(1)
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if failed.Load() > 0 {
		return "", fmt.Errorf("%d registrations failed", failed.Load())
	}
	return id, nil
}

func (c *client) waitOp(ctx context.Context, id string) (map[string]string, error) {
	for range 10000 {
		var out struct {
			Operation struct {
				Status  string
				Targets map[string]string
			}
		}
		if err := c.call(ctx, "GetOperation", map[string]string{"OperationId": id}, &out); err != nil {
			return nil, err
		}
		switch out.Operation.Status {
		case "SUCCESS":
			return out.Operation.Targets, nil
		case "FAIL":
			return nil, fmt.Errorf("operation %s failed", id)
		}
		time.Sleep(time.Millisecond)
	}
	return nil, fmt.Errorf("operation %s did not finish", id)
}

package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap/acceptance"
)

// normal is the traffic whose latency the soak reports: registrations,
// discovery, DNS queries and a list, at a fixed rate (open loop), from
// 127.0.0.1.
type normal struct {
	client    *sd.Client
	dnsAddr   string
	serviceID string
	rate      int
	clients   int

	mu       sync.Mutex
	lat      map[string][]time.Duration
	firstErr []string // the first few errors, for the report
	errs     atomic.Int64
	seq      atomic.Int64
}

// setupNormal creates the namespace and service the normal traffic uses.
func setupNormal(ctx context.Context, s *server, rate, clients int) (*normal, error) {
	c := acceptance.NewClient(s.api, s.keyID, s.secret)
	out, err := c.CreatePrivateDnsNamespace(ctx, &sd.CreatePrivateDnsNamespaceInput{Name: aws.String("soak.local"), Vpc: aws.String("vpc-1")})
	if err != nil {
		return nil, err
	}
	nsID, err := waitOp(ctx, c, *out.OperationId)
	if err != nil {
		return nil, err
	}
	svc, err := c.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: &nsID,
		DnsConfig: &types.DnsConfig{RoutingPolicy: types.RoutingPolicyMultivalue,
			DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(10)}}}})
	if err != nil {
		return nil, err
	}
	for i := range 10 { // DNS and discovery have answers from the start
		id := fmt.Sprintf("i-%d", i)
		out, err := c.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: svc.Service.Id, InstanceId: &id,
			Attributes: map[string]string{"AWS_INSTANCE_IPV4": fmt.Sprintf("10.0.0.%d", i+1)}})
		if err != nil {
			return nil, err
		}
		if _, err := waitOp(ctx, c, *out.OperationId); err != nil {
			return nil, err
		}
	}
	return &normal{client: c, dnsAddr: s.dns, serviceID: *svc.Service.Id, rate: rate, clients: clients,
		lat: map[string][]time.Duration{}}, nil
}

// waitOp polls an operation until it is final and returns its target.
func waitOp(ctx context.Context, c *sd.Client, id string) (string, error) {
	for range 1000 {
		op, err := c.GetOperation(ctx, &sd.GetOperationInput{OperationId: &id})
		if err != nil {
			return "", err
		}
		switch op.Operation.Status {
		case types.OperationStatusSuccess:
			for _, v := range op.Operation.Targets {
				return v, nil
			}
			return "", nil
		case types.OperationStatusFail:
			return "", fmt.Errorf("operation %s failed: %s", id, aws.ToString(op.Operation.ErrorMessage))
		}
		time.Sleep(10 * time.Millisecond)
	}
	return "", fmt.Errorf("operation %s not final", id)
}

// run sends requests at the configured rate until ctx ends.
func (n *normal) run(ctx context.Context) {
	var wg sync.WaitGroup
	every := time.Duration(int64(time.Second) * int64(n.clients) / int64(max(1, n.rate)))
	for w := range n.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(every)
			defer t.Stop()
			dc := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
			for i := w; ; i++ {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				n.one(ctx, dc, i)
			}
		}()
	}
	wg.Wait()
}

// one sends the i-th request of the mix.
func (n *normal) one(ctx context.Context, dc *dns.Client, i int) {
	kinds := [...]string{"register", "discover", "dns", "discover", "dns", "list"}
	kind := kinds[i%len(kinds)]
	start := time.Now()
	var err error
	switch kind {
	case "register":
		id := fmt.Sprintf("i-%d", n.seq.Add(1)%200)
		_, err = n.client.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: &n.serviceID, InstanceId: &id,
			Attributes: map[string]string{"AWS_INSTANCE_IPV4": fmt.Sprintf("10.0.%d.%d", i%200, i%250+1)}})
	case "discover":
		_, err = n.client.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("soak.local"),
			ServiceName: aws.String("web"), HealthStatus: types.HealthStatusFilterAll})
	case "dns":
		q := new(dns.Msg)
		q.SetQuestion("web.soak.local.", dns.TypeA)
		var r *dns.Msg
		r, _, err = dc.ExchangeContext(ctx, q, n.dnsAddr)
		if err == nil && r.Rcode != dns.RcodeSuccess {
			err = fmt.Errorf("rcode %s", dns.RcodeToString[r.Rcode])
		}
	case "list":
		_, err = n.client.ListServices(ctx, &sd.ListServicesInput{})
	}
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		n.errs.Add(1)
		n.mu.Lock()
		if len(n.firstErr) < 3 {
			n.firstErr = append(n.firstErr, kind+": "+err.Error())
		}
		n.mu.Unlock()
		return
	}
	d := time.Since(start)
	n.mu.Lock()
	n.lat[kind] = append(n.lat[kind], d)
	n.mu.Unlock()
}

// latencies returns the count, p50 and p99 of all kinds together.
func (n *normal) latencies() (int, time.Duration, time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var all []time.Duration
	for _, l := range n.lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return 0, 0, 0
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return len(all), all[len(all)/2], all[len(all)*99/100]
}

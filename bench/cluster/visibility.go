package cluster

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// VisibilityResult is how long writes on one node took to show on another.
type VisibilityResult struct {
	// AfterSuccess runs from GetOperation reporting SUCCESS on the writer
	// to the reader's DiscoverInstances listing the instance (0 when the
	// reader already listed it); AfterSuccessDNS to the reader's DNS
	// answering its A record.
	AfterSuccess, AfterSuccessDNS Latencies
	// AfterAck runs from RegisterInstance answering on the writer to the
	// reader listing the instance: it includes the operations worker.
	AfterAck Latencies
}

func (r VisibilityResult) String() string {
	return fmt.Sprintf("after SUCCESS on the writer: discovery %v; dns %v; after the RegisterInstance reply: discovery %v",
		r.AfterSuccess, r.AfterSuccessDNS, r.AfterAck)
}

// pollEvery is the pause between two polls of one probe.
const pollEvery = 100 * time.Microsecond

// Visibility takes samples registrations on writer, one at a time, each in
// a new A-record service of the private DNS namespace nsID (named ns), and
// times when the writer reports SUCCESS and when reader (API) and
// readerDNS (its DNS address) show the instance. Each sample is bounded by
// timeout.
func Visibility(ctx context.Context, writer, reader *Client, readerDNS, nsID, ns string, samples int, timeout time.Duration) (VisibilityResult, error) {
	var succ, succDNS, ack []time.Duration
	for i := range samples {
		svc := fmt.Sprintf("vis%d", i)
		var out struct{ Service struct{ Id string } }
		err := writer.Do(ctx, "CreateService", map[string]any{"Name": svc, "NamespaceId": nsID,
			"DnsConfig": map[string]any{"RoutingPolicy": "MULTIVALUE",
				"DnsRecords": []map[string]any{{"Type": "A", "TTL": 5}}}}, &out)
		if err != nil {
			return VisibilityResult{}, err
		}
		ip := fmt.Sprintf("10.77.%d.%d", i>>8&255, i&255)
		s, err := sample(ctx, writer, reader, readerDNS, out.Service.Id, ns, svc, ip, timeout)
		if err != nil {
			return VisibilityResult{}, fmt.Errorf("sample %d: %w", i, err)
		}
		succ = append(succ, max(0, s.disc.Sub(s.success)))
		succDNS = append(succDNS, max(0, s.dns.Sub(s.success)))
		ack = append(ack, s.disc.Sub(s.ack))
	}
	return VisibilityResult{AfterSuccess: summarize(succ), AfterSuccessDNS: summarize(succDNS),
		AfterAck: summarize(ack)}, nil
}

// moments are the instants of one sample.
type moments struct{ ack, success, disc, dns time.Time }

// sample registers one instance and polls the three probes concurrently.
func sample(ctx context.Context, writer, reader *Client, readerDNS, svcID, ns, svc, ip string, timeout time.Duration) (moments, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var m moments
	id := "i-" + svc
	opID, err := writer.Register(ctx, svcID, id, ip)
	if err != nil {
		return m, err
	}
	m.ack = time.Now()
	probes := []struct {
		at   *time.Time
		done func() (bool, error)
	}{
		{&m.success, func() (bool, error) {
			st, err := writer.Status(ctx, opID)
			return st == "SUCCESS", err
		}},
		{&m.disc, func() (bool, error) { return reader.Discovers(ctx, ns, svc, id) }},
		{&m.dns, func() (bool, error) { return answersA(readerDNS, svc+"."+ns, ip) }},
	}
	errs := make([]error, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Go(func() {
			for {
				ok, err := p.done()
				if ok {
					*p.at = time.Now()
					return
				}
				if ctx.Err() != nil {
					errs[i] = fmt.Errorf("%s not visible: %w (last error %v)", id, ctx.Err(), err)
					return
				}
				time.Sleep(pollEvery)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return m, err
		}
	}
	return m, nil
}

// answersA reports whether the DNS server at addr answers name with ip.
func answersA(addr, name, ip string) (bool, error) {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), dns.TypeA)
	c := &dns.Client{Timeout: time.Second}
	r, _, err := c.Exchange(q, addr)
	if err != nil {
		return false, err
	}
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok && a.A.String() == ip {
			return true, nil
		}
	}
	return false, nil
}

package acceptance_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap/acceptance"
)

// distinctA counts the distinct A records of r.
func distinctA(r *dns.Msg) int {
	seen := map[string]bool{}
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			seen[a.A.String()] = true
		}
	}
	return len(seen)
}

func TestDNS_MaxAnswersAttribute(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createPrivateNamespace(t, n, "example.local", 30)
	svc := createService(t, n, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: &nsID,
		DnsConfig: &types.DnsConfig{RoutingPolicy: types.RoutingPolicyMultivalue, DnsRecords: []types.DnsRecord{
			{Type: types.RecordTypeA, TTL: aws.Int64(60)}}}})
	var ops []string
	for i := range 60 {
		out, err := n.Client.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: svc.Id,
			InstanceId: aws.String(fmt.Sprint("web-", i)), Attributes: map[string]string{"AWS_INSTANCE_IPV4": fmt.Sprint("10.0.0.", i+1)}})
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, *out.OperationId)
	}
	for _, id := range ops {
		n.WaitOperation(t, id)
	}

	// Without the attribute: Route 53's 8.
	if got := distinctA(n.Query(t, "tcp", "web.example.local", dns.TypeA)); got != 8 {
		t.Fatalf("default MULTIVALUE answer has %d records, want 8", got)
	}
	_, err := n.Client.UpdateServiceAttributes(ctx, &sd.UpdateServiceAttributesInput{ServiceId: svc.Id,
		Attributes: map[string]string{"cloudmap.dns-max-answers": "50"}})
	if err != nil {
		t.Fatal(err)
	}
	// 50 A records do not fit 512 bytes of plain UDP: truncated, nothing partial.
	r := n.Query(t, "udp", "web.example.local", dns.TypeA)
	if !r.Truncated || len(r.Answer) != 0 {
		t.Fatalf("UDP without EDNS: tc=%v with %d answers, want tc and none", r.Truncated, len(r.Answer))
	}
	// TCP gets them all.
	if got := distinctA(n.Query(t, "tcp", "web.example.local", dns.TypeA)); got != 50 {
		t.Fatalf("TCP answer has %d records, want 50", got)
	}
	// UDP with EDNS0 (1232 bytes) fits them.
	m := new(dns.Msg)
	m.SetQuestion("web.example.local.", dns.TypeA)
	m.SetEdns0(1232, false)
	r, _, err = (&dns.Client{Net: "udp", Timeout: 5 * time.Second}).Exchange(m, n.DNSAddr())
	if err != nil {
		t.Fatal(err)
	}
	if r.Truncated || distinctA(r) != 50 {
		t.Fatalf("UDP with EDNS0: tc=%v with %d records, want 50", r.Truncated, distinctA(r))
	}
	// A miekg client that retries over TCP on TC gets the whole answer too.
	if got := distinctA(queryRetryTCP(t, n.DNSAddr(), "web.example.local.")); got != 50 {
		t.Fatalf("after the TCP retry: %d records, want 50", got)
	}
}

// queryRetryTCP is a stub resolver's behaviour: UDP, then TCP when truncated.
func queryRetryTCP(t *testing.T, addr, name string) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	r, _, err := (&dns.Client{Net: "udp", Timeout: 5 * time.Second}).Exchange(m, addr)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Truncated {
		return r
	}
	if r, _, err = (&dns.Client{Net: "tcp", Timeout: 5 * time.Second}).Exchange(m, addr); err != nil {
		t.Fatal(err)
	}
	return r
}

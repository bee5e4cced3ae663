package view_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"testing"

	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/dnsserver"
	"github.com/cloudmap/cloudmap/storetest/memstore"
	"github.com/cloudmap/cloudmap/view"
)

// Tenancy must not cost the hot paths: the same 100 private DNS
// namespaces team-<n>.internal, each with the service "web" of 1,000
// instances (100,000 in all), either all in the default cell or one per
// cell (100 cells: accounts 1000000000nn in eu-west-1). Discovery runs in
// the namespace's cell; DNS answers a client of the private networks.
// Compare the cells=1 and cells=100 figures of one run (cpu-ns/op, the
// process's CPU time per call, varies less than ns/op on a shared machine):
//
//	go test ./view/ -run '^$' -bench 'BenchmarkView_Cells$' -benchtime 100ms -count 30
const (
	benchCells        = 100
	benchCellInstance = 1000
)

// cellPopulation returns the records of the benchmark, keyed in one cell
// (cells false) or one cell per namespace.
func cellPopulation(cells bool) (map[string][]byte, []context.Context) {
	kv := map[string][]byte{}
	ctxs := make([]context.Context, benchCells)
	for c := range benchCells {
		prefix := ""
		ctxs[c] = context.Background()
		if cells {
			cell := cloudmap.Cell{Account: fmt.Sprintf("1000000000%02d", c), Region: "eu-west-1"}
			prefix, ctxs[c] = cell.KeyPrefix(), cloudmap.WithCell(context.Background(), cell)
		}
		nsID, svcID, name := fmt.Sprintf("ns-%d", c), fmt.Sprintf("srv-%d", c), fmt.Sprintf("team-%d.internal", c)
		kv[prefix+cloudmap.NamespaceKey(nsID)] = cloudmap.Encode(&cloudmap.Namespace{Id: nsID, Name: name,
			Type: cloudmap.NamespaceDNSPrivate, Vpc: "vpc-1",
			Properties: cloudmap.NamespaceProperties{HttpProperties: &cloudmap.HttpProperties{HttpName: name},
				DnsProperties: &cloudmap.DnsProperties{HostedZoneId: fmt.Sprintf("Z%d", c), SOA: cloudmap.NewSOA(60)}}})
		s := service(svcID, nsID, "web", "")
		s.Type = cloudmap.ServiceDNSHTTP
		s.DnsConfig = &cloudmap.DnsConfig{RoutingPolicy: cloudmap.RoutingMultivalue,
			DnsRecords: []cloudmap.DnsRecord{{Type: cloudmap.RecordA, TTL: 60}}}
		kv[prefix+cloudmap.ServiceKey(svcID)] = cloudmap.Encode(s)
		for i := range benchCellInstance {
			iid := fmt.Sprintf("i-%d", i)
			kv[prefix+cloudmap.InstanceKey(svcID, iid)] = cloudmap.Encode(&cloudmap.Instance{Id: iid, ServiceId: svcID,
				Attributes: map[string]string{cloudmap.AttrIPv4: fmt.Sprintf("10.%d.%d.%d", c, i/256, i%256), "stage": "prod"}})
		}
	}
	return kv, ctxs
}

// cellViews are the two populations, loaded once per process and kept, so
// that -count interleaves the four measurements finely (the machine's
// load drifts) and both run with the same heap.
var cellViews struct {
	once  sync.Once
	views [2]*view.View
	ctxs  [2][]context.Context
}

func loadCellViews(b *testing.B) {
	cellViews.once.Do(func() {
		for i, cells := range []bool{false, true} {
			kv, ctxs := cellPopulation(cells)
			st := memstore.New()
			st.Load(kv)
			v := view.New(st, nil)
			if err := v.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			cellViews.views[i], cellViews.ctxs[i] = v, ctxs
		}
		runtime.GC()
	})
}

func BenchmarkView_Cells(b *testing.B) {
	loadCellViews(b)
	names := make([]string, benchCells)
	msgs := make([]*dns.Msg, benchCells)
	for c := range names {
		names[c] = fmt.Sprintf("team-%d.internal", c)
		msgs[c] = new(dns.Msg)
		msgs[c].SetQuestion("web."+names[c]+".", dns.TypeA)
	}
	client := netip.MustParseAddr("10.9.9.9")
	for i, n := range []int{1, benchCells} {
		v, ctxs := cellViews.views[i], cellViews.ctxs[i]
		b.Run(fmt.Sprintf("discover/cells=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			in := &cloudmap.DiscoverInstancesInput{ServiceName: "web", MaxResults: 10}
			cpu := cpuTime()
			for b.Loop() {
				c := rand.IntN(benchCells)
				in.NamespaceName = names[c]
				out, err := v.DiscoverInstances(ctxs[c], in)
				if err != nil || len(out.Instances) != 10 {
					b.Fatalf("DiscoverInstances: %v", err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
	for i, n := range []int{1, benchCells} {
		srv := dnsserver.New(cellViews.views[i], dnsserver.Config{})
		b.Run(fmt.Sprintf("dns/cells=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if r := srv.Answer(msgs[rand.IntN(benchCells)], client, 512); len(r.Answer) != 8 {
					b.Fatalf("%d answers", len(r.Answer))
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkView_CellsSharedName: the 100 cells all name their private
// namespace team.internal, each for its own declared VPC (10.<n>.0.0/16),
// and a client of a random VPC asks. A name shared by k cells costs a scan
// of up to k namespaces per query; compare with BenchmarkView_Cells dns.
func BenchmarkView_CellsSharedName(b *testing.B) {
	kv := map[string][]byte{}
	vpcs := map[string][]netip.Prefix{}
	for c := range benchCells {
		cell := cloudmap.Cell{Account: fmt.Sprintf("1000000000%02d", c), Region: "eu-west-1"}
		p, vpc := cell.KeyPrefix(), fmt.Sprintf("vpc-%d", c)
		vpcs[vpc] = []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(c), 0, 0}), 16)}
		nsID, svcID := fmt.Sprintf("ns-%d", c), fmt.Sprintf("srv-%d", c)
		kv[p+cloudmap.NamespaceKey(nsID)] = cloudmap.Encode(&cloudmap.Namespace{Id: nsID, Name: "team.internal",
			Type: cloudmap.NamespaceDNSPrivate, Vpc: vpc,
			Properties: cloudmap.NamespaceProperties{HttpProperties: &cloudmap.HttpProperties{HttpName: "team.internal"},
				DnsProperties: &cloudmap.DnsProperties{HostedZoneId: fmt.Sprintf("Z%d", c), SOA: cloudmap.NewSOA(60)}}})
		s := service(svcID, nsID, "web", "")
		s.Type = cloudmap.ServiceDNSHTTP
		s.DnsConfig = &cloudmap.DnsConfig{RoutingPolicy: cloudmap.RoutingMultivalue,
			DnsRecords: []cloudmap.DnsRecord{{Type: cloudmap.RecordA, TTL: 60}}}
		kv[p+cloudmap.ServiceKey(svcID)] = cloudmap.Encode(s)
		for i := range benchCellInstance {
			iid := fmt.Sprintf("i-%d", i)
			kv[p+cloudmap.InstanceKey(svcID, iid)] = cloudmap.Encode(&cloudmap.Instance{Id: iid, ServiceId: svcID,
				Attributes: map[string]string{cloudmap.AttrIPv4: fmt.Sprintf("10.%d.%d.%d", c, i/256, i%256)}})
		}
	}
	_, v := startLoaded(b, kv)
	srv := dnsserver.New(v, dnsserver.Config{VPCs: vpcs})
	q := new(dns.Msg)
	q.SetQuestion("web.team.internal.", dns.TypeA)
	clients := make([]netip.Addr, benchCells)
	for c := range clients {
		clients[c] = netip.AddrFrom4([4]byte{10, byte(c), 9, 9})
	}
	runtime.GC()
	b.ReportAllocs()
	for b.Loop() {
		c := rand.IntN(benchCells)
		r := srv.Answer(q, clients[c], 512)
		if len(r.Answer) != 8 || r.Answer[0].(*dns.A).A[1] != byte(c) {
			b.Fatalf("client of vpc-%d: %v", c, r.Answer)
		}
	}
}

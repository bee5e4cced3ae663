package dns_test

import (
	"context"
	"testing"
	"time"

	benchdns "github.com/cloudmap/cloudmap/bench/dns"
)

// TestCompare runs a small comparison: both servers answer every query,
// none is lost, and a change is answered by the next query.
func TestCompare(t *testing.T) {
	res, err := benchdns.Compare(context.Background(), benchdns.CompareConfig{
		Services: 200, InstancesPerService: 10, Workers: 2, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]benchdns.Result{"trivial": res.Trivial, "cloudmap": res.Cloudmap} {
		// UDP on a loaded machine may drop or delay a reply past the
		// timeout: a loss is counted, not an error, and stays rare.
		if r.Received == 0 || r.Errors != 0 || r.Received+r.Lost != r.Sent || r.Lost*100 > r.Sent {
			t.Errorf("%s: %v, want every query answered or counted lost (under 1%%), no errors", name, r)
		}
	}
	if !res.Fresh {
		t.Error("a change was not answered by the next query")
	}
}

// TestRun_countBound: the run stops after MaxQueries.
func TestRun_countBound(t *testing.T) {
	triv, err := benchdns.StartTrivial("127.0.0.1:0", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer triv.Close()
	res := benchdns.Run(context.Background(), benchdns.Config{Addr: triv.Addr().String(), Workers: 4,
		MaxQueries: 100, Duration: time.Minute})
	if got, want := res.Sent, int64(100); got != want || res.Received != want || res.Errors != 0 {
		t.Errorf("%v, want 100 sent and received", res)
	}
}

// BenchmarkCompare reports cloudmap's rate as a fraction of the trivial
// responder's (metric "ratio"), with 10,000 services and 100,000 instances.
// Each b.N runs two alternating 2-second rounds per server; use -benchtime=1x.
func BenchmarkCompare(b *testing.B) {
	for _, sockets := range []int{1, 2} {
		b.Run(map[int]string{1: "one-socket", 2: "reuseport-2"}[sockets], func(b *testing.B) {
			var res benchdns.CompareResult
			for range b.N {
				var err error
				res, err = benchdns.Compare(context.Background(), benchdns.CompareConfig{
					Sockets: sockets, Duration: 2 * time.Second, Rounds: 2})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(res.Trivial.QPS(), "trivial-qps")
			b.ReportMetric(res.Cloudmap.QPS(), "cloudmap-qps")
			b.ReportMetric(res.Ratio, "ratio")
			b.ReportMetric(float64(res.Cloudmap.Lost+res.Trivial.Lost), "lost")
			b.Logf("\n%v", res)
		})
	}
}

package awsapi

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/cloudmap/cloudmap"
)

// TestDiscoverCache_MatchesGenericEncoder encodes random answers with the
// DiscoverInstances fast path, twice (fresh and cached), and with the
// generic encoder: the documents must be the same, and the bytes too when
// no map has more than one entry (map order is random).
func TestDiscoverCache_MatchesGenericEncoder(t *testing.T) {
	generic, err := encoderFor(reflect.TypeFor[*cloudmap.DiscoverInstancesOutput]())
	if err != nil {
		t.Fatal(err)
	}
	strs := []string{"", "a", "web", "é", "\"q\"", "back\\slash", "ctl\x01", "bad\xffutf8", "line\u2028sep", "<html>&"}
	r := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return strs[r.IntN(len(strs))] }
	c := newDiscoverCache(16)
	for n := range 300 {
		out := &cloudmap.DiscoverInstancesOutput{InstancesRevision: r.Int64N(1 << 40)}
		single := n%2 == 0
		if n%7 != 0 {
			out.Instances = []cloudmap.HttpInstanceSummary{}
		}
		for range r.IntN(5) {
			s := cloudmap.HttpInstanceSummary{InstanceId: pick(), NamespaceName: pick(), ServiceName: pick(),
				HealthStatus: cloudmap.HealthStatus(pick())}
			if r.IntN(4) > 0 {
				s.Attributes = map[string]string{}
				for range r.IntN(3) {
					if single && len(s.Attributes) > 0 {
						break
					}
					s.Attributes[pick()] = pick()
				}
			}
			out.Instances = append(out.Instances, s)
		}
		want := generic(nil, reflect.ValueOf(out))
		for pass := range 2 {
			got := c.appendOutput(nil, out)
			if single && string(got) != string(want) {
				t.Fatalf("answer %d pass %d:\n got %s\nwant %s", n, pass, got, want)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("answer %d: %v: %s", n, err, got)
			}
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("answer %d pass %d:\n got %s\nwant %s", n, pass, got, want)
			}
		}
	}
	if got := c.state.Load().n.Load(); got >= 16 {
		t.Errorf("the cache holds %d fragments, more than its limit of 16", got)
	}
}

// BenchmarkDiscoverCache encodes answers of 10 instances picked among
// 10,000 services, as the load generator asks them.
func BenchmarkDiscoverCache(b *testing.B) {
	const services, per = 10_000, 10
	outs := make([]*cloudmap.DiscoverInstancesOutput, services)
	for s := range outs {
		out := &cloudmap.DiscoverInstancesOutput{InstancesRevision: int64(s)}
		name := fmt.Sprintf("svc-%d", s)
		for i := range per {
			out.Instances = append(out.Instances, cloudmap.HttpInstanceSummary{
				InstanceId: fmt.Sprintf("i-%d-%d", s, i), NamespaceName: "bench", ServiceName: name,
				HealthStatus: cloudmap.Unknown, Attributes: map[string]string{
					"AWS_INSTANCE_IPV4": fmt.Sprintf("10.%d.%d.%d", s/256, s%256, i), "AWS_INSTANCE_PORT": "8080",
					"stage": "prod", "zone": "us-east-1a"}})
		}
		outs[s] = out
	}
	generic, err := encoderFor(reflect.TypeFor[*cloudmap.DiscoverInstancesOutput]())
	if err != nil {
		b.Fatal(err)
	}
	c := newDiscoverCache(0)
	for _, out := range outs {
		c.appendOutput(nil, out)
	}
	buf := make([]byte, 0, 8192)
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		r := rand.New(rand.NewPCG(1, 2))
		for b.Loop() {
			buf = c.appendOutput(buf[:0], outs[r.IntN(services)])
		}
	})
	b.Run("generic", func(b *testing.B) {
		b.ReportAllocs()
		r := rand.New(rand.NewPCG(1, 2))
		for b.Loop() {
			out := outs[r.IntN(services)]
			buf = generic(buf[:0], reflect.ValueOf(out))
		}
	})
}

// TestDiscoverCache_BigServiceFlapping serves a service of 40 instances
// (past the linear scan) whose health flips on every answer: each answer
// must show the current statuses, and replaced fragments must not pile up.
func TestDiscoverCache_BigServiceFlapping(t *testing.T) {
	const n = 40
	out := &cloudmap.DiscoverInstancesOutput{}
	for i := range n {
		out.Instances = append(out.Instances, cloudmap.HttpInstanceSummary{InstanceId: fmt.Sprintf("i-%d", i),
			NamespaceName: "ns", ServiceName: "web", Attributes: map[string]string{"i": fmt.Sprint(i)}})
	}
	c := newDiscoverCache(0)
	generic, err := encoderFor(reflect.TypeFor[*cloudmap.DiscoverInstancesOutput]())
	if err != nil {
		t.Fatal(err)
	}
	for round := range 200 {
		for i := range out.Instances {
			out.Instances[i].HealthStatus = cloudmap.Healthy
			if (i+round)%3 == 0 {
				out.Instances[i].HealthStatus = cloudmap.Unhealthy
			}
		}
		out.InstancesRevision = int64(round)
		if got, want := c.appendOutput(nil, out), generic(nil, reflect.ValueOf(out)); string(got) != string(want) {
			t.Fatalf("round %d:\n got %s\nwant %s", round, got, want)
		}
	}
	sf := c.state.Load().service(out.Instances[0].ServiceName)
	if sf.index == nil || len(sf.refs) != n {
		t.Errorf("service holds %d fragments (index %v), want %d in an index", len(sf.refs), sf.index != nil, n)
	}
	live := 0
	for _, r := range sf.refs {
		live += int(r.n)
	}
	if len(sf.arena) > 2*live+4096 {
		t.Errorf("arena of %d bytes for %d live bytes: replaced fragments are not compacted", len(sf.arena), live)
	}
	if got := c.state.Load().n.Load(); got != n {
		t.Errorf("%d fragments counted, want %d", got, n)
	}
}

// TestDiscoverCache_Churn registers the instances of a service again and
// again (new Attributes maps each time, as the view does): answers stay
// right and the fragments of the instances gone are swept, so the
// service holds a bounded number of them.
func TestDiscoverCache_Churn(t *testing.T) {
	c := newDiscoverCache(0)
	generic, err := encoderFor(reflect.TypeFor[*cloudmap.DiscoverInstancesOutput]())
	if err != nil {
		t.Fatal(err)
	}
	name := "web"
	most := 0
	for round := range 500 {
		out := &cloudmap.DiscoverInstancesOutput{InstancesRevision: int64(round)}
		for i := range 10 {
			out.Instances = append(out.Instances, cloudmap.HttpInstanceSummary{InstanceId: fmt.Sprintf("i-%d", i),
				NamespaceName: "ns", ServiceName: name, HealthStatus: cloudmap.Healthy,
				Attributes: map[string]string{"round": fmt.Sprint(round)}})
		}
		if got, want := c.appendOutput(nil, out), generic(nil, reflect.ValueOf(out)); string(got) != string(want) {
			t.Fatalf("round %d:\n got %s\nwant %s", round, got, want)
		}
		most = max(most, len(c.state.Load().service(name).refs))
	}
	st := c.state.Load()
	sf := st.service(name)
	if most > 2*minSweep {
		t.Errorf("the service held up to %d fragments for 10 instances, want at most %d", most, 2*minSweep)
	}
	if got, want := st.n.Load(), int64(len(sf.refs)); got != want {
		t.Errorf("the cache counts %d fragments, the service holds %d", got, want)
	}
	live := 0
	for _, r := range sf.refs {
		live += int(r.n)
	}
	if len(sf.arena) != live {
		t.Errorf("arena of %d bytes for %d live bytes", len(sf.arena), live)
	}
}

package awsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unsafe"

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

// summaries returns n summaries of service name, each with its own
// Attributes map.
func summaries(name string, n int) []cloudmap.HttpInstanceSummary {
	out := make([]cloudmap.HttpInstanceSummary, n)
	for i := range out {
		out[i] = cloudmap.HttpInstanceSummary{InstanceId: fmt.Sprintf("i-%d", i), NamespaceName: "ns", ServiceName: name,
			HealthStatus: cloudmap.Healthy, Attributes: map[string]string{"i": fmt.Sprint(i)}}
	}
	return out
}

// TestDiscoverCache_HitsAndMisses: an answer sent again is served from the
// cache (no fragment added or replaced); a summary whose namespace alone
// changed, or that shares its Attributes map with a summary of another
// service in the same answer, is encoded afresh, never taken from the
// other's fragment.
func TestDiscoverCache_HitsAndMisses(t *testing.T) {
	generic, err := encoderFor(reflect.TypeFor[*cloudmap.DiscoverInstancesOutput]())
	if err != nil {
		t.Fatal(err)
	}
	c := newDiscoverCache(0)
	name := "web"
	out := &cloudmap.DiscoverInstancesOutput{Instances: summaries(name, 3)}
	check := func(step string) {
		t.Helper()
		if got, want := c.appendOutput(nil, out), generic(nil, reflect.ValueOf(out)); string(got) != string(want) {
			t.Fatalf("%s:\n got %s\nwant %s", step, got, want)
		}
	}
	check("first answer")
	st := c.state.Load()
	sf := st.service(name)
	arena := len(sf.arena)
	for i := range 2 {
		check(fmt.Sprintf("answer sent again (%d)", i))
		if len(sf.refs) != 3 || len(sf.arena) != arena || sf.garbage != 0 || st.n.Load() != 3 {
			t.Fatalf("answer sent again: %d fragments, arena %d bytes (was %d), %d garbage, %d counted; want a hit on each of the 3",
				len(sf.refs), len(sf.arena), arena, sf.garbage, st.n.Load())
		}
	}

	out.Instances[1].NamespaceName = "other"
	check("namespace alone changed")
	if sf.garbage == 0 {
		t.Error("a summary whose namespace changed was not encoded again")
	}

	other := "api"
	shared := summaries(name, 1)[0]
	out.Instances = []cloudmap.HttpInstanceSummary{shared, shared}
	out.Instances[1].ServiceName = other
	check("one map under two service names")
}

// TestDiscoverCache_StartsOverAtTheLimit: the cache never holds more than
// DiscoverCacheEntries fragments; the fragment that reaches the limit
// starts it over.
func TestDiscoverCache_StartsOverAtTheLimit(t *testing.T) {
	c := newDiscoverCache(3)
	all := summaries("web", 3)
	st := c.state.Load()
	c.appendOutput(nil, &cloudmap.DiscoverInstancesOutput{Instances: all[:2]})
	if c.state.Load() != st || st.n.Load() != 2 {
		t.Fatalf("after 2 fragments of 3: started over %v, %d counted", c.state.Load() != st, st.n.Load())
	}
	c.appendOutput(nil, &cloudmap.DiscoverInstancesOutput{Instances: all})
	if c.state.Load() == st {
		t.Fatalf("the cache holds %d fragments, its limit is 3", st.n.Load())
	}
	if got := c.state.Load().n.Load(); got != 0 {
		t.Errorf("the cache started over with %d fragments counted, want 0", got)
	}
}

// TestSvcFragments_Compaction: the bytes of replaced fragments are
// compacted away once they are at least 4 KiB and at least half the
// arena, and not before.
func TestSvcFragments_Compaction(t *testing.T) {
	tests := []struct {
		name           string
		first, second  int // sizes of the fragment and of its replacement
		wantArena      int
		wantGarbage    int
		otherLiveBytes int // a fragment of another key added first
	}{
		{"garbage under 4 KiB kept", 4095, 1, 4096, 4095, 0},
		{"garbage of 4 KiB, most of the arena, compacted", 4096, 1, 1, 0, 0},
		{"garbage of 4 KiB, half the arena, compacted", 4096, 4096, 4096, 0, 0},
		{"garbage of 4 KiB, under half the arena, kept", 4096, 4096, 1 + 2*4096, 4096, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sf := &svcFragments{name: "web"}
			if tt.otherLiveBytes > 0 {
				sf.add(fragRef{attrs: unsafe.Pointer(new(int))}, make([]byte, tt.otherLiveBytes))
			}
			key := unsafe.Pointer(new(int))
			if d := sf.add(fragRef{attrs: key}, make([]byte, tt.first)); d != 1 {
				t.Fatalf("a new key changed the count by %d, want 1", d)
			}
			if d := sf.add(fragRef{attrs: key}, make([]byte, tt.second)); d != 0 {
				t.Fatalf("a replacement changed the count by %d, want 0", d)
			}
			if len(sf.arena) != tt.wantArena || sf.garbage != tt.wantGarbage {
				t.Errorf("arena %d bytes with %d garbage, want %d with %d", len(sf.arena), sf.garbage, tt.wantArena, tt.wantGarbage)
			}
		})
	}
}

// TestSvcFragments_Index: a service finds up to 16 fragments by a scan and
// more through an index, as they are added and after a compaction.
func TestSvcFragments_Index(t *testing.T) {
	for _, n := range []int{scanRefs, scanRefs + 1} {
		sf := &svcFragments{name: "web"}
		keys := make([]unsafe.Pointer, n)
		for i := range keys {
			keys[i] = unsafe.Pointer(new(int))
			sf.add(fragRef{attrs: keys[i]}, []byte{byte(i)})
			if indexed, want := sf.index != nil, i+1 > scanRefs; indexed != want {
				t.Fatalf("with %d fragments added: indexed %v, want %v", i+1, indexed, want)
			}
		}
		sf.add(fragRef{attrs: keys[0]}, make([]byte, 4096))
		sf.add(fragRef{attrs: keys[0]}, []byte{0}) // 4097 bytes replaced: compacted
		if indexed, want := sf.index != nil, n > scanRefs; sf.garbage != 0 || indexed != want {
			t.Fatalf("with %d fragments compacted (%d bytes of garbage left): indexed %v, want %v", n, sf.garbage, indexed, want)
		}
		for i, k := range keys {
			if got := sf.find(k); got != i {
				t.Errorf("of %d fragments, fragment %d found at %d", n, i, got)
			}
		}
	}
}

// TestDiscoverCache_Sweep: when a service's fragments double since its
// last sweep (64 at least), the fragments not sent since that sweep are
// dropped and the count follows; those sent since are kept.
func TestDiscoverCache_Sweep(t *testing.T) {
	c := newDiscoverCache(0)
	name := "web"
	first := summaries(name, minSweep)
	c.appendOutput(nil, &cloudmap.DiscoverInstancesOutput{Instances: first})
	st := c.state.Load()
	sf := st.service(name)
	if len(sf.refs) != minSweep || sf.sweepAt != 2*minSweep || st.n.Load() != minSweep {
		t.Fatalf("after the first sweep (all %d sent): %d fragments, %d counted, next sweep at %d; want %d, %d, %d",
			minSweep, len(sf.refs), st.n.Load(), sf.sweepAt, minSweep, minSweep, 2*minSweep)
	}
	const sent = 10
	c.appendOutput(nil, &cloudmap.DiscoverInstancesOutput{Instances: first[:sent]})
	second := summaries(name, minSweep)
	c.appendOutput(nil, &cloudmap.DiscoverInstancesOutput{Instances: second[:minSweep-1]})
	if got := len(sf.refs); got != 2*minSweep-1 {
		t.Fatalf("%d fragments before the second sweep, want %d (no sweep before they double)", got, 2*minSweep-1)
	}
	c.appendOutput(nil, &cloudmap.DiscoverInstancesOutput{Instances: second})
	if want := sent + minSweep; len(sf.refs) != want || st.n.Load() != int64(want) {
		t.Fatalf("after the second sweep: %d fragments, %d counted; want %d (the %d sent again and the %d new)",
			len(sf.refs), st.n.Load(), want, sent, minSweep)
	}
	for i, s := range first {
		key := reflect.ValueOf(s.Attributes).UnsafePointer()
		if kept := sf.find(key) >= 0; kept != (i < sent) {
			t.Errorf("fragment %d of the first answer kept %v, want %v", i, kept, i < sent)
		}
	}
}

// TestHandler_DiscoverInstancesUsesTheCache: with the cache on (the
// default), a DiscoverInstances answer is encoded through it; a nil output
// is encoded without it.
func TestHandler_DiscoverInstancesUsesTheCache(t *testing.T) {
	var next *cloudmap.DiscoverInstancesOutput
	h := NewHandler(fakeDiscover{out: func() *cloudmap.DiscoverInstancesOutput { return next }}, Config{}).(*handler)
	serve := func() string {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"NamespaceName":"ns","ServiceName":"web"}`))
		req.Header.Set("X-Amz-Target", defaultTable.prefix+"DiscoverInstances")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Body.String()
	}
	next = &cloudmap.DiscoverInstancesOutput{Instances: summaries("web", 2), InstancesRevision: 3}
	serve()
	if got := h.disc.state.Load().n.Load(); got != 2 {
		t.Errorf("the cache holds %d fragments after an answer of 2 instances, want 2", got)
	}
	next = nil
	if got := serve(); got != "{}" {
		t.Errorf("a nil output answered %s, want {}", got)
	}
}

// fakeDiscover is a cloudmap.API answering DiscoverInstances with out()
// (and nothing else).
type fakeDiscover struct {
	cloudmap.API
	out func() *cloudmap.DiscoverInstancesOutput
}

func (f fakeDiscover) DiscoverInstances(context.Context, *cloudmap.DiscoverInstancesInput) (*cloudmap.DiscoverInstancesOutput, error) {
	return f.out(), nil
}

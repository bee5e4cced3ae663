//go:build unix

package awsapi

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
)

// oneService is a WatchSource of one service whose entry the test sets.
type oneService struct {
	mu    sync.Mutex
	entry *cloudmap.ServiceEntry
}

func (o *oneService) WatchService(cloudmap.Cell, string, string) (*cloudmap.ServiceEntry, <-chan struct{}, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.entry, make(chan struct{}), nil
}

func (o *oneService) AfterService(c cloudmap.Cell, ns, svc string, f func()) (*cloudmap.ServiceEntry, error) {
	e, _, err := o.WatchService(c, ns, svc)
	return e, err // never changes by itself
}

func (o *oneService) AfterNamespace(cloudmap.Cell, string, func()) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, error) {
	panic("not used")
}

func (o *oneService) WatchNamespace(cloudmap.Cell, string) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, <-chan struct{}, error) {
	panic("not used")
}

// entryOf is revision rev of service web with instances id=value.
func entryOf(rev int64, kv ...string) *cloudmap.ServiceEntry {
	ns := &cloudmap.Namespace{Id: "ns-1", Name: "ns", Type: cloudmap.NamespaceHTTP,
		Properties: cloudmap.NamespaceProperties{HttpProperties: &cloudmap.HttpProperties{HttpName: "ns"}}}
	e := &cloudmap.ServiceEntry{Service: &cloudmap.Service{Id: "srv-1", Name: "web"}, Namespace: ns, Revision: rev}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Instances = append(e.Instances, cloudmap.InstanceEntry{Health: cloudmap.Unknown,
			Instance: &cloudmap.Instance{Id: kv[i], Attributes: map[string]string{"v": kv[i+1]}}})
	}
	return e
}

// adoptedPair is an adopted stream on one end of a loopback connection
// whose other end the test reads.
func adoptedPair(t *testing.T, src WatchSource, at *cloudmap.ServiceEntry) (*adopted, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	h := &handler{log: slog.New(slog.DiscardHandler), ext: extensions{watch: src, writeTimeout: 10 * time.Second}}
	l := newStreamLot(src, time.Hour, h.log.Info, nil)
	s := &stream{h: h, ns: "ns", svc: "web", cur: &cursor{one: at}, out: connSink{server}}
	a := &adopted{s: s, conn: server, raw: rawConn(server), lot: l}
	if a.raw == nil {
		t.Fatal("no socket under a loopback TCP connection")
	}
	return a, client
}

// readBlock reads one SSE event.
func readBlock(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		b.WriteString(line)
		if line == "\n" {
			return b.String()
		}
	}
}

// The events a group encodes once go only to the streams at the group's
// last state; a stream elsewhere gets the events from its own state.
func TestDeliver_SharedEventsOnlyForStreamsAtTheGroupsState(t *testing.T) {
	e1 := entryOf(1, "i-0", "a", "i-1", "a")
	e2 := entryOf(2, "i-1", "a", "i-2", "a")
	e3 := entryOf(3, "i-1", "a", "i-2", "b", "i-3", "a")
	e3.Instances[0] = e2.Instances[0] // i-1 unchanged
	e2.Instances[0] = e1.Instances[1]
	src := &oneService{entry: e3}
	from, to := &cursor{one: e2}, &cursor{one: e3}
	shared := appendEvent(nil, "3", "change", diffService(e2, e3))

	atGroup, c1 := adoptedPair(t, src, e2)
	atGroup.deliver(from, to, shared)
	if got := readBlock(t, bufio.NewReader(c1)); got != string(shared) {
		t.Fatalf("stream at the group's state got %q, want the shared event %q", got, shared)
	}
	if atGroup.s.cur != to {
		t.Fatal("the stream's state did not move to the group's")
	}

	behind, c2 := adoptedPair(t, src, e1)
	behind.deliver(from, to, shared)
	want := appendEvent(nil, "3", "change", diffService(e1, e3))
	if got := readBlock(t, bufio.NewReader(c2)); got != string(want) || !strings.Contains(got, `"Removed":["i-0"]`) {
		t.Fatalf("stream behind the group got %q, want its own events %q (i-0 removed)", got, want)
	}
}

// What the socket does not take at once is written by the stream's push,
// whole and in order.
func TestDeliver_RestOfAFullSocketIsWrittenByThePush(t *testing.T) {
	e1, e2 := entryOf(1, "i-1", "a"), entryOf(2, "i-1", strings.Repeat("x", 4<<20))
	src := &oneService{entry: e2}
	a, c := adoptedPair(t, src, e1)
	big := appendEvent(nil, "2", "change", diffService(e1, e2))
	a.deliver(&cursor{one: e1}, &cursor{one: e2}, big) // 4 MB: more than the socket buffers hold
	got := make([]byte, len(big))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != string(big) {
		t.Fatal("the event arrived altered")
	}
	a.mu.Lock() // the push is done when it lets go
	defer a.mu.Unlock()
	if a.s.cur.one != e2 || len(a.s.buf) != 0 || a.ended.Load() {
		t.Fatalf("after the push: state at revision %d, %d bytes buffered, ended %v", a.s.cur.one.Revision, len(a.s.buf), a.ended.Load())
	}
}

// A change that wakes a group while its first look is still loading makes
// the next step look again without a state to share events from (the
// first look never stored one): every stream then looks for itself, and
// one that joined before the change gets it.
func TestStep_ChangeDuringTheFirstLookReachesTheStreams(t *testing.T) {
	e7, e8 := entryOf(7, "i-1", "a"), entryOf(8, "i-1", "a", "i-2", "b")
	src := &oneService{entry: e8} // the change to 8 has happened
	a, c := adoptedPair(t, src, e7)
	l := a.lot
	key := streamKey{a.s.cell, a.s.ns, a.s.svc}
	// The group as the first look left it when the change woke it: one
	// step begun (gen 1), no state stored.
	g := &streamGroup{key: key, members: map[*adopted]struct{}{a: {}}, gen: 1}
	l.groups[key] = g
	l.step(g, 1)
	c.SetReadDeadline(time.Now().Add(time.Minute)) // a missed change fails instead of hanging
	want := appendEvent(nil, "8", "change", diffService(e7, e8))
	if got := readBlock(t, bufio.NewReader(c)); got != string(want) {
		t.Fatalf("stream joined at 7 got %q, want the change to 8 %q", got, want)
	}
}

// A stream that ends leaves its group at once: the group holds no ended
// stream, and ends at its next step when none is left.
func TestLot_AnEndedStreamLeavesItsGroup(t *testing.T) {
	e1 := entryOf(1, "i-1", "a")
	a, _ := adoptedPair(t, &oneService{entry: e1}, e1)
	l := a.lot
	l.add(a)
	key := streamKey{a.s.cell, a.s.ns, a.s.svc}
	a.end(nil)
	l.mu.Lock()
	g := l.groups[key]
	n := len(g.members)
	gen := g.gen
	l.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d members left in the group after its only stream ended", n)
	}
	l.step(g, gen)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.groups[key] != nil {
		t.Error("an empty group stayed after its step")
	}
}

// A group's first look stores the service's state, and a change moves it
// on: the state later changes are encoded from, once for the group.
func TestStep_TheGroupKeepsTheStateItSaw(t *testing.T) {
	e1, e2 := entryOf(1, "i-1", "a"), entryOf(2, "i-1", "b")
	src := &oneService{entry: e1}
	a, _ := adoptedPair(t, src, e1)
	l := a.lot
	key := streamKey{a.s.cell, a.s.ns, a.s.svc}
	g := &streamGroup{key: key, members: map[*adopted]struct{}{a: {}}}
	l.groups[key] = g
	l.step(g, 0) // the first look
	if g.last == nil || g.last.one != e1 || g.gone {
		t.Fatalf("after the first look: state %+v, gone %v; want revision 1", g.last, g.gone)
	}
	src.mu.Lock()
	src.entry = e2
	src.mu.Unlock()
	l.step(g, g.gen) // the change wakes it
	if g.last == nil || g.last.one != e2 || g.gone {
		t.Fatalf("after the change: state %+v, gone %v; want revision 2", g.last, g.gone)
	}
}

// A stream whose socket cannot be written directly (TLS) gets its
// heartbeat through its push.
func TestBeat_StreamWithoutARawSocket(t *testing.T) {
	e1 := entryOf(1, "i-1", "a")
	a, c := adoptedPair(t, &oneService{entry: e1}, e1)
	a.raw = nil // as under TLS
	a.beat()
	c.SetReadDeadline(time.Now().Add(time.Minute)) // a missing heartbeat fails instead of hanging
	if got := readBlock(t, bufio.NewReader(c)); got != heartbeat {
		t.Fatalf("got %q, want the heartbeat", got)
	}
}

// A new InstancesRevision is an event even when the instances read the
// same (the client's index moves on), and the same revision with other
// instances is one too; the same entry is none.
func TestAdvance_EventsForARevisionOrInstances(t *testing.T) {
	e1 := entryOf(1, "i-1", "a")
	e2 := &cloudmap.ServiceEntry{Service: e1.Service, Namespace: e1.Namespace, Revision: 2, Instances: e1.Instances}
	e1b := entryOf(1, "i-1", "b")
	key := streamKey{svc: "web", ns: "ns"}
	for _, c := range []struct {
		name     string
		from, to *cloudmap.ServiceEntry
		wantID   string
	}{
		{"new revision, same instances", e1, e2, "id: 2\n"},
		{"same revision, other instances", e1, e1b, "id: 1\n"},
		{"the same entry", e1, e1, ""},
	} {
		buf, to, _, alive := advance(&oneService{entry: c.to}, key, &cursor{one: c.from}, nil, nil)
		if !alive || to.one != c.to {
			t.Fatalf("%s: alive %v, state %+v", c.name, alive, to)
		}
		if got := string(buf); (c.wantID == "") != (got == "") || !strings.HasPrefix(got, c.wantID) {
			t.Errorf("%s: events %q, want one with %q", c.name, got, c.wantID)
		}
	}
}

// oneNamespace is a WatchSource of namespace "ns" holding the given
// services, or none at all (err).
type oneNamespace struct {
	entries []*cloudmap.ServiceEntry
	err     error
}

func (o *oneNamespace) WatchService(cloudmap.Cell, string, string) (*cloudmap.ServiceEntry, <-chan struct{}, error) {
	panic("not used")
}

func (o *oneNamespace) AfterService(cloudmap.Cell, string, string, func()) (*cloudmap.ServiceEntry, error) {
	panic("not used")
}

func (o *oneNamespace) WatchNamespace(cloudmap.Cell, string) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, <-chan struct{}, error) {
	if o.err != nil {
		return nil, nil, 0, nil, o.err
	}
	return o.entries[0].Namespace, o.entries, 1, make(chan struct{}), nil
}

func (o *oneNamespace) AfterNamespace(c cloudmap.Cell, ns string, _ func()) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, error) {
	n, es, serial, _, err := o.WatchNamespace(c, ns)
	return n, es, serial, err // never changes by itself
}

// A namespace group's first look keeps the namespace's services as its
// state; a namespace that cannot be read leaves the group gone.
func TestLoad_NamespaceGroup(t *testing.T) {
	e := entryOf(1, "i-1", "a")
	l := newStreamLot(&oneNamespace{entries: []*cloudmap.ServiceEntry{e}}, time.Hour, func(string, ...any) {}, nil)
	c, alive := l.load(streamKey{ns: "ns"}, func() {})
	if !alive || c == nil || len(c.many) != 1 || c.many["srv-1"] != e {
		t.Fatalf("namespace with one service: state %+v, alive %v", c, alive)
	}
	l = newStreamLot(&oneNamespace{err: cloudmap.Errorf(cloudmap.ErrNamespaceNotFound, "gone")}, time.Hour, func(string, ...any) {}, nil)
	if c, alive := l.load(streamKey{ns: "ns"}, func() {}); alive || c != nil {
		t.Fatalf("a namespace that cannot be read: state %+v, alive %v; want gone", c, alive)
	}
}

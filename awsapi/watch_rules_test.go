package awsapi_test

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/awsapi"
)

// serialWatch is a WatchSource of service "web" in namespace "ns" whose
// namespace serial (100 + the revision) differs from the revision.
type serialWatch struct {
	mu    sync.Mutex
	entry *cloudmap.ServiceEntry
	ch    chan struct{}
	gone  bool
	// the calls of each kind
	serviceCalls, namespaceCalls atomic.Int32
}

func newSerialWatch(rev int64) *serialWatch {
	w := &serialWatch{ch: make(chan struct{})}
	w.set(rev)
	return w
}

func (w *serialWatch) set(rev int64) {
	ns := &cloudmap.Namespace{Id: "ns-1", Name: "ns", Type: cloudmap.NamespaceHTTP,
		Properties: cloudmap.NamespaceProperties{HttpProperties: &cloudmap.HttpProperties{HttpName: "ns"}}}
	e := &cloudmap.ServiceEntry{Service: &cloudmap.Service{Id: "srv-1", Name: "web"}, Namespace: ns, Revision: rev,
		Instances: []cloudmap.InstanceEntry{{Instance: &cloudmap.Instance{Id: "i-1"}, Health: cloudmap.Unknown}}}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.entry = e
	close(w.ch)
	w.ch = make(chan struct{})
}

// wake closes the change channel; gone deletes the service.
func (w *serialWatch) wake(gone bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gone = gone
	close(w.ch)
	w.ch = make(chan struct{})
}

func (w *serialWatch) WatchService(_ cloudmap.Cell, _, _ string) (*cloudmap.ServiceEntry, <-chan struct{}, error) {
	w.serviceCalls.Add(1)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.gone {
		return nil, nil, cloudmap.Errorf(cloudmap.ErrServiceNotFound, "gone")
	}
	return w.entry, w.ch, nil
}

func (w *serialWatch) WatchNamespace(_ cloudmap.Cell, _ string) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, <-chan struct{}, error) {
	w.namespaceCalls.Add(1)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.entry.Namespace, []*cloudmap.ServiceEntry{w.entry}, uint32(100 + w.entry.Revision), w.ch, nil
}

// firstLines is the id and event lines of an event.
func firstLines(ev string) string {
	lines := strings.SplitN(ev, "\n", 3)
	if len(lines) < 2 {
		return ev
	}
	return lines[0] + "\n" + lines[1]
}

// TestWatch_EventIDs: a service stream's event ids are the service's
// InstancesRevision, a namespace stream's the namespace's serial.
func TestWatch_EventIDs(t *testing.T) {
	srv := httptest.NewServer(awsapi.NewHandler(&fakeAPI{}, awsapi.Config{Watch: newSerialWatch(7)}))
	t.Cleanup(srv.Close)
	for _, c := range []struct{ name, query, want string }{
		{"service", "namespace=ns&service=web", "id: 7\nevent: snapshot"},
		{"namespace", "namespace=ns", "id: 107\nevent: snapshot"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := firstLines(readEvent(t, openWatch(t, srv.URL, c.query, ""))); got != c.want {
				t.Errorf("first event %q, want %q", got, c.want)
			}
		})
	}
}

// TestWatch_Resume: a client reconnecting with Last-Event-ID at the
// current id gets no snapshot, only the changes after it; with an older
// id it gets a fresh snapshot.
func TestWatch_Resume(t *testing.T) {
	src := newSerialWatch(7)
	srv := httptest.NewServer(awsapi.NewHandler(&fakeAPI{}, awsapi.Config{Watch: src}))
	t.Cleanup(srv.Close)
	if got := firstLines(readEvent(t, openWatch(t, srv.URL, "namespace=ns&service=web", "5"))); got != "id: 7\nevent: snapshot" {
		t.Errorf("resuming at an old id: first event %q, want the snapshot of 7", got)
	}
	r := openWatch(t, srv.URL, "namespace=ns&service=web", "7")
	src.set(8)
	if got := firstLines(readEvent(t, r)); got != "id: 8\nevent: change" {
		t.Errorf("resuming at the current id: first event %q, want the change to 8", got)
	}
}

// spyWriter records whether net/http's response head was written.
type spyWriter struct {
	http.ResponseWriter
	wroteHeader *atomic.Bool
}

func (s spyWriter) WriteHeader(code int) {
	s.wroteHeader.Store(true)
	s.ResponseWriter.WriteHeader(code)
}

func (s spyWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return s.ResponseWriter.(http.Hijacker).Hijack()
}

func (s spyWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// TestWatch_HandedOver: over HTTP/1.1 a change stream's connection is
// handed over to the lot of streams (which writes the response itself),
// not served through net/http by the handler's goroutine.
func TestWatch_HandedOver(t *testing.T) {
	h := awsapi.NewHandler(&fakeAPI{}, awsapi.Config{Watch: newSerialWatch(7)})
	var wrote atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(spyWriter{w, &wrote}, r)
	}))
	t.Cleanup(srv.Close)
	if got := firstLines(readEvent(t, openWatch(t, srv.URL, "namespace=ns&service=web", ""))); got != "id: 7\nevent: snapshot" {
		t.Fatalf("first event %q", got)
	}
	if wrote.Load() {
		t.Error("the stream was answered through net/http, not on its connection handed over")
	}
}

// TestWatch_HTTP2: over HTTP/2 (no connection to hand over) the handler
// serves the stream itself: every change arrives in turn, and a client
// that goes away ends the stream without a "dropped" log.
func TestWatch_HTTP2(t *testing.T) {
	src := newSerialWatch(7)
	logs := make(logLines, 16)
	h := awsapi.NewHandler(&fakeAPI{}, awsapi.Config{Watch: src, Logger: slog.New(logs)})
	returned := make(chan struct{}, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		returned <- struct{}{}
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL + awsapi.WatchPath + "?namespace=ns&service=web")
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(resp.Body)
	if got := firstLines(readEvent(t, r)); resp.ProtoMajor != 2 || got != "id: 7\nevent: snapshot" {
		t.Fatalf("over %s: first event %q", resp.Proto, got)
	}
	for rev := int64(8); rev <= 9; rev++ {
		src.set(rev)
		if got, want := firstLines(readEvent(t, r)), fmt.Sprintf("id: %d\nevent: change", rev); got != want {
			t.Fatalf("event %q, want %q", got, want)
		}
	}
	resp.Body.Close()
	<-returned
	select {
	case msg := <-logs:
		t.Errorf("a client going away logged %q", msg)
	default:
	}
}

// TestWatch_GroupsWatchWhatTheirStreamsWatch: the streams of a service
// wait on the service, those of a namespace on the namespace: after two
// changes (the second can reach a stream only through its group), no
// watch of the other kind was made.
func TestWatch_GroupsWatchWhatTheirStreamsWatch(t *testing.T) {
	for _, c := range []struct {
		name, query string
		wrongKind   func(*serialWatch) int32
	}{
		{"service", "namespace=ns&service=web", func(w *serialWatch) int32 { return w.namespaceCalls.Load() }},
		{"namespace", "namespace=ns", func(w *serialWatch) int32 { return w.serviceCalls.Load() }},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := newSerialWatch(7)
			srv := httptest.NewServer(awsapi.NewHandler(&fakeAPI{}, awsapi.Config{Watch: src}))
			t.Cleanup(srv.Close)
			r := openWatch(t, srv.URL, c.query, "")
			readEvent(t, r) // snapshot
			for rev := int64(8); rev <= 9; rev++ {
				src.set(rev)
				if ev := readEvent(t, r); !strings.Contains(ev, "event: change") {
					t.Fatalf("event %q, want a change", ev)
				}
			}
			if n := c.wrongKind(src); n != 0 {
				t.Errorf("%d watches of the other kind", n)
			}
		})
	}
}

// TestWatch_HeartbeatsKeepTheStream: a heartbeat written leaves the stream
// open: more heartbeats follow, and then the next change.
func TestWatch_HeartbeatsKeepTheStream(t *testing.T) {
	src := newSerialWatch(7)
	srv := httptest.NewServer(awsapi.NewHandler(&fakeAPI{}, awsapi.Config{Watch: src, WatchHeartbeat: time.Millisecond}))
	t.Cleanup(srv.Close)
	r := openWatch(t, srv.URL, "namespace=ns&service=web", "")
	readEvent(t, r) // snapshot
	for range 3 {
		if ev := readEvent(t, r); ev != ": heartbeat\n" {
			t.Fatalf("idle stream sent %q, want a heartbeat", ev)
		}
	}
	src.set(8)
	for {
		ev := readEvent(t, r)
		if ev == ": heartbeat\n" {
			continue
		}
		if got := firstLines(ev); got != "id: 8\nevent: change" {
			t.Fatalf("event %q, want the change to 8", got)
		}
		return
	}
}

// nsWatch is a WatchSource of namespace "ns" whose services the test sets.
type nsWatch struct {
	mu     sync.Mutex
	ns     *cloudmap.Namespace
	svcs   []*cloudmap.ServiceEntry
	serial uint32
	ch     chan struct{}
}

func (w *nsWatch) set(svcs ...*cloudmap.ServiceEntry) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.svcs = svcs
	w.serial++
	close(w.ch)
	w.ch = make(chan struct{})
}

func (w *nsWatch) WatchService(cloudmap.Cell, string, string) (*cloudmap.ServiceEntry, <-chan struct{}, error) {
	return nil, nil, cloudmap.Errorf(cloudmap.ErrServiceNotFound, "a namespace stream only")
}

func (w *nsWatch) WatchNamespace(cloudmap.Cell, string) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, <-chan struct{}, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ns, w.svcs, w.serial, w.ch, nil
}

// TestWatch_NamespaceStreamEvents: a namespace stream sends a change event
// for each service that changed (its revision or its instances), none for
// the others, and a deletion for a service gone.
func TestWatch_NamespaceStreamEvents(t *testing.T) {
	ns := &cloudmap.Namespace{Id: "ns-1", Name: "ns", Type: cloudmap.NamespaceHTTP,
		Properties: cloudmap.NamespaceProperties{HttpProperties: &cloudmap.HttpProperties{HttpName: "ns"}}}
	i1 := cloudmap.InstanceEntry{Instance: &cloudmap.Instance{Id: "i-1"}, Health: cloudmap.Healthy}
	entry := func(id, name string, rev int64, is ...cloudmap.InstanceEntry) *cloudmap.ServiceEntry {
		return &cloudmap.ServiceEntry{Service: &cloudmap.Service{Id: id, Name: name}, Namespace: ns, Revision: rev, Instances: is}
	}
	web, api := entry("srv-1", "web", 1, i1), entry("srv-2", "api", 1)
	src := &nsWatch{ns: ns, svcs: []*cloudmap.ServiceEntry{web, api}, ch: make(chan struct{})}
	srv := httptest.NewServer(awsapi.NewHandler(&fakeAPI{}, awsapi.Config{Watch: src}))
	t.Cleanup(srv.Close)
	r := openWatch(t, srv.URL, "namespace=ns", "")
	readEvent(t, r) // snapshot
	for _, step := range []struct {
		name string
		svcs []*cloudmap.ServiceEntry
		want string // the data of the one change event
	}{
		{"web's revision moves, same instances", []*cloudmap.ServiceEntry{entry("srv-1", "web", 2, i1), api},
			`{"Service":"web","InstancesRevision":2}`},
		{"web's instances change, same revision", []*cloudmap.ServiceEntry{entry("srv-1", "web", 2), api},
			`{"Service":"web","InstancesRevision":2,"Removed":["i-1"]}`},
		{"api gone", []*cloudmap.ServiceEntry{entry("srv-1", "web", 2)},
			`{"Service":"api","InstancesRevision":1,"Deleted":true}`},
	} {
		src.set(step.svcs...)
		ev := readEvent(t, r)
		if i := strings.Index(ev, "data: "); i < 0 || !strings.Contains(ev, "event: change") || strings.TrimSpace(ev[i+6:]) != step.want {
			t.Fatalf("%s: event %q, want a change with data %s", step.name, ev, step.want)
		}
	}
}

// TestWatch_ServiceStreamEnds: a service stream sends its changes, and
// when the service is gone a deletion, then ends.
func TestWatch_ServiceStreamEnds(t *testing.T) {
	src := newSerialWatch(7)
	srv := httptest.NewServer(awsapi.NewHandler(&fakeAPI{}, awsapi.Config{Watch: src}))
	t.Cleanup(srv.Close)
	r := openWatch(t, srv.URL, "namespace=ns&service=web", "")
	readEvent(t, r) // snapshot
	src.set(8)
	if got := firstLines(readEvent(t, r)); got != "id: 8\nevent: change" {
		t.Fatalf("event %q, want the change to 8", got)
	}
	src.wake(true)
	ev := readEvent(t, r)
	if i := strings.Index(ev, "data: "); i < 0 || strings.TrimSpace(ev[i+6:]) != `{"Service":"web","InstancesRevision":8,"Removed":["i-1"],"Deleted":true}` {
		t.Fatalf("service gone: event %q, want its deletion", ev)
	}
	if rest, err := r.ReadString('\n'); err == nil {
		t.Errorf("the stream went on after the deletion: %q", rest)
	}
}

// afterService and afterNamespace are the After* methods of a WatchSource
// over its Watch* methods: f is called when the channel closes.
func afterService(watch func(cloudmap.Cell, string, string) (*cloudmap.ServiceEntry, <-chan struct{}, error),
	cell cloudmap.Cell, ns, svc string, f func()) (*cloudmap.ServiceEntry, error) {
	e, ch, err := watch(cell, ns, svc)
	if err == nil {
		go func() { <-ch; f() }()
	}
	return e, err
}

func afterNamespace(watch func(cloudmap.Cell, string) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, <-chan struct{}, error),
	cell cloudmap.Cell, ns string, f func()) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, error) {
	n, es, serial, ch, err := watch(cell, ns)
	if err == nil {
		go func() { <-ch; f() }()
	}
	return n, es, serial, err
}

func (w *serialWatch) AfterService(cell cloudmap.Cell, ns, svc string, f func()) (*cloudmap.ServiceEntry, error) {
	return afterService(w.WatchService, cell, ns, svc, f)
}

func (w *serialWatch) AfterNamespace(cell cloudmap.Cell, ns string, f func()) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, error) {
	return afterNamespace(w.WatchNamespace, cell, ns, f)
}

func (w *nsWatch) AfterService(cell cloudmap.Cell, ns, svc string, f func()) (*cloudmap.ServiceEntry, error) {
	return afterService(w.WatchService, cell, ns, svc, f)
}

func (w *nsWatch) AfterNamespace(cell cloudmap.Cell, ns string, f func()) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, error) {
	return afterNamespace(w.WatchNamespace, cell, ns, f)
}

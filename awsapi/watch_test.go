package awsapi_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/awsapi"
)

// fakeWatch is a WatchSource of one service "web" in namespace "ns" (any
// namespace name finds it) whose state the test sets.
type fakeWatch struct {
	mu    sync.Mutex
	entry *cloudmap.ServiceEntry
	ch    chan struct{}
	gone  bool // the service is deleted
}

// remove deletes the service.
func (f *fakeWatch) remove() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gone = true
	close(f.ch)
	f.ch = make(chan struct{})
}

func newFakeWatch() *fakeWatch {
	f := &fakeWatch{ch: make(chan struct{})}
	f.set(1, "")
	return f
}

// set publishes revision rev with one instance whose attribute is value.
func (f *fakeWatch) set(rev int64, value string) {
	ns := &cloudmap.Namespace{Id: "ns-1", Name: "ns", Type: cloudmap.NamespaceHTTP,
		Properties: cloudmap.NamespaceProperties{HttpProperties: &cloudmap.HttpProperties{HttpName: "ns"}}}
	e := &cloudmap.ServiceEntry{Service: &cloudmap.Service{Id: "srv-1", Name: "web"}, Namespace: ns, Revision: rev,
		Instances: []cloudmap.InstanceEntry{{Instance: &cloudmap.Instance{Id: "i-1", Attributes: map[string]string{"v": value}},
			Health: cloudmap.Unknown}}}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entry = e
	close(f.ch)
	f.ch = make(chan struct{})
}

func (f *fakeWatch) WatchService(_ cloudmap.Cell, ns, svc string) (*cloudmap.ServiceEntry, <-chan struct{}, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gone {
		return nil, nil, cloudmap.Errorf(cloudmap.ErrServiceNotFound, "no service %s", svc)
	}
	return f.entry, f.ch, nil
}

func (f *fakeWatch) WatchNamespace(_ cloudmap.Cell, ns string) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, <-chan struct{}, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.entry.Namespace, []*cloudmap.ServiceEntry{f.entry}, uint32(f.entry.Revision), f.ch, nil
}

func (f *fakeWatch) AfterService(cell cloudmap.Cell, ns, svc string, fn func()) (*cloudmap.ServiceEntry, error) {
	e, ch, err := f.WatchService(cell, ns, svc)
	if err == nil {
		go func() { <-ch; fn() }()
	}
	return e, err
}

func (f *fakeWatch) AfterNamespace(cell cloudmap.Cell, ns string, fn func()) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, error) {
	n, es, serial, ch, err := f.WatchNamespace(cell, ns)
	if err == nil {
		go func() { <-ch; fn() }()
	}
	return n, es, serial, err
}

// logLines is a slog handler sending every message to a channel.
type logLines chan string

func (l logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l logLines) Handle(_ context.Context, r slog.Record) error {
	select {
	case l <- r.Message:
	default:
	}
	return nil
}
func (l logLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l logLines) WithGroup(string) slog.Handler      { return l }

// readEvent reads one SSE block (up to a blank line) and returns it.
func readEvent(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		if line == "\n" {
			return b.String()
		}
		b.WriteString(line)
	}
}

func openStream(t *testing.T, url string) *bufio.Reader {
	t.Helper()
	resp, err := http.Get(url + awsapi.WatchPath + "?namespace=ns&service=web")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	return bufio.NewReader(resp.Body)
}

func TestWatch_Heartbeats(t *testing.T) {
	src := newFakeWatch()
	srv := httptest.NewServer(awsapi.NewHandler(&fakeAPI{}, awsapi.Config{Watch: src, WatchHeartbeat: time.Millisecond}))
	t.Cleanup(srv.Close)
	r := openStream(t, srv.URL)
	if ev := readEvent(t, r); !strings.Contains(ev, "event: snapshot") {
		t.Fatalf("first event %q", ev)
	}
	if ev := readEvent(t, r); ev != ": heartbeat\n" {
		t.Fatalf("idle stream sent %q, want a heartbeat", ev)
	}
}

func TestWatch_SlowReaderIsDroppedOthersKeepUp(t *testing.T) {
	src := newFakeWatch()
	logs := make(logLines, 64)
	srv := httptest.NewServer(awsapi.NewHandler(&fakeAPI{}, awsapi.Config{Watch: src,
		WatchWriteTimeout: 20 * time.Millisecond, Logger: slog.New(logs),
		// No heartbeat between the changes, however long the loop takes
		// on a loaded machine: every event read is a change.
		WatchHeartbeat: time.Hour}))
	t.Cleanup(srv.Close)

	// The slow watcher sends its request and never reads.
	slow, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	slow.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(slow, "GET %s?namespace=ns&service=web HTTP/1.1\r\nHost: x\r\n\r\n", awsapi.WatchPath)

	fast := openStream(t, srv.URL)
	readEvent(t, fast) // snapshot
	big := strings.Repeat("x", 64<<10)
	for rev := int64(2); rev < 2000; rev++ {
		src.set(rev, fmt.Sprint(rev, big))
		// The fast watcher gets this change although the slow one is stuck.
		if ev := readEvent(t, fast); !strings.Contains(ev, fmt.Sprintf("id: %d\n", rev)) {
			t.Fatalf("fast watcher got %.80q, want the event of revision %d", ev, rev)
		}
		select {
		case msg := <-logs:
			if strings.Contains(msg, "watcher dropped") {
				return
			}
		default:
		}
	}
	t.Fatal("the slow watcher was never dropped")
}

// openWatch opens a stream of the query with Last-Event-ID lastID ("" for
// none).
func openWatch(t *testing.T, url, query, lastID string) *bufio.Reader {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+awsapi.WatchPath+"?"+query, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	return bufio.NewReader(resp.Body)
}

// A change is encoded once per group of streams and written to all of
// them: every stream of the service (and of its namespace) gets the same
// event with the right id and data, a stream resuming at the current id
// gets no snapshot and then the next change, and one resuming at an old id
// gets a fresh snapshot.
func TestWatch_EveryStreamGetsEachChangeWithItsID(t *testing.T) {
	src := newFakeWatch()
	srv := httptest.NewServer(awsapi.NewHandler(&fakeAPI{}, awsapi.Config{Watch: src}))
	t.Cleanup(srv.Close)
	var svcs, nss []*bufio.Reader
	for range 40 {
		svcs = append(svcs, openWatch(t, srv.URL, "namespace=ns&service=web", ""))
	}
	for range 5 {
		nss = append(nss, openWatch(t, srv.URL, "namespace=ns", ""))
	}
	for _, r := range append(slices.Clone(svcs), nss...) {
		if ev := readEvent(t, r); !strings.HasPrefix(ev, "id: 1\nevent: snapshot\n") {
			t.Fatalf("first event %q, want the snapshot of revision 1", ev)
		}
	}
	// every stream gets the change of revision rev, the same bytes for each
	// kind of stream
	expect := func(what string, rs []*bufio.Reader, rev int64, value string) {
		t.Helper()
		first := ""
		for i, r := range rs {
			ev := readEvent(t, r)
			if i == 0 {
				first = ev
			}
			if !strings.HasPrefix(ev, fmt.Sprintf("id: %d\nevent: change\n", rev)) ||
				!strings.Contains(ev, `"InstancesRevision":`+fmt.Sprint(rev)) ||
				!strings.Contains(ev, `"Changed":[{"InstanceId":"i-1"`) || !strings.Contains(ev, `"v":"`+value+`"`) || ev != first {
				t.Fatalf("%s stream %d got %q, want the change of revision %d to %q as the first stream got it (%q)",
					what, i, ev, rev, value, first)
			}
		}
	}
	src.set(2, "two")
	expect("service", svcs, 2, "two")
	expect("namespace", nss, 2, "two")

	resumed := openWatch(t, srv.URL, "namespace=ns&service=web", "2") // missed nothing
	stale := openWatch(t, srv.URL, "namespace=ns&service=web", "1")   // missed revision 2
	if ev := readEvent(t, stale); !strings.HasPrefix(ev, "id: 2\nevent: snapshot\n") || !strings.Contains(ev, `"v":"two"`) {
		t.Fatalf("stream resuming at an old id got %q, want a fresh snapshot of revision 2", ev)
	}
	src.set(3, "three")
	// the resumed stream's first event is the change: it got no snapshot
	expect("service", append(append(slices.Clone(svcs), resumed), stale), 3, "three")
	expect("namespace", nss, 3, "three")
}

// Streams of a service that is deleted get its last event (Deleted) and
// end; the group's wait ends with them.
func TestWatch_StreamsEndWhenTheServiceIsDeleted(t *testing.T) {
	src := newFakeWatch()
	srv := httptest.NewServer(awsapi.NewHandler(&fakeAPI{}, awsapi.Config{Watch: src}))
	t.Cleanup(srv.Close)
	var rs []*bufio.Reader
	for range 3 {
		r := openWatch(t, srv.URL, "namespace=ns&service=web", "")
		readEvent(t, r) // snapshot
		rs = append(rs, r)
	}
	src.remove()
	for i, r := range rs {
		if ev := readEvent(t, r); !strings.HasPrefix(ev, "id: 1\nevent: change\n") || !strings.Contains(ev, `"Deleted":true`) {
			t.Fatalf("stream %d got %q, want the deletion of the service", i, ev)
		}
		if _, err := r.ReadByte(); err == nil {
			t.Fatalf("stream %d goes on after the deletion", i)
		}
	}
}

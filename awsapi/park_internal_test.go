package awsapi

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
)

// oneRevision is a RevisionWatcher of services at revision 7 until moved.
type oneRevision struct {
	mu      sync.Mutex
	rev     int64
	ch      chan struct{}
	watched chan struct{}
}

func (s *oneRevision) WatchRevision(cloudmap.Cell, string, string, string) (int64, <-chan struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case s.watched <- struct{}{}:
	default: // nobody waits for it
	}
	return s.rev, s.ch, nil
}

func (s *oneRevision) WaitRevision(context.Context, string, string, string, int64) error {
	panic("a parked long-poll must not wait in the handler")
}

type revisionAPI struct{ cloudmap.API }

func (revisionAPI) DiscoverInstancesRevision(context.Context, *cloudmap.DiscoverInstancesRevisionInput) (*cloudmap.DiscoverInstancesRevisionOutput, error) {
	return &cloudmap.DiscoverInstancesRevisionOutput{InstancesRevision: 8}, nil
}

// TestLot_GroupEndsWithItsLastLongPoll: once the last long-poll parked on
// a service is answered, the lot holds no group (and no goroutine) for it.
func TestLot_GroupEndsWithItsLastLongPoll(t *testing.T) {
	src := &oneRevision{rev: 7, ch: make(chan struct{}), watched: make(chan struct{}, 16)}
	h := NewHandler(revisionAPI{}, Config{Waiter: src}).(*handler)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	var conns []net.Conn
	for range 2 {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		body := `{"NamespaceName":"ns","ServiceName":"web"}`
		fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Amz-Target: %sDiscoverInstancesRevision\r\n%s: 7\r\n"+
			"Content-Length: %d\r\n\r\n%s", defaultTable.prefix, IndexHeader, len(body), body)
		conns = append(conns, conn)
	}
	<-src.watched // the handler checked the revision of the first
	<-src.watched // and of the second (or the group started)
	<-src.watched // the group watches the service
	h.ext.lot.mu.Lock()
	groups := len(h.ext.lot.groups)
	h.ext.lot.mu.Unlock()
	src.mu.Lock()
	src.rev = 8
	close(src.ch)
	src.ch = make(chan struct{})
	src.mu.Unlock()
	for _, conn := range conns {
		if _, err := io.ReadAll(conn); err != nil {
			t.Fatal(err)
		}
	}
	h.ext.lot.mu.Lock()
	defer h.ext.lot.mu.Unlock()
	if groups != 1 || len(h.ext.lot.groups) != 0 {
		t.Errorf("%d groups while two long-polls waited on one service, %d after both were answered; want 1 and 0",
			groups, len(h.ext.lot.groups))
	}
}

// TestLot_ChangeBeforeJoiningAnsweredAtOnce: a long-poll that joins its
// service's group after the group read a change it has not seen (the
// change came between the handler's check and the parking) is answered at
// once, not at the next change.
func TestLot_ChangeBeforeJoiningAnsweredAtOnce(t *testing.T) {
	src := &oneRevision{rev: 8, ch: make(chan struct{}), watched: make(chan struct{}, 16)}
	h := NewHandler(revisionAPI{}, Config{Waiter: src}).(*handler)
	key := pollKey{ns: "ns", svc: "web"}
	// The group already answered the long-polls of revision 7 and waits
	// for the next change with one long-poll of revision 8.
	current := &parked{h: h, key: key, index: 8}
	h.ext.lot.mu.Lock()
	h.ext.lot.groups[key] = &holdGroup[pollKey, *parked]{key: key, members: map[*parked]struct{}{current: {}}, stop: make(chan struct{})}
	h.ext.lot.mu.Unlock()

	client, conn := net.Pipe()
	defer client.Close()
	p := &parked{h: h, o: defaultTable.lookup(defaultTable.prefix + "DiscoverInstancesRevision"),
		in: &cloudmap.DiscoverInstancesRevisionInput{NamespaceName: "ns", ServiceName: "web"}, reqID: "req-1",
		req: httptest.NewRequest("POST", "/", nil), key: key, index: 7, conn: conn}
	p.wait(time.Hour)
	if !p.done.Load() {
		t.Fatal("a long-poll of revision 7 parked at revision 8 waits for the next change")
	}
	answer, err := io.ReadAll(client)
	if err != nil || !strings.Contains(string(answer), `{"InstancesRevision":8}`) {
		t.Errorf("answered %q (%v), want revision 8", answer, err)
	}
}

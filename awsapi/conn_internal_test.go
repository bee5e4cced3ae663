package awsapi

import (
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// A connection given back stays the Resumer's to close at shutdown until
// the server sees it begin a request: StateNew (the server taking it back)
// keeps it so, StateActive (a request begun) hands it to the server.
func TestResumer_ClosesOnlyConnectionsWithoutARequest(t *testing.T) {
	r := NewResumer()
	idle, idlePeer := net.Pipe()
	busy, busyPeer := net.Pipe()
	defer idlePeer.Close()
	defer busyPeer.Close()
	defer busy.Close()
	for _, c := range []net.Conn{idle, busy} {
		if !r.resume(c) {
			t.Fatal("resume refused a connection with room in the backlog")
		}
		<-r.back // the server's accept loop takes it
	}
	r.ConnState(idle, http.StateNew)
	r.ConnState(busy, http.StateActive)
	r.close()
	// net.Pipe refuses a deadline once closed.
	if err := idle.SetDeadline(time.Time{}); err == nil {
		t.Error("a connection given back without a request begun was left open at close")
	}
	if err := busy.SetDeadline(time.Time{}); err != nil {
		t.Errorf("a connection serving a request was closed by the Resumer: %v", err)
	}
}

// deadlineConn records the write deadlines set on it.
type deadlineConn struct {
	net.Conn
	deadlines []time.Time
	fail      error
}

func (d *deadlineConn) SetWriteDeadline(t time.Time) error {
	d.deadlines = append(d.deadlines, t)
	return nil
}

func (d *deadlineConn) Write(b []byte) (int, error) {
	if d.fail != nil {
		return 0, d.fail
	}
	return len(b), nil
}

// A stream's write clears its deadline once written (a deadline left in
// place would, once past, turn every later one-shot write of the stream
// away), and leaves it after a failed write, whose connection ends.
func TestConnSink_WriteClearsItsDeadline(t *testing.T) {
	at := time.Now().Add(time.Minute)
	ok := &deadlineConn{}
	if err := (connSink{ok}).write([]byte("x"), at); err != nil {
		t.Fatal(err)
	}
	if len(ok.deadlines) != 2 || !ok.deadlines[0].Equal(at) || !ok.deadlines[1].IsZero() {
		t.Errorf("deadlines set around a write: %v, want %v then none", ok.deadlines, at)
	}
	bad := &deadlineConn{fail: net.ErrClosed}
	if err := (connSink{bad}).write([]byte("x"), at); err == nil {
		t.Fatal("a failed write reported no error")
	}
	if len(bad.deadlines) != 1 {
		t.Errorf("deadlines set around a failed write: %v, want only %v", bad.deadlines, at)
	}
	empty := &deadlineConn{}
	if err := (connSink{empty}).write(nil, at); err != nil || len(empty.deadlines) != 0 {
		t.Errorf("nothing to write: err %v, deadlines %v, want no call", err, empty.deadlines)
	}
}

// spread calls f once for every item, whatever the number of items and of
// cores, and returns after the last call.
func TestSpread_EveryItemOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // parts of their own, even where tests run on one CPU
	for _, n := range []int{0, 1, 10, spreadShare - 1, spreadShare, spreadShare + 1, 2000} {
		ms := make([]int, n)
		for i := range ms {
			ms[i] = i
		}
		calls := make([]atomic.Int32, n)
		spread(ms, func(i int) { calls[i].Add(1) })
		for i := range calls {
			if c := calls[i].Load(); c != 1 {
				t.Fatalf("%d items: item %d called %d times, want once", n, i, c)
			}
		}
	}
}

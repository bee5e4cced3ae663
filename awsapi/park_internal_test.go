package awsapi

import (
	"context"
	"io"
	"net"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cloudmap/cloudmap"
)

// quietRevision is a RevisionWatcher of a service that never changes.
type quietRevision struct{}

func (quietRevision) WatchRevision(cloudmap.Cell, string, string, string) (int64, <-chan struct{}, error) {
	return 7, nil, nil
}

func (quietRevision) AfterRevision(cloudmap.Cell, string, string, string, func()) (int64, error) {
	return 7, nil
}

func (quietRevision) WaitRevision(context.Context, string, string, string, int64) error {
	panic("parked long-polls do not wait in the handler")
}

// revisionAPI answers DiscoverInstancesRevision (the other methods are
// not called).
type revisionAPI struct{ cloudmap.API }

func (revisionAPI) DiscoverInstancesRevision(context.Context, *cloudmap.DiscoverInstancesRevisionInput) (*cloudmap.DiscoverInstancesRevisionOutput, error) {
	return &cloudmap.DiscoverInstancesRevisionOutput{InstancesRevision: 7}, nil
}

// The lot keeps one timer for all waits: each long-poll is answered at
// the end of its own wait, in the order of the ends, also when another
// leaves the lot before its end.
func TestLot_EachWaitEndsAtItsEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHandler(revisionAPI{}, Config{Waiter: quietRevision{}}).(*handler)
		o := h.table.lookup("Route53AutoNaming_v20170314.DiscoverInstancesRevision")
		park := func(wait time.Duration) *parked {
			server, client := net.Pipe()
			go io.Copy(io.Discard, client) // the client reads its answer
			t.Cleanup(func() { client.Close() })
			p := &parked{h: h, o: o, in: &cloudmap.DiscoverInstancesRevisionInput{NamespaceName: "ns", ServiceName: "web"},
				reqID: "r", req: parkRequest(httptest.NewRequest("POST", "/", nil)), key: pollKey{ns: "ns", svc: "web"}, index: 7,
				conn: server, close: true, at: -1}
			p.wait(wait)
			return p
		}
		late, early, gone, middle := park(3*time.Second), park(time.Second), park(1500*time.Millisecond), park(2*time.Second)
		gone.finish() // leaves before its end (as at a change)
		answered := func() (n []bool) {
			synctest.Wait()
			for _, p := range []*parked{early, middle, late} {
				n = append(n, p.done.Load())
			}
			return n
		}
		for i, step := range []struct {
			sleep time.Duration
			want  [3]bool
		}{
			{999 * time.Millisecond, [3]bool{false, false, false}},
			{time.Millisecond, [3]bool{true, false, false}},
			{time.Second, [3]bool{true, true, false}},
			{time.Second, [3]bool{true, true, true}},
		} {
			time.Sleep(step.sleep)
			if got := answered(); [3]bool(got) != step.want {
				t.Fatalf("step %d: answered (early, middle, late) %v, want %v", i, got, step.want)
			}
		}
		if n := len(h.ext.lot.ends); n != 0 {
			t.Fatalf("%d waits left in the lot", n)
		}
	})
}

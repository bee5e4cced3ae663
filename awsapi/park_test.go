package awsapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/awsapi"
)

// fakeRevision is a RevisionWaiter and RevisionWatcher of one service
// whose revision the test moves.
type fakeRevision struct {
	mu      sync.Mutex
	rev     int64
	ch      chan struct{}
	watched chan struct{} // receives each WatchRevision call
}

func (f *fakeRevision) WatchRevision(ns, svc, owner string) (int64, <-chan struct{}, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case f.watched <- struct{}{}:
	default:
	}
	if svc != "web" {
		return 0, nil, cloudmap.Errorf(cloudmap.ErrServiceNotFound, "no service %s", svc)
	}
	return f.rev, f.ch, nil
}

func (f *fakeRevision) WaitRevision(ctx context.Context, ns, svc, owner string, index int64) error {
	panic("a parked long-poll must not wait in the handler")
}

func (f *fakeRevision) set(rev int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rev = rev
	close(f.ch)
	f.ch = make(chan struct{})
}

func TestLongPoll_ParkedAnswersAtTheChange(t *testing.T) {
	src := &fakeRevision{rev: 7, ch: make(chan struct{}), watched: make(chan struct{}, 16)}
	api := &fakeAPI{Fn: func(ctx context.Context, op string, in any) (any, error) {
		src.mu.Lock()
		defer src.mu.Unlock()
		return &cloudmap.DiscoverInstancesRevisionOutput{InstancesRevision: src.rev}, nil
	}}
	srv := httptest.NewServer(awsapi.NewHandler(api, awsapi.Config{Waiter: src}))
	t.Cleanup(srv.Close)

	done := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"NamespaceName":"ns","ServiceName":"web"}`))
		req.Header.Set("X-Amz-Target", targetPrefix+"DiscoverInstancesRevision")
		req.Header.Set("X-Cloudmap-Index", "7")
		req.Header.Set("X-Cloudmap-Wait", "10m")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
		}
		done <- resp
	}()
	<-src.watched // the handler checked the revision
	<-src.watched // the group of parked long-polls watches the service
	src.set(8)
	resp := <-done
	if resp == nil {
		t.FailNow()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != `{"InstancesRevision":8}` || !resp.Close {
		t.Fatalf("got %d %s (close %v), want 200 revision 8 on a connection closed after it", resp.StatusCode, body, resp.Close)
	}
	if resp.Header.Get("X-Amzn-Requestid") == "" || resp.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		t.Fatalf("headers %v", resp.Header)
	}
}

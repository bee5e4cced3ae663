package awsapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/awsapi"
)

// untilDone is a RevisionWaiter (and not a RevisionWatcher: long-polls
// wait in the handler) whose revision never changes.
type untilDone struct{}

func (untilDone) WaitRevision(ctx context.Context, _, _, _ string, _ int64) error {
	<-ctx.Done()
	return ctx.Err()
}

func longPollRequest(url, wait string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, url, strings.NewReader(`{"NamespaceName":"ns","ServiceName":"web"}`))
	req.RequestURI = ""
	req.Header.Set("X-Amz-Target", targetPrefix+"DiscoverInstancesRevision")
	req.Header.Set(awsapi.IndexHeader, "7")
	req.Header.Set(awsapi.WaitHeader, wait)
	return req
}

// TestLongPoll_WaitOfZero: a long-poll that may wait 0 answers at once,
// over a real connection whose write deadline the wait moved.
func TestLongPoll_WaitOfZero(t *testing.T) {
	srv := httptest.NewServer(awsapi.NewHandler(&fakeAPI{Fn: func(context.Context, string, any) (any, error) {
		return &cloudmap.DiscoverInstancesRevisionOutput{InstancesRevision: 7}, nil
	}}, awsapi.Config{Waiter: untilDone{}}))
	t.Cleanup(srv.Close)
	r := do(t, longPollRequest(srv.URL, "0"))
	if r.status != 200 || string(r.body) != `{"InstancesRevision":7}` {
		t.Errorf("got %d %s, want 200 revision 7", r.status, r.body)
	}
}

// TestLongPoll_Jitter: a long-poll whose revision does not change answers
// after its wait plus a jitter of at most 1/16 of it (on the fake clock).
func TestLongPoll_Jitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := awsapi.NewHandler(&fakeAPI{}, awsapi.Config{Waiter: untilDone{}})
		const wait = 16 * time.Second
		for range 8 {
			start := time.Now()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, longPollRequest("/", wait.String()))
			if took := time.Since(start); rec.Code != 200 || took < wait || took > wait+wait/16 {
				t.Fatalf("answered %d after %v, want 200 after %v to %v", rec.Code, took, wait, wait+wait/16)
			}
		}
	})
}

// signalling is untilDone that says when it starts waiting.
type signalling struct{ waiting chan struct{} }

func (s signalling) WaitRevision(ctx context.Context, _, _, _ string, _ int64) error {
	s.waiting <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

// TestLongPoll_ClientGone: a long-poll whose client goes away while it
// waits ends without calling the API; the hooks see it canceled.
func TestLongPoll_ClientGone(t *testing.T) {
	var calls, canceled int
	api := &fakeAPI{Fn: func(context.Context, string, any) (any, error) { calls++; return nil, nil }}
	hook := func(op string, next awsapi.Invoker) awsapi.Invoker {
		return func(ctx context.Context, c *awsapi.Call) (any, error) {
			out, err := next(ctx, c)
			if errors.Is(err, context.Canceled) {
				canceled++
			}
			return out, err
		}
	}
	w := signalling{make(chan struct{})}
	h := awsapi.NewHandler(api, awsapi.Config{Waiter: w, Hooks: []awsapi.Hook{hook}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(httptest.NewRecorder(), longPollRequest("/", "10m").WithContext(ctx))
	}()
	<-w.waiting
	cancel()
	<-done
	if calls != 0 || canceled != 1 {
		t.Errorf("API called %d times, hooks saw %d canceled calls; want 0 and 1", calls, canceled)
	}
}

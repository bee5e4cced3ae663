package awsapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/awsapi"
)

// TestHandler_HooksNameRequestsRejectedEarly: a request refused before its
// body is read (method, content type, declared size) passes the hooks
// under the operation its target names, or UnknownOperation.
func TestHandler_HooksNameRequestsRejectedEarly(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	hook := func(op string, next awsapi.Invoker) awsapi.Invoker {
		return func(ctx context.Context, c *awsapi.Call) (any, error) {
			out, err := next(ctx, c)
			mu.Lock()
			seen = append(seen, c.Operation+" "+cloudmap.ErrorCode(err))
			mu.Unlock()
			return out, err
		}
	}
	url := start(t, nil, awsapi.Config{Hooks: []awsapi.Hook{hook}, MaxBodyBytes: 16})
	for _, c := range []struct {
		name, method, ctype, target, body, want string
	}{
		{"GET", http.MethodGet, "", targetPrefix + "GetNamespace", "", "GetNamespace MethodNotAllowedException"},
		{"content type", http.MethodPost, "text/plain", targetPrefix + "GetNamespace", `{}`, "GetNamespace SerializationException"},
		{"declared size", http.MethodPost, "", targetPrefix + "GetNamespace", `{"Id":"0123456789"}`,
			"GetNamespace RequestEntityTooLargeException"},
		{"unknown target", http.MethodGet, "", targetPrefix + "Nope", "", awsapi.UnknownOperation + " MethodNotAllowedException"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, url, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Amz-Target", c.target)
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			do(t, req)
			mu.Lock()
			defer mu.Unlock()
			if len(seen) != 1 || seen[0] != c.want {
				t.Errorf("hooks saw %q, want %q", seen, c.want)
			}
			seen = nil
		})
	}
}

type ctxKey struct{}

// contextAuth authorizes every request with ctx(r).
type contextAuth func(r *http.Request) context.Context

func (a contextAuth) Authorize(r *http.Request, _ []byte, _ string, _ any) (context.Context, error) {
	return a(r), nil
}

// TestHandler_OperationRunsWithTheAuthorizersContext: the hooks and the API
// get the context the authorizer returns (it carries the caller's cell),
// or the request's when the authorizer returns none.
func TestHandler_OperationRunsWithTheAuthorizersContext(t *testing.T) {
	var mu sync.Mutex
	var got []any
	seen := func(ctx context.Context) {
		mu.Lock()
		defer mu.Unlock()
		if ctx == nil {
			got = append(got, "nil context")
			return
		}
		got = append(got, ctx.Value(ctxKey{}))
	}
	hook := func(op string, next awsapi.Invoker) awsapi.Invoker {
		return func(ctx context.Context, c *awsapi.Call) (any, error) {
			seen(ctx)
			return next(ctx, c)
		}
	}
	api := func(ctx context.Context, _ string, _ any) (any, error) { seen(ctx); return nil, nil }
	for _, c := range []struct {
		name string
		auth contextAuth
		want any
	}{
		{"authorizer's context", func(r *http.Request) context.Context {
			return context.WithValue(r.Context(), ctxKey{}, "caller")
		}, "caller"},
		{"no context from the authorizer", func(*http.Request) context.Context { return nil }, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := start(t, api, awsapi.Config{Authorizer: c.auth, Hooks: []awsapi.Hook{hook}})
			checkAnswer(t, post(t, url, targetPrefix+"GetNamespace", `{"Id":"ns-1"}`), "", nil)
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 2 || got[0] != c.want || got[1] != c.want {
				t.Errorf("hook and API saw %v, want %v twice", got, c.want)
			}
			got = nil
		})
	}
}

// TestLongPoll_ParkedCallsTheAPIOnce: a parked long-poll passes the hooks
// and calls the API once, when it answers at the change; the handler that
// parked it answers nothing itself.
func TestLongPoll_ParkedCallsTheAPIOnce(t *testing.T) {
	src := &fakeRevision{rev: 7, ch: make(chan struct{}), watched: make(chan struct{}, 16)}
	var calls atomic.Int32
	api := &fakeAPI{Fn: func(ctx context.Context, op string, in any) (any, error) {
		calls.Add(1)
		src.mu.Lock()
		defer src.mu.Unlock()
		return &cloudmap.DiscoverInstancesRevisionOutput{InstancesRevision: src.rev}, nil
	}}
	h := awsapi.NewHandler(api, awsapi.Config{Waiter: src})
	returned := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		close(returned)
	}))
	t.Cleanup(srv.Close)

	done := longPollRevision(t, srv.URL, "7")
	<-src.watched // the handler checked the revision
	<-src.watched // the group of parked long-polls watches the service
	<-returned    // the handler handed the connection over
	src.set(8)
	resp := <-done
	if resp == nil {
		t.FailNow()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != `{"InstancesRevision":8}` {
		t.Fatalf("got %d %s, want 200 revision 8", resp.StatusCode, body)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the API was called %d times for one parked long-poll, want once", n)
	}
}

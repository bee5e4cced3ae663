package awsapi_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
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

func (f *fakeRevision) WatchRevision(_ cloudmap.Cell, ns, svc, owner string) (int64, <-chan struct{}, error) {
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

func (f *fakeRevision) AfterRevision(cell cloudmap.Cell, ns, svc, owner string, fn func()) (int64, error) {
	return afterRevision(f.WatchRevision, cell, ns, svc, owner, fn)
}

// afterRevision is AfterRevision over WatchRevision: fn is called when
// the channel closes.
func afterRevision(watch func(cloudmap.Cell, string, string, string) (int64, <-chan struct{}, error),
	cell cloudmap.Cell, ns, svc, owner string, fn func()) (int64, error) {
	rev, ch, err := watch(cell, ns, svc, owner)
	if err == nil {
		go func() { <-ch; fn() }()
	}
	return rev, err
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
	// The hooks of the answer see the request (its headers and address,
	// not its body, which the lot does not keep).
	seen := make(chan string, 4)
	hook := func(op string, next awsapi.Invoker) awsapi.Invoker {
		return func(ctx context.Context, c *awsapi.Call) (any, error) {
			seen <- c.Request.Header.Get("X-Cloudmap-Index") + " " + fmt.Sprint(c.Request.RemoteAddr != "")
			return next(ctx, c)
		}
	}
	srv := httptest.NewServer(awsapi.NewHandler(api, awsapi.Config{Waiter: src, Hooks: []awsapi.Hook{hook}}))
	t.Cleanup(srv.Close)

	done := longPollRevision(t, srv.URL, "7")
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
	if got := <-seen; got != "7 true" {
		t.Fatalf("the hook saw index and address %q, want the request's (7 true)", got)
	}
}

// waitingRevision is fakeRevision whose WaitRevision works (for HTTP/2,
// where connections cannot be handed over).
type waitingRevision struct{ *fakeRevision }

func (f waitingRevision) WaitRevision(ctx context.Context, ns, svc, owner string, index int64) error {
	for {
		rev, ch, err := f.WatchRevision(cloudmap.Cell{}, ns, svc, owner)
		if err != nil || rev != index {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Over HTTP/2 a long-poll waits in the handler and a stream is served by
// its own goroutine: the same answers.
func TestExtensions_HTTP2(t *testing.T) {
	src := waitingRevision{&fakeRevision{rev: 7, ch: make(chan struct{}), watched: make(chan struct{}, 16)}}
	streams := newFakeWatch()
	api := &fakeAPI{Fn: func(ctx context.Context, op string, in any) (any, error) {
		src.mu.Lock()
		defer src.mu.Unlock()
		return &cloudmap.DiscoverInstancesRevisionOutput{InstancesRevision: src.rev}, nil
	}}
	srv := httptest.NewUnstartedServer(awsapi.NewHandler(api, awsapi.Config{Waiter: src, Watch: streams}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c := srv.Client()

	done := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"NamespaceName":"ns","ServiceName":"web"}`))
		req.Header.Set("X-Amz-Target", targetPrefix+"DiscoverInstancesRevision")
		req.Header.Set("X-Cloudmap-Index", "7")
		req.Header.Set("X-Cloudmap-Wait", "10m")
		resp, err := c.Do(req)
		if err != nil {
			done <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		done <- resp.Proto + " " + string(b)
	}()
	<-src.watched // the handler checked the revision
	<-src.watched // and waits on it
	src.set(8)
	if got := <-done; got != `HTTP/2.0 {"InstancesRevision":8}` {
		t.Fatalf("long-poll over HTTP/2: %s", got)
	}

	resp, err := c.Get(srv.URL + awsapi.WatchPath + "?namespace=ns&service=web")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	if ev := readEvent(t, r); resp.ProtoMajor != 2 || !strings.Contains(ev, "event: snapshot") {
		t.Fatalf("stream over %s: first event %q", resp.Proto, ev)
	}
	streams.set(2, "changed")
	if ev := readEvent(t, r); !strings.Contains(ev, "id: 2\nevent: change") || !strings.Contains(ev, "changed") {
		t.Fatalf("stream over HTTP/2: %q, want the change of revision 2", ev)
	}
}

// flipRevision is a RevisionWatcher whose revision moves, when flip is
// set, right after the next look at it, without waking anybody: a change
// the group of parked long-polls has already taken.
type flipRevision struct {
	mu      sync.Mutex
	rev     int64
	flip    bool
	ch      chan struct{}
	watched chan struct{}
}

func (f *flipRevision) WatchRevision(_ cloudmap.Cell, ns, svc, owner string) (int64, <-chan struct{}, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rev := f.rev
	if f.flip {
		f.flip, f.rev = false, f.rev+1
	}
	f.watched <- struct{}{}
	return rev, f.ch, nil
}

func (f *flipRevision) AfterRevision(cell cloudmap.Cell, ns, svc, owner string, fn func()) (int64, error) {
	return afterRevision(f.WatchRevision, cell, ns, svc, owner, fn)
}

func (f *flipRevision) WaitRevision(context.Context, string, string, string, int64) error {
	panic("a parked long-poll must not wait in the handler")
}

// A change between the handler's look at the revision and the parking of
// the request is not lost: the request is answered at once.
func TestLongPoll_ChangeWhileParkingIsNotLost(t *testing.T) {
	src := &flipRevision{rev: 5, ch: make(chan struct{}), watched: make(chan struct{}, 64)}
	api := &fakeAPI{Fn: func(ctx context.Context, op string, in any) (any, error) {
		src.mu.Lock()
		defer src.mu.Unlock()
		return &cloudmap.DiscoverInstancesRevisionOutput{InstancesRevision: src.rev}, nil
	}}
	srv := httptest.NewServer(awsapi.NewHandler(api, awsapi.Config{Waiter: src}))
	t.Cleanup(srv.Close)
	poll := func(done chan<- string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"NamespaceName":"ns","ServiceName":"web"}`))
		req.Header.Set("X-Amz-Target", targetPrefix+"DiscoverInstancesRevision")
		req.Header.Set("X-Cloudmap-Index", "5")
		req.Header.Set("X-Cloudmap-Wait", "10m")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		done <- string(b)
	}
	first := make(chan string, 1)
	go poll(first) // parks; its group waits on the revision
	for range 3 {  // the handler's look, the group's, the look after parking
		<-src.watched
	}
	src.mu.Lock()
	src.flip = true
	src.mu.Unlock()
	second := make(chan string, 1)
	go poll(second)
	if got := <-second; got != `{"InstancesRevision":6}` {
		t.Fatalf("long-poll parked across a change got %s, want revision 6 at once", got)
	}
	select {
	case got := <-first:
		t.Fatalf("the first long-poll was answered (%s) although nobody woke its group", got)
	default:
	}
}

// With a Resumer, the connection of an answered long-poll is given back
// to the server: the answer does not close it, and the client's next
// long-poll, sent on the same connection, parks and is answered again.
func TestLongPoll_ResumerKeepsTheConnection(t *testing.T) {
	src := &fakeRevision{rev: 7, ch: make(chan struct{}), watched: make(chan struct{}, 64)}
	api := &fakeAPI{Fn: func(ctx context.Context, op string, in any) (any, error) {
		src.mu.Lock()
		defer src.mu.Unlock()
		return &cloudmap.DiscoverInstancesRevisionOutput{InstancesRevision: src.rev}, nil
	}}
	res := awsapi.NewResumer()
	srv := httptest.NewUnstartedServer(awsapi.NewHandler(api, awsapi.Config{Waiter: src, Resumer: res}))
	srv.Listener = res.Listener(srv.Listener)
	srv.Config.ConnState = res.ConnState
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for i, index := range []int64{7, 8} {
		body := `{"NamespaceName":"ns","ServiceName":"web"}`
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: %sDiscoverInstancesRevision\r\n"+
			"X-Cloudmap-Index: %d\r\nX-Cloudmap-Wait: 10m\r\nContent-Length: %d\r\n\r\n%s", targetPrefix, index, len(body), body)
		for range 2 { // the handler's look; the group's, or the look after parking
			<-src.watched
		}
		src.set(index + 1)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("long-poll %d on the same connection: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if got, want := fmt.Sprint(resp.StatusCode, " ", string(b), " close=", resp.Close), fmt.Sprintf(`200 {"InstancesRevision":%d} close=false`, index+1); got != want {
			t.Fatalf("long-poll %d: %s, want %s", i, got, want)
		}
	}
}

// The hooks of a parked long-poll's answer see what they see of a request
// answered in the handler: the operation, the request ID of the answer,
// the input, and of the request its method, URL, protocol, Host,
// RemoteAddr, ContentLength, Close and the headers a parked long-poll
// keeps (Authorization, X-Amz-Target and the long-poll's); the others
// (here User-Agent) and the body are not kept.
func TestLongPoll_ParkedHooksSeeTheRequest(t *testing.T) {
	src := &fakeRevision{rev: 7, ch: make(chan struct{}), watched: make(chan struct{}, 16)}
	api := &fakeAPI{Fn: func(ctx context.Context, op string, in any) (any, error) {
		src.mu.Lock()
		defer src.mu.Unlock()
		return &cloudmap.DiscoverInstancesRevisionOutput{InstancesRevision: src.rev}, nil
	}}
	type view struct {
		Op, RequestID, Input                 string
		Method, URL, Proto, Host, RequestURI string
		Major, Minor                         int
		Length                               int64
		Close, Body, TLS                     bool
		Remote, Auth, Target, Index, Wait    string
		UserAgent                            string
	}
	seen := make(chan view, 2)
	hook := func(op string, next awsapi.Invoker) awsapi.Invoker {
		return func(ctx context.Context, c *awsapi.Call) (any, error) {
			r := c.Request
			seen <- view{Op: c.Operation, RequestID: c.RequestID, Input: fmt.Sprintf("%+v", c.Input),
				Method: r.Method, URL: r.URL.String(), Proto: r.Proto, Host: r.Host, RequestURI: r.RequestURI,
				Major: r.ProtoMajor, Minor: r.ProtoMinor, Length: r.ContentLength, Close: r.Close,
				Body: r.Body != nil && r.Body != http.NoBody, TLS: r.TLS != nil, Remote: r.RemoteAddr,
				Auth: r.Header.Get("Authorization"), Target: r.Header.Get("X-Amz-Target"),
				Index: r.Header.Get("X-Cloudmap-Index"), Wait: r.Header.Get("X-Cloudmap-Wait"),
				UserAgent: r.Header.Get("User-Agent")}
			return next(ctx, c)
		}
	}
	srv := httptest.NewServer(awsapi.NewHandler(api, awsapi.Config{Waiter: src, Hooks: []awsapi.Hook{hook}}))
	t.Cleanup(srv.Close)
	const auth = "AWS4-HMAC-SHA256 Credential=AKIDPARKED/20261126/us-east-1/servicediscovery/aws4_request, SignedHeaders=host, Signature=00"
	send := func(index string) (string, chan *http.Response) {
		done := make(chan *http.Response, 1)
		body := `{"NamespaceName":"ns","ServiceName":"web"}`
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/?X-Amz-Credential=AKIDQUERY%2F20261126", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", targetPrefix+"DiscoverInstancesRevision")
		req.Header.Set("Authorization", auth)
		req.Header.Set("User-Agent", "probe/1")
		req.Header.Set("X-Cloudmap-Index", index)
		req.Header.Set("X-Cloudmap-Wait", "10m")
		go func() {
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Error(err)
			}
			done <- resp
		}()
		return body, done
	}
	answer := func(done chan *http.Response) string {
		resp := <-done
		if resp == nil {
			t.FailNow()
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		return resp.Header.Get("X-Amzn-Requestid")
	}

	// Answered at once in the handler (the index is not the revision).
	body, done := send("6")
	<-src.watched
	inHandler := <-seen
	if id := answer(done); inHandler.RequestID != id {
		t.Fatalf("the hook saw request ID %q, the answer has %q", inHandler.RequestID, id)
	}
	// Parked (the index is the revision), answered at the change, on the
	// same connection.
	_, done = send("7")
	<-src.watched // the handler checked the revision
	<-src.watched // the group of parked long-polls watches the service
	src.set(8)
	parked := <-seen
	if id := answer(done); parked.RequestID != id {
		t.Fatalf("the parked hook saw request ID %q, the answer has %q", parked.RequestID, id)
	}

	want := inHandler
	// Neither the body (read, and decoded into the input) nor User-Agent
	// is kept.
	want.RequestID, want.Index, want.UserAgent, want.Body = parked.RequestID, "7", "", false
	if parked != want {
		t.Fatalf("the hook of the parked long-poll saw\n%+v\nwant (as in the handler, index 7, no body, no User-Agent)\n%+v", parked, want)
	}
	if inHandler.Auth != auth || inHandler.UserAgent != "probe/1" || inHandler.Length != int64(len(body)) ||
		inHandler.URL != "/?X-Amz-Credential=AKIDQUERY%2F20261126" || inHandler.Remote == "" || inHandler.Op != "DiscoverInstancesRevision" {
		t.Fatalf("the hook in the handler saw %+v", inHandler)
	}
}

// longPollRevision sends a DiscoverInstancesRevision long-poll at index
// (a 10-minute wait) from a goroutine of its own; its response arrives on
// the channel (nil when the request failed).
func longPollRevision(t *testing.T, url, index string) <-chan *http.Response {
	t.Helper()
	done := make(chan *http.Response, 1)
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"NamespaceName":"ns","ServiceName":"web"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", targetPrefix+"DiscoverInstancesRevision")
	req.Header.Set("X-Cloudmap-Index", index)
	req.Header.Set("X-Cloudmap-Wait", "10m")
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
		}
		done <- resp
	}()
	return done
}

package awsapi_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/awsapi"
)

// revisionSource is a RevisionWatcher (and RevisionWaiter) of one service
// at revision 7 that the test moves once; watched receives each watch.
type revisionSource struct {
	mu      sync.Mutex
	rev     int64
	ch      chan struct{}
	watched chan struct{}
}

func newRevisionSource() *revisionSource {
	return &revisionSource{rev: 7, ch: make(chan struct{}), watched: make(chan struct{}, 16)}
}

func (s *revisionSource) WatchRevision(cloudmap.Cell, string, string, string) (int64, <-chan struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case s.watched <- struct{}{}:
	default: // nobody waits for it
	}
	return s.rev, s.ch, nil
}

func (s *revisionSource) AfterRevision(cell cloudmap.Cell, ns, svc, owner string, fn func()) (int64, error) {
	return afterRevision(s.WatchRevision, cell, ns, svc, owner, fn)
}

func (s *revisionSource) WaitRevision(context.Context, string, string, string, int64) error {
	panic("a parked long-poll must not wait in the handler")
}

func (s *revisionSource) move() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rev++
	close(s.ch)
	s.ch = make(chan struct{})
}

// parkOne parks one long-poll of op on a handler over api, moves the
// revision once the poll is parked, and returns the answer as read from
// the connection up to its close.
func parkOne(t *testing.T, api func(context.Context, string, any) (any, error), cfg awsapi.Config, op string) (*http.Response, []byte) {
	t.Helper()
	src := newRevisionSource()
	cfg.Waiter = src
	srv := httptest.NewServer(awsapi.NewHandler(&fakeAPI{Fn: api}, cfg))
	t.Cleanup(srv.Close)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"NamespaceName":"ns","ServiceName":"web"}`
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Amz-Target: %s%s\r\n%s: 7\r\n%s: 10m\r\nContent-Length: %d\r\n\r\n%s",
		targetPrefix, op, awsapi.IndexHeader, awsapi.WaitHeader, len(body), body)
	<-src.watched // the handler checked the revision
	<-src.watched // the group of parked long-polls watches the service
	src.move()
	raw, err := io.ReadAll(conn) // up to the close: the answer is complete
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		t.Fatalf("answer %q: %v", raw, err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestLongPoll_ParkedAnswerInTheCallersCell: a parked long-poll is
// answered in the cell of the caller the authorizer found, with a live
// context.
func TestLongPoll_ParkedAnswerInTheCallersCell(t *testing.T) {
	cell := cloudmap.Cell{Account: "111122223333", Region: "eu-west-1"}
	var mu sync.Mutex
	var got []string
	api := func(ctx context.Context, _ string, _ any) (any, error) {
		c, _ := cloudmap.CellFrom(ctx)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, fmt.Sprintf("%s/%s live=%v", c.Account, c.Region, ctx.Err() == nil))
		return nil, nil
	}
	for _, c := range []struct {
		name string
		auth awsapi.Authorizer
		want string
	}{
		{"default cell", nil, "/ live=true"},
		{"another cell", contextAuth(func(r *http.Request) context.Context { return cloudmap.WithCell(r.Context(), cell) }),
			"111122223333/eu-west-1 live=true"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, _ := parkOne(t, api, awsapi.Config{Authorizer: c.auth}, "DiscoverInstancesRevision")
			mu.Lock()
			defer mu.Unlock()
			defer func() { got = nil }()
			if resp.StatusCode != 200 || len(got) != 1 || got[0] != c.want {
				t.Errorf("answered %d; the API saw %q, want %q", resp.StatusCode, got, c.want)
			}
		})
	}
}

// TestLongPoll_ParkedAnswers: a parked long-poll's answer is a whole
// HTTP/1.1 response: a body of any size with its length, the error type
// header for an error and none otherwise; and a successful answer logs
// nothing.
func TestLongPoll_ParkedAnswers(t *testing.T) {
	var instances []cloudmap.HttpInstanceSummary
	for i := range 20 {
		instances = append(instances, cloudmap.HttpInstanceSummary{InstanceId: fmt.Sprintf("instance-%02d", i)})
	}
	big := &cloudmap.DiscoverInstancesOutput{Instances: instances, InstancesRevision: 8}
	t.Run("large body", func(t *testing.T) {
		logs := &records{}
		resp, body := parkOne(t, func(context.Context, string, any) (any, error) { return big, nil },
			awsapi.Config{Logger: slog.New(logs)}, "DiscoverInstances")
		want := `{"Instances":[{"InstanceId":"instance-00"}`
		if resp.StatusCode != 200 || len(body) < 256 || !strings.HasPrefix(string(body), want) || resp.ContentLength != int64(len(body)) {
			t.Errorf("got %d, %d bytes (Content-Length %d): %.60s, want 200 and %s...", resp.StatusCode, len(body), resp.ContentLength, body, want)
		}
		if et, ok := resp.Header["X-Amzn-Errortype"]; ok {
			t.Errorf("a successful answer has X-Amzn-Errortype %q", et)
		}
		if l := logs.take(); len(l) != 0 {
			t.Errorf("a successful answer logged %q", l)
		}
	})
	t.Run("error", func(t *testing.T) {
		resp, body := parkOne(t, func(context.Context, string, any) (any, error) {
			return nil, cloudmap.Errorf(cloudmap.ErrServiceNotFound, "gone")
		}, awsapi.Config{}, "DiscoverInstances")
		if et := resp.Header.Get("X-Amzn-Errortype"); resp.StatusCode != 400 || et != cloudmap.ErrServiceNotFound ||
			string(body) != `{"__type":"ServiceNotFound","Message":"gone"}` {
			t.Errorf("got %d X-Amzn-Errortype %q %s, want 400 ServiceNotFound", resp.StatusCode, et, body)
		}
	})
}

// TestLongPoll_PipelinedRequestAnswersAtOnce: a long-poll followed on its
// connection by another request (pipelined) is answered at once, not
// parked, and its connection closed.
func TestLongPoll_PipelinedRequestAnswersAtOnce(t *testing.T) {
	logs := make(logLines, 16)
	src := newRevisionSource()
	srv := httptest.NewServer(awsapi.NewHandler(&fakeAPI{Fn: func(context.Context, string, any) (any, error) {
		return &cloudmap.DiscoverInstancesRevisionOutput{InstancesRevision: 7}, nil
	}}, awsapi.Config{Waiter: src, Logger: slog.New(logs)}))
	t.Cleanup(srv.Close)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"NamespaceName":"ns","ServiceName":"web"}`
	// (A wait of 1s only bounds the test should the second request not
	// be buffered yet: the long-poll would then park and answer then.)
	poll := fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: %sDiscoverInstancesRevision\r\n%s: 7\r\n%s: 1s\r\n"+
		"Content-Length: %d\r\n\r\n%s", targetPrefix, awsapi.IndexHeader, awsapi.WaitHeader, len(body), body)
	io.WriteString(conn, poll+poll) // both in one write: the second is buffered when the first is served
	answer := make(chan []byte, 1)
	go func() {
		raw, _ := io.ReadAll(conn)
		answer <- raw
	}()
	select {
	case raw := <-answer:
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
		if err != nil {
			t.Fatalf("answer %q: %v", raw, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(b) != `{"InstancesRevision":7}` || !resp.Close {
			t.Errorf("got %d %s (close %v), want 200 revision 7 and the connection closed", resp.StatusCode, b, resp.Close)
		}
	case msg := <-logs:
		t.Fatalf("logged %q instead of answering", msg)
	}
}

package awsapi_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/auth"
	"github.com/cloudmap/cloudmap/awsapi"
	"github.com/cloudmap/cloudmap/connlimit"
)

// Slow bodies (slowbody.go): a body still arriving after the grace is read
// on its connection taken over from net/http. The servers here take every
// body that did not come with its headers over (BodyGrace -1), and the
// tests wait for net/http's StateHijacked before they send the rest, so
// the path taken never depends on timing.

// slowServer is a handler on loopback whose connections taken over are
// reported on hijacked.
type slowServer struct {
	url, addr string
	hijacked  chan struct{}
	lim       *connlimit.Limiter
}

// startSlow serves api with cfg (BodyGrace -1 unless set) and, when lim is
// not nil, the connection caps of lim in front as the server has them.
func startSlow(t *testing.T, fn func(context.Context, string, any) (any, error), cfg awsapi.Config, lim *connlimit.Limiter) *slowServer {
	t.Helper()
	if cfg.BodyGrace == 0 {
		cfg.BodyGrace = -1
	}
	s := &slowServer{hijacked: make(chan struct{}, 64), lim: lim}
	var h http.Handler = awsapi.NewHandler(&fakeAPI{Fn: fn}, cfg)
	if lim != nil {
		next := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := lim.Admit(r); err != nil {
				w.Header().Set("Connection", "close")
				awsapi.WriteError(w, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(c net.Conn, st http.ConnState) {
		if lim != nil {
			lim.ConnState(c, st)
		}
		if st == http.StateHijacked {
			s.hijacked <- struct{}{}
		}
	}
	if lim != nil {
		srv.Listener = lim.Listener(srv.Listener)
		srv.Config.ConnContext = lim.ConnContext
	}
	srv.Start()
	t.Cleanup(srv.Close)
	s.url, s.addr = srv.URL, srv.Listener.Addr().String()
	return s
}

// dial opens a raw connection; its deadline only guards against a hang.
func (s *slowServer) dial(t *testing.T) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return c
}

// sendSlowly writes raw up to the middle of its body (the body is the
// last bodyLen bytes), waits until the server has taken the connection
// over, then writes the rest.
func (s *slowServer) sendSlowly(t *testing.T, c net.Conn, raw []byte, bodyLen int) {
	t.Helper()
	cut := len(raw) - bodyLen/2
	if _, err := c.Write(raw[:cut]); err != nil {
		t.Fatal(err)
	}
	s.waitTakenOver(t)
	if _, err := c.Write(raw[cut:]); err != nil {
		t.Fatal(err)
	}
}

// waitTakenOver waits for the server to take a connection over (the
// guard only keeps a broken server from hanging the test).
func (s *slowServer) waitTakenOver(t *testing.T) {
	t.Helper()
	select {
	case <-s.hijacked:
	case <-time.After(20 * time.Second):
		t.Fatal("the server never took the connection over")
	}
}

// rawRequest is req as sent on the wire.
func rawRequest(t *testing.T, req *http.Request) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := req.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// signedRequest is a request to s of op with body, signed by key:secret
// with the SDK's signer.
func signedRequest(t *testing.T, s *slowServer, op, body, key, secret string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", targetPrefix+op)
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret},
		req, hex.EncodeToString(sum[:]), "servicediscovery", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

// readAnswer reads one answer on c: status, AWS error code (empty on
// success), body and whether the server closes the connection after it.
func readAnswer(t *testing.T, c net.Conn) (status int, code string, body []byte, closing bool) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		var doc struct {
			Type string `json:"__type"`
		}
		json.Unmarshal(body, &doc)
		code = doc.Type
	}
	return resp.StatusCode, code, body, resp.Close
}

func slowAuthorizer() *auth.Authorizer {
	return auth.New(auth.Config{Region: "us-east-1", Keys: []auth.Key{
		{Name: "test", AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}}})
}

// A signed request whose body arrives after the connection was taken over
// is verified and served like any other (its input decoded, its signature
// over the whole body checked), on a connection closed after the answer;
// a body changed after signing, sent the same way, fails the signature.
func TestSlowBody_CompletedIsServedAndVerified(t *testing.T) {
	var mu sync.Mutex
	var got []string
	s := startSlow(t, func(_ context.Context, op string, in any) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, fmt.Sprintf("%s %+v", op, *in.(*cloudmap.ListInput)))
		return &cloudmap.ListNamespacesOutput{NextToken: "next"}, nil
	}, awsapi.Config{Authorizer: slowAuthorizer()}, nil)

	body := `{"MaxResults":7,"NextToken":"` + strings.Repeat("t", 600) + `"}`
	c := s.dial(t)
	s.sendSlowly(t, c, rawRequest(t, signedRequest(t, s, "ListNamespaces", body, "AKIDTEST", "secret")), len(body))
	status, code, out, closing := readAnswer(t, c)
	if status != 200 || string(out) != `{"NextToken":"next"}` {
		t.Fatalf("slow signed request: %d %s %s, want 200 with the operation's output", status, code, out)
	}
	if !closing {
		t.Error("the answer to a request read off its connection does not close it")
	}
	mu.Lock()
	if want := "ListNamespaces {NextToken:" + strings.Repeat("t", 600) + " MaxResults:7 Filters:[]}"; len(got) != 1 || got[0] != want {
		t.Errorf("operation got %q, want %q", got, want)
	}
	mu.Unlock()

	tampered := rawRequest(t, signedRequest(t, s, "ListNamespaces", body, "AKIDTEST", "secret"))
	copy(tampered[len(tampered)-10:], "uuuuuuuuuu") // the half sent after the takeover
	c = s.dial(t)
	s.sendSlowly(t, c, tampered, len(body))
	if status, code, _, _ := readAnswer(t, c); status != 403 || code != "InvalidSignatureException" {
		t.Errorf("body changed after signing, sent slowly: %d %s, want 403 InvalidSignatureException", status, code)
	}
}

// A body that stops arriving is answered SerializationException naming
// the timeout when its time is up, and its connection is closed.
func TestSlowBody_StalledIsClosedAtItsDeadline(t *testing.T) {
	s := startSlow(t, nil, awsapi.Config{BodyTimeout: 100 * time.Millisecond}, nil)
	c := s.dial(t)
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: %sListNamespaces\r\nContent-Length: 1048576\r\n\r\n{\"MaxRes", targetPrefix)
	s.waitTakenOver(t)
	status, code, body, closing := readAnswer(t, c)
	if status != 400 || code != cloudmap.ErrSerialization || !strings.Contains(string(body), "did not arrive in time: 8 bytes received") {
		t.Errorf("stalled body: %d %s %s, want 400 SerializationException naming the timeout and the bytes received", status, code, body)
	}
	if !closing {
		t.Error("the answer does not close the connection")
	}
	if n, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("after the answer: read %d bytes, %v; want the connection closed (EOF)", n, err)
	}
}

// A connection taken over still counts against the connection caps until
// it ends: with one connection per client, a client holding a slow body
// is refused a second one (503 naming the limit), and the slow request is
// still served when its body arrives.
func TestSlowBody_CountsAgainstConnectionCaps(t *testing.T) {
	lim := connlimit.New(connlimit.Config{PerClient: 1})
	s := startSlow(t, nil, awsapi.Config{}, lim)
	body := `{"MaxResults":5}`
	req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(body))
	req.Header.Set("X-Amz-Target", targetPrefix+"ListNamespaces")
	raw := rawRequest(t, req)

	held := s.dial(t)
	cut := len(raw) - len(body)/2
	held.Write(raw[:cut])
	s.waitTakenOver(t)
	if st := lim.Stats(); st.Open != 1 {
		t.Errorf("connections counted while one is taken over: %+v, want Open 1", st)
	}
	other := s.dial(t)
	other.Write(raw)
	if status, code, body, _ := readAnswer(t, other); status != 503 || code != cloudmap.ErrServiceUnavailable ||
		!strings.Contains(string(body), "limit is 1 per client address") {
		t.Errorf("second connection while the first is taken over: %d %s %s, want 503 naming the per-client limit", status, code, body)
	}
	held.Write(raw[cut:])
	if status, code, _, _ := readAnswer(t, held); status != 200 {
		t.Errorf("the slow request: %d %s, want 200", status, code)
	}
}

// While connections with slow bodies are held, other clients are served
// (through the SDK, signed).
func TestSlowBody_OthersAreServed(t *testing.T) {
	s := startSlow(t, nil, awsapi.Config{Authorizer: slowAuthorizer()}, nil)
	body := `{"MaxResults":5}`
	raw := rawRequest(t, signedRequest(t, s, "ListNamespaces", body, "AKIDTEST", "secret"))
	for range 20 {
		c := s.dial(t)
		c.Write(raw[:len(raw)-2])
		s.waitTakenOver(t)
	}
	if _, err := client(s.url).ListNamespaces(context.Background(), &sd.ListNamespacesInput{}); err != nil {
		t.Errorf("another client while 20 slow bodies are held: %v", err)
	}
}

// A chunked body is read off net/http from its first byte: decoded,
// served, and refused RequestEntityTooLarge past the body limit; a client
// that expects 100-continue gets it.
func TestSlowBody_Chunked(t *testing.T) {
	s := startSlow(t, func(_ context.Context, _ string, in any) (any, error) {
		return &cloudmap.ListNamespacesOutput{NextToken: fmt.Sprint(in.(*cloudmap.ListInput).MaxResults)}, nil
	}, awsapi.Config{MaxBodyBytes: 64}, nil)
	head := "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: " + targetPrefix + "ListNamespaces\r\nTransfer-Encoding: chunked\r\n"

	c := s.dial(t)
	io.WriteString(c, head+"Expect: 100-continue\r\n\r\n")
	s.waitTakenOver(t)
	br := bufio.NewReader(c)
	if line, _ := br.ReadString('\n'); line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("first line %q, want 100 Continue", line)
	}
	br.ReadString('\n')
	io.WriteString(c, "6\r\n{\"MaxR\r\na\r\nesults\":9}\r\n0\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(out) != `{"NextToken":"9"}` {
		t.Errorf("chunked body: %d %s, want 200 with MaxResults 9 decoded", resp.StatusCode, out)
	}

	c = s.dial(t)
	io.WriteString(c, head+"\r\n")
	s.waitTakenOver(t)
	fmt.Fprintf(c, "41\r\n%s\r\n0\r\n\r\n", strings.Repeat(" ", 65))
	if status, code, body, _ := readAnswer(t, c); status != 413 || code != cloudmap.ErrRequestEntityTooLarge ||
		!strings.Contains(string(body), "limit of 64 bytes") {
		t.Errorf("chunked body of 65 bytes over a limit of 64: %d %s %s, want 413 RequestEntityTooLarge naming the limit", status, code, body)
	}
}

// A long-poll whose body arrived slowly waits like any other: parked with
// its connection, answered at the service's change.
func TestSlowBody_LongPollParks(t *testing.T) {
	src := &fakeRevision{rev: 7, ch: make(chan struct{}), watched: make(chan struct{}, 16)}
	s := startSlow(t, func(ctx context.Context, op string, in any) (any, error) {
		src.mu.Lock()
		defer src.mu.Unlock()
		return &cloudmap.DiscoverInstancesRevisionOutput{InstancesRevision: src.rev}, nil
	}, awsapi.Config{Waiter: src}, nil)
	body := `{"NamespaceName":"ns","ServiceName":"web"}`
	req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(body))
	req.Header.Set("X-Amz-Target", targetPrefix+"DiscoverInstancesRevision")
	req.Header.Set("X-Cloudmap-Index", "7")
	c := s.dial(t)
	s.sendSlowly(t, c, rawRequest(t, req), len(body))
	<-src.watched // checked the revision
	<-src.watched // the group waits on the service
	src.set(8)
	if status, _, out, closing := readAnswer(t, c); status != 200 || string(out) != `{"InstancesRevision":8}` || !closing {
		t.Errorf("slow long-poll: %d %s (close %v), want 200 revision 8 after the change", status, out, closing)
	}
}

// At shutdown a held body is answered ServiceUnavailable at once.
func TestSlowBody_Shutdown(t *testing.T) {
	shutdown, stop := context.WithCancel(context.Background())
	defer stop()
	s := startSlow(t, nil, awsapi.Config{Shutdown: shutdown}, nil)
	c := s.dial(t)
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: %sListNamespaces\r\nContent-Length: 100\r\n\r\n{", targetPrefix)
	s.waitTakenOver(t)
	stop()
	if status, code, _, closing := readAnswer(t, c); status != 503 || code != cloudmap.ErrServiceUnavailable || !closing {
		t.Errorf("held body at shutdown: %d %s (close %v), want 503 ServiceUnavailable, connection closed", status, code, closing)
	}
}

// headerSignal is an Authorizer whose header check (before the body is
// read) reports each request on checked.
type headerSignal struct{ checked chan struct{} }

func (h headerSignal) CheckHeaders(*http.Request) error { h.checked <- struct{}{}; return nil }
func (h headerSignal) Authorize(r *http.Request, _ []byte, _ string, _ any) (context.Context, error) {
	return r.Context(), nil
}

// BenchmarkSlowBody_Memory is the memory (heap and goroutine stacks, after
// a GC) each connection holding a slow body costs the server: 500
// connections declare 1 MiB and send 150 bytes. "held" is the server's
// path (the body read off net/http), "in-handler" the reference (bodies
// read in net/http's goroutine, BodyTimeout -1), in the same run. Client
// and server share the process: the client's sockets are in both.
func BenchmarkSlowBody_Memory(b *testing.B) {
	for _, c := range []struct {
		name    string
		timeout time.Duration
	}{{"held", 0}, {"in-handler", -1}} {
		b.Run(c.name, func(b *testing.B) {
			var per float64
			for b.Loop() {
				per = slowBodyMemory(b, c.timeout, 500)
			}
			b.ReportMetric(per, "B/conn")
		})
	}
}

// closeListener reports the close of each connection it accepted.
type closeListener struct {
	net.Listener
	closed chan struct{}
}

type closeConn struct {
	net.Conn
	once   sync.Once
	closed chan struct{}
}

func (l closeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &closeConn{Conn: c, closed: l.closed}, nil
}

func (c *closeConn) Close() error {
	c.once.Do(func() { c.closed <- struct{}{} })
	return c.Conn.Close()
}

func slowBodyMemory(b *testing.B, timeout time.Duration, n int) float64 {
	sig := headerSignal{checked: make(chan struct{}, n)}
	hijacked := make(chan struct{}, n)
	srv := httptest.NewUnstartedServer(awsapi.NewHandler(&fakeAPI{}, awsapi.Config{Authorizer: sig, BodyGrace: -1, BodyTimeout: timeout}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateHijacked {
			hijacked <- struct{}{}
		}
	}
	closed := make(chan struct{}, n)
	srv.Listener = closeListener{srv.Listener, closed}
	srv.Start()
	defer srv.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC() // sync.Pools emptied: net/http's pooled buffers count where they are used
	runtime.ReadMemStats(&before)
	head := "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: " + targetPrefix + "ListNamespaces\r\nContent-Length: 1048576\r\n\r\n" +
		strings.Repeat(" ", 150)
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
		io.WriteString(c, head)
		<-sig.checked
		if timeout >= 0 {
			<-hijacked
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	for _, c := range conns {
		c.Close()
	}
	for range conns { // the server has let every connection go
		<-closed
	}
	return float64(after.HeapAlloc+after.StackInuse-before.HeapAlloc-before.StackInuse) / float64(n)
}

// unhijackable is a ResponseWriter whose connection cannot be taken over
// (Hijack fails) and which records the read deadlines set on it.
type unhijackable struct {
	*httptest.ResponseRecorder
	deadlines []time.Time
}

func (u *unhijackable) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("cannot hijack")
}

func (u *unhijackable) SetReadDeadline(t time.Time) error {
	u.deadlines = append(u.deadlines, t)
	return nil
}

// stallOnce returns head, then one deadline error, then tail.
type stallOnce struct {
	parts [][]byte
	err   error
}

func (s *stallOnce) Read(p []byte) (int, error) {
	if s.err != nil {
		err := s.err
		s.err = nil
		return 0, err
	}
	if len(s.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.parts[0])
	if s.parts[0] = s.parts[0][n:]; len(s.parts[0]) == 0 {
		s.parts = s.parts[1:]
		if len(s.parts) > 0 {
			s.err = os.ErrDeadlineExceeded
		}
	}
	return n, nil
}

// When the connection of a body that outlived its grace cannot be taken
// over after all, the handler reads the rest itself, within the body
// timeout, and serves the request.
func TestSlowBody_NotTakenOverReadsInTheHandler(t *testing.T) {
	var got int32
	h := awsapi.NewHandler(&fakeAPI{Fn: func(_ context.Context, _ string, in any) (any, error) {
		got = in.(*cloudmap.ListInput).MaxResults
		return nil, nil
	}}, awsapi.Config{BodyTimeout: time.Minute})
	body := &stallOnce{parts: [][]byte{[]byte(`{"MaxRes`), []byte(`ults":3}`)}}
	r := httptest.NewRequest(http.MethodPost, "/", body)
	r.ContentLength = int64(len(`{"MaxResults":3}`))
	r.Header.Set("X-Amz-Target", targetPrefix+"ListNamespaces")
	w := &unhijackable{ResponseRecorder: httptest.NewRecorder()}
	h.ServeHTTP(w, r)
	if w.Code != 200 || got != 3 {
		t.Fatalf("status %d %s, MaxResults %d; want 200 with MaxResults 3", w.Code, w.Body, got)
	}
	if len(w.deadlines) != 2 || !w.deadlines[1].After(w.deadlines[0].Add(30*time.Second)) {
		t.Errorf("read deadlines %v: want the grace, then the body timeout (a minute)", w.deadlines)
	}
}

// With BodyTimeout negative, bodies are read in the handler, however
// slowly they come: the connection is never taken over and stays open
// after the answer.
func TestSlowBody_OffReadsInTheHandler(t *testing.T) {
	sig := headerSignal{checked: make(chan struct{}, 1)}
	s := startSlow(t, nil, awsapi.Config{Authorizer: sig, BodyTimeout: -1}, nil)
	body := `{"MaxResults":5}`
	req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(body))
	req.Header.Set("X-Amz-Target", targetPrefix+"ListNamespaces")
	raw := rawRequest(t, req)
	c := s.dial(t)
	c.Write(raw[:len(raw)-4])
	<-sig.checked // the handler is about to read the body
	c.Write(raw[len(raw)-4:])
	if status, code, _, closing := readAnswer(t, c); status != 200 || closing {
		t.Errorf("slow body with the takeover off: %d %s (close %v), want 200 on a connection kept open", status, code, closing)
	}
	if n := len(s.hijacked); n != 0 {
		t.Errorf("%d connections taken over, want none", n)
	}
}

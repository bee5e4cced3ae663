// Package awsapi serves the AWS Cloud Map API over the AWS JSON 1.1 protocol
// so that the unmodified AWS SDKs, the aws CLI and Terraform work against
// cloudmap. It decodes and validates requests against the embedded AWS
// model, authorizes them through a hook, dispatches them to a cloudmap.API
// and maps errors to AWS's wire format. Cloud Map rules live elsewhere.
package awsapi

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/cloudmap/cloudmap"
)

// DefaultMaxBodyBytes is the request body limit when Config.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 1 << 20

// Config configures the handler.
type Config struct {
	Logger       *slog.Logger // nil = discard
	MaxBodyBytes int64        // 0 = 1 MiB
	// Authorizer, when non-nil, is called after the body is read and
	// decoded, before dispatch. It returns an error (*cloudmap.Error with an
	// AWS code) to reject. Another engineer implements it.
	Authorizer Authorizer
	// DiscoverCacheEntries bounds the cache of encoded DiscoverInstances
	// instance summaries: past it, the cache starts over. 0 means
	// DefaultDiscoverCacheEntries, negative turns the cache off. The cache
	// relies on the API never modifying an Attributes map it has
	// returned, which the view guarantees.
	DiscoverCacheEntries int
	// Hooks wrap every operation, the first outermost (see Hook).
	Hooks []Hook
	// Waiter serves the long-poll headers of DiscoverInstances and
	// DiscoverInstancesRevision (longpoll.go); nil ignores them.
	Waiter RevisionWaiter
	// Watch serves the change stream at WatchPath (watch.go); nil answers
	// it UnknownOperationException.
	Watch WatchSource
	// WatchHeartbeat is the interval of the stream's heartbeats (0 = 15 s);
	// WatchWriteTimeout drops a watcher that has not taken an event within
	// it (0 = 10 s).
	WatchHeartbeat    time.Duration
	WatchWriteTimeout time.Duration
	// BodyGrace is how long a request body may take to arrive in the
	// handler (0 = DefaultBodyGrace, negative: only what arrived with the
	// headers); a body still arriving after it is read on its connection
	// taken over from net/http, which costs a few kilobytes instead of
	// net/http's per-connection buffers and goroutine (slowbody.go).
	// BodyTimeout is how long the whole body may take from the end of its
	// headers (0 = DefaultBodyTimeout, negative: bodies are always read in
	// the handler, within the server's read timeout).
	BodyGrace   time.Duration
	BodyTimeout time.Duration
	// Shutdown, when done, ends every long-poll at once (they answer the
	// current state) and every change stream; nil means never.
	Shutdown context.Context
	// Resumer, when set (with its Listener wrapping the API listener),
	// keeps the connection of an answered long-poll open for the client's
	// next request; nil closes it (Connection: close).
	Resumer *Resumer
}

// Authorizer authenticates and authorizes a request.
//
// Authorize gets the request, its body (valid only during the call: do not
// retain it), the operation name (e.g. "DiscoverInstances") and the decoded
// input, a pointer to the root input struct (e.g.
// *cloudmap.DiscoverInstancesInput). When the operation is unknown or the
// body could not be decoded, Authorize is still called, with input nil, so
// that unauthenticated callers get the authentication error first; it
// should then authenticate only. It returns the context the operation
// runs with: the request's, carrying the caller's identity (its cell,
// cloudmap.WithCell); or a *cloudmap.Error with an AWS code
// (MissingAuthenticationTokenException, InvalidSignatureException,
// AccessDeniedException, ThrottlingException, ...) to reject.
type Authorizer interface {
	Authorize(r *http.Request, body []byte, operation string, input any) (context.Context, error)
}

// HeaderChecker is an optional interface of an Authorizer. CheckHeaders is
// called before the body is read and gets only the request's headers (and
// URL); an error rejects the request at once, without reading the body and
// with the connection closed after the answer, so that a caller without a
// usable key cannot make the server hold a body for it.
type HeaderChecker interface {
	CheckHeaders(r *http.Request) error
}

// handler is the http.Handler NewHandler returns.
type handler struct {
	api     cloudmap.API
	log     *slog.Logger
	maxBody int64
	auth    Authorizer
	early   HeaderChecker // auth's, when it has one
	table   *table
	disc    *discoverCache         // nil: encode DiscoverInstances generically
	bufs    sync.Pool              // *bytes.Buffer for request bodies
	outs    sync.Pool              // *[]byte for responses
	decs    sync.Pool              // *decoder
	ext     extensions             // long-poll and watch (longpoll.go)
	invs    map[*operation]Invoker // each operation through the hooks
	unknown Invoker                // requests without a known operation
}

// NewHandler returns the HTTP handler serving api.
func NewHandler(api cloudmap.API, cfg Config) http.Handler {
	h := &handler{api: api, log: cfg.Logger, maxBody: cfg.MaxBodyBytes, auth: cfg.Authorizer, table: defaultTable,
		disc: newDiscoverCache(cfg.DiscoverCacheEntries), ext: newExtensions(cfg)}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.early, _ = cfg.Authorizer.(HeaderChecker)
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	h.buildInvokers(cfg.Hooks)
	if defaultTableErr != nil {
		h.log.Error("awsapi: the embedded model does not match the API types; every request fails",
			"err", defaultTableErr)
	}
	return h
}

// maxPooledBuffer is the largest buffer kept for reuse.
const maxPooledBuffer = 64 << 10

var (
	jsonContentType = []string{"application/x-amz-json-1.1"}
	connectionClose = []string{"close"}
	emptyObject     = []byte("{}")
)

// ServeHTTP serves one AWS JSON 1.1 request.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == WatchPath {
		h.serveWatch(w, r)
		return
	}
	rh := new(respHeaders)
	reqID := rh.requestID()
	rh.call.RequestID, rh.call.Request = reqID, r
	hdr := w.Header()
	hdr["X-Amzn-Requestid"] = rh.requestIDHeader()
	hdr["Content-Type"] = jsonContentType
	written := false
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("awsapi: panic serving request", "panic", p, "request_id", reqID,
				"target", r.Header.Get("X-Amz-Target"), "stack", string(debug.Stack()))
			if !written {
				h.writeError(w, reqID, errors.New("panic"))
			}
		}
	}()
	out := h.getOut()
	defer h.putOut(out)
	status, body := h.serve(w, r, &rh.call, (*out)[:0])
	*out = body
	written = true
	if status == statusParked {
		return // the connection was handed over (park.go)
	}
	if status == http.StatusOK && body == nil {
		w.WriteHeader(status) // an operation without output: empty body
		return
	}
	hdr["Content-Length"] = rh.contentLength(len(body))
	w.WriteHeader(status)
	w.Write(body)
}

// serve runs the request and returns the status and body to send. Every
// request, failed or not, passes the operation's invoker (and so the hooks);
// a long-poll waits before it (longpoll.go).
func (h *handler) serve(w http.ResponseWriter, r *http.Request, c *Call, out []byte) (int, []byte) {
	o, buf, ctx, err := h.prepare(w, r, c)
	if buf != nil {
		defer h.putBuf(buf)
	}
	if err == errBodyHeld {
		return statusParked, nil // the connection was handed over (slowbody.go)
	}
	if err == nil {
		var parked bool
		if parked, err = h.longPoll(ctx, w, r, o, c.Input, c.RequestID); parked && err == nil {
			return statusParked, nil
		}
	}
	if err != nil {
		c.Input = nil
	}
	c.Rejected = err
	return h.invoke(ctx, w, c, o, out)
}

// invoke calls the operation o (nil when unknown) through its hooks and
// returns the status and body to send.
func (h *handler) invoke(ctx context.Context, w http.ResponseWriter, c *Call, o *operation, out []byte) (int, []byte) {
	inv := h.unknown
	c.Operation = UnknownOperation
	if o != nil {
		inv, c.Operation = h.invs[o], o.name
	}
	res, err := inv(ctx, c)
	if err != nil {
		return h.errorBody(w, out, c.RequestID, err)
	}
	if o.emptyBody {
		return http.StatusOK, nil
	}
	if d, ok := res.(*cloudmap.DiscoverInstancesOutput); ok && h.disc != nil && d != nil {
		return http.StatusOK, h.disc.appendOutput(out, d)
	}
	return http.StatusOK, o.encode(out, reflect.ValueOf(res))
}

// prepare checks, reads, decodes and authorizes the request. It returns
// the operation (nil when unknown), the pooled buffer of the body (to give
// back), the context the operation runs with (carrying the caller's cell)
// and the error that rejects the request before dispatch. c.Input is set
// once decoded.
func (h *handler) prepare(w http.ResponseWriter, r *http.Request, c *Call) (*operation, *bytes.Buffer, context.Context, error) {
	ctx := r.Context()
	if err := h.checkRequest(r); err != nil {
		return h.knownOp(r), nil, ctx, err
	}
	if h.early != nil {
		if err := h.early.CheckHeaders(r); err != nil {
			w.Header()["Connection"] = connectionClose // do not wait for the unread body
			return h.knownOp(r), nil, ctx, err
		}
	}
	start := time.Now()
	buf, err := h.readBody(w, r)
	if err == errBodyHeld {
		if h.holdBody(w, r, c.RequestID, buf, start) {
			return nil, buf, ctx, errBodyHeld
		}
		err = h.readRest(w, r, buf, start)
	}
	if err != nil {
		return h.knownOp(r), buf, ctx, err
	}
	o, actx, err := h.decodeAndAuthorize(r, c, buf.Bytes())
	if actx != nil {
		ctx = actx
	}
	return o, buf, ctx, err
}

// decodeAndAuthorize finds the operation of a request whose body has been
// read, decodes its input and authorizes it. It returns the operation (nil
// when unknown), the context of the caller's identity when authorized (nil
// without an authorizer) and the error that rejects the request; c.Input
// is set once authorized.
func (h *handler) decodeAndAuthorize(r *http.Request, c *Call, body []byte) (*operation, context.Context, error) {
	target := r.Header.Get("X-Amz-Target")
	o := h.table.lookup(target)
	if o == nil {
		return nil, nil, h.reject(r, body, opName(target), h.unknownOperation(target))
	}
	in := o.newInput()
	dec := h.getDecoder()
	err := dec.decodeInput(o.input, body, o.name, in)
	h.putDecoder(dec)
	if err != nil {
		return o, nil, h.reject(r, body, o.name, err)
	}
	var ctx context.Context
	if h.auth != nil {
		if ctx, err = h.auth.Authorize(r, body, o.name, in); err != nil {
			return o, nil, err
		}
	}
	c.Input = in
	return o, ctx, nil
}

// knownOp is the operation of the request's target, or nil.
func (h *handler) knownOp(r *http.Request) *operation {
	if h.table == nil {
		return nil
	}
	return h.table.lookup(r.Header.Get("X-Amz-Target"))
}

// reject returns the authorizer's error for a request that failed before
// dispatch, so authentication failures come first, or else err.
func (h *handler) reject(r *http.Request, body []byte, op string, err error) error {
	if h.auth != nil {
		if _, aerr := h.auth.Authorize(r, body, op, nil); aerr != nil {
			return aerr
		}
	}
	return err
}

// checkRequest checks method, path and content type.
func (h *handler) checkRequest(r *http.Request) error {
	if h.table == nil {
		return cloudmap.Errorf(cloudmap.ErrServiceUnavailable, "the API model failed to load")
	}
	if r.Method != http.MethodPost {
		return cloudmap.Errorf(codeMethodNotAllowed, "method %s is not allowed: the API takes POST /", r.Method)
	}
	if r.URL.Path != "/" && r.URL.Path != "" {
		return cloudmap.Errorf(cloudmap.ErrUnknownOperation, "no operation at path %s: the API takes POST /", r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); !acceptedContentType(ct) {
		return cloudmap.Errorf(cloudmap.ErrSerialization,
			"unsupported Content-Type %q: use application/x-amz-json-1.1", ct)
	}
	if r.ContentLength > h.maxBody {
		return tooLarge(h.maxBody)
	}
	return nil
}

// acceptedContentType accepts the AWS JSON types, plain JSON and none.
func acceptedContentType(ct string) bool {
	if ct == "" || ct == jsonContentType[0] {
		return true
	}
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	return strings.EqualFold(ct, "application/x-amz-json-1.1") || strings.EqualFold(ct, "application/x-amz-json-1.0") ||
		strings.EqualFold(ct, "application/json")
}

func tooLarge(limit int64) error {
	return cloudmap.Errorf(cloudmap.ErrRequestEntityTooLarge,
		"request body is larger than the limit of %d bytes", limit)
}

// readBody reads the body into a pooled buffer, never more than the limit.
// The buffer grows with the bytes actually received: a declared
// Content-Length is checked against the limit (before) but never used to
// size anything, so a client that declares 1 MiB and sends 150 bytes costs
// about 150 bytes. A body still arriving after the grace (slowbody.go) is
// errBodyHeld, with what arrived in the buffer.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) (*bytes.Buffer, error) {
	buf := h.getBuf()
	if r.Body == nil || r.Body == http.NoBody {
		return buf, nil
	}
	if read, err := h.graceRead(w, r, buf); read {
		return buf, err
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.maxBody)); err != nil {
		return buf, readError(err, h.maxBody)
	}
	return buf, nil
}

// readRest reads the rest of a body that outlived its grace in the
// handler, when its connection could not be held after all.
func (h *handler) readRest(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer, start time.Time) error {
	http.NewResponseController(w).SetReadDeadline(start.Add(h.ext.bodyTimeout))
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.maxBody-int64(buf.Len()))); err != nil {
		return readError(err, h.maxBody)
	}
	return nil
}

func readError(err error, limit int64) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return tooLarge(limit)
	}
	return cloudmap.Errorf(cloudmap.ErrSerialization, "reading the request body: %v", err)
}

// unknownOperation is the error for a target the table does not hold.
func (h *handler) unknownOperation(target string) error {
	if target == "" {
		return cloudmap.Errorf(cloudmap.ErrUnknownOperation,
			"missing X-Amz-Target header: expected %s<Operation>", h.table.prefix)
	}
	if len(target) > 128 {
		target = target[:128] + "..."
	}
	return cloudmap.Errorf(cloudmap.ErrUnknownOperation, "unknown operation %q: expected X-Amz-Target %s<Operation>",
		target, h.table.prefix)
}

// opName is the operation part of a target, for the authorizer.
func opName(target string) string {
	if i := strings.LastIndexByte(target, '.'); i >= 0 {
		return target[i+1:]
	}
	return target
}

// lookup returns the operation of an X-Amz-Target value, or nil.
func (t *table) lookup(target string) *operation {
	return t.ops[target]
}

package awsapi

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cloudmap/cloudmap"
)

// Slow bodies. A request whose body has not arrived within a short grace
// after its headers (BodyGrace) gives its connection up (hold.go) instead
// of holding net/http's goroutine and buffers (about 35 KB of RSS with
// the GC's headroom) until the body ends: it is then a held body, one
// small goroutine blocked reading the connection into a buffer that grows
// with the bytes received, the request's headers and the connection
// (about 4 KB of heap and a 4 KB stack, 12 KB of RSS), until the body is
// complete or its time (BodyTimeout) runs out.
// The request is then decoded, authorized and answered as in the handler,
// as an HTTP/1.1 response that closes the connection. A chunked body is
// held from its first byte (net/http's chunk decoder cannot be taken over
// in the middle of a body). Clients that send their body with their
// headers, as the SDKs do, never meet this; HTTP/2 bodies are read in the
// handler.

// Defaults of Config.BodyGrace and Config.BodyTimeout.
const (
	DefaultBodyGrace   = 10 * time.Millisecond
	DefaultBodyTimeout = 30 * time.Second
)

// errBodyHeld is readBody's error for a body that will arrive slowly: the
// caller holds the connection (holdBody) or, when it cannot, goes on
// reading in the handler (readRest).
var errBodyHeld = errors.New("awsapi: the body is arriving slowly")

// heldBody is a request whose body is read on a connection held.
type heldBody struct {
	h        *handler
	conn     net.Conn
	r        *http.Request // heldRequest
	reqID    string
	body     []byte
	src      io.Reader // the rest of the body
	deadline time.Time
	shutdown atomic.Bool
	clean    bool // nothing past the body was read: the connection may serve a next request
}

// graceRead reads the body into buf while it arrives within the grace;
// read is false when it did not try (the connection cannot be taken over:
// the caller reads the body). err is errBodyHeld when the body is still
// arriving at the end of the grace, with the bytes that arrived in buf.
func (h *handler) graceRead(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer) (read bool, err error) {
	if h.ext.bodies == nil || !canTakeOver(w, r) {
		return false, nil
	}
	if r.ContentLength < 0 { // chunked: held from its first byte
		return true, errBodyHeld
	}
	if http.NewResponseController(w).SetReadDeadline(time.Now().Add(h.ext.bodyGrace)) != nil {
		return false, nil
	}
	// No reset after a complete body: net/http clears the deadline itself
	// when the body ends (its read for the client going away).
	if _, err := buf.ReadFrom(r.Body); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return true, errBodyHeld
		}
		return true, readError(err, h.maxBody)
	}
	return true, nil
}

// holdBody takes the connection of a request whose body is arriving
// slowly over (what arrived is in buf) and reads the rest of the body on
// a goroutine of its own; false when the connection cannot be taken over.
func (h *handler) holdBody(w http.ResponseWriter, r *http.Request, reqID string, buf *bytes.Buffer, start time.Time) bool {
	expect := r.ContentLength < 0 && strings.EqualFold(r.Header.Get("Expect"), "100-continue")
	conn, rw := takeOver(w)
	if conn == nil {
		return false
	}
	b := &heldBody{h: h, conn: conn, r: heldRequest(r), reqID: heldID(reqID),
		body: bytes.Clone(buf.Bytes()), deadline: start.Add(h.ext.bodyTimeout)}
	// What net/http read past the headers and the body so far, copied out
	// so that its 4 KiB buffer is not kept.
	ahead := make([]byte, rw.Reader.Buffered())
	io.ReadFull(rw.Reader, ahead)
	if r.ContentLength >= 0 {
		rest := r.ContentLength - int64(len(b.body))
		n := min(int64(len(ahead)), rest)
		b.body = append(b.body, ahead[:n]...)
		b.src = io.LimitReader(conn, rest-n)
		b.clean = int64(len(ahead)) <= rest
	} else {
		if expect {
			conn.SetWriteDeadline(time.Now().Add(h.ext.writeTimeout))
			io.WriteString(conn, "HTTP/1.1 100 Continue\r\n\r\n")
		}
		b.src = httputil.NewChunkedReader(bufio.NewReaderSize(io.MultiReader(bytes.NewReader(ahead), conn), 512))
	}
	conn.SetReadDeadline(b.deadline)
	if !h.ext.bodies.add(struct{}{}, b) {
		b.end() // shutting down: answered at once
	}
	go b.run()
	return true
}

// run reads the rest of the body, then answers the request and closes
// the connection (unless the request is a long-poll that must wait: the
// lot of parked long-polls then holds the connection).
func (b *heldBody) run() {
	err := b.read()
	b.h.ext.bodies.remove(struct{}{}, b)
	b.src = nil
	if err != nil && b.shutdown.Load() {
		err = cloudmap.Errorf(cloudmap.ErrServiceUnavailable, "the server is shutting down: retry")
	}
	defer b.h.recoverHeld(b.conn, b.reqID)
	if !b.answer(err) {
		b.conn.Close()
	}
}

// read reads the rest of the body until its end, the deadline (set on
// the connection by holdBody), the body limit or an error; the buffer grows with the bytes received.
func (b *heldBody) read() error {
	limit := int(b.h.maxBody)
	for {
		if len(b.body) > limit {
			return tooLarge(b.h.maxBody)
		}
		if cap(b.body)-len(b.body) < 256 && cap(b.body) <= limit {
			grown := make([]byte, len(b.body), min(len(b.body)+max(512, cap(b.body)), limit+1))
			copy(grown, b.body)
			b.body = grown
		}
		n, err := b.src.Read(b.body[len(b.body):min(cap(b.body), limit+1)])
		b.body = b.body[:len(b.body)+n]
		switch {
		case err == io.EOF:
			if len(b.body) > limit {
				return tooLarge(b.h.maxBody)
			}
			return nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			return cloudmap.Errorf(cloudmap.ErrSerialization,
				"the request body did not arrive in time: %d bytes received in %s", len(b.body), b.h.ext.bodyTimeout)
		case err != nil:
			return cloudmap.Errorf(cloudmap.ErrSerialization, "reading the request body: %v", err)
		}
	}
}

// answer decodes, authorizes and runs the request as the handler does
// (readErr: the body could not be read) and writes the answer; true when
// the request was parked as a long-poll instead, with its connection.
func (b *heldBody) answer(readErr error) (parked bool) {
	h := b.h
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if h.ext.shutdown != nil {
		defer context.AfterFunc(h.ext.shutdown, cancel)()
	}
	c := &Call{RequestID: b.reqID, Request: b.r}
	var o *operation
	err := readErr
	if err == nil {
		var actx context.Context
		o, actx, err = h.decodeAndAuthorize(b.r, c, b.body)
		if actx != nil {
			ctx = actx
		}
	} else {
		o = h.knownOp(b.r)
	}
	if err == nil {
		if parked, err = h.longPollHeld(ctx, b.conn, b.r, o, c.Input, b.reqID, b.clean); parked && err == nil {
			return true // the lot answers, then keeps or closes the connection
		}
	}
	if err != nil {
		c.Input = nil
	}
	c.Rejected = err
	hw := headerWriter{}
	out := h.getOut()
	defer h.putOut(out)
	status, body := h.invoke(ctx, hw, c, o, (*out)[:0])
	*out = body
	b.body = nil
	if err := writeClosing(b.conn, status, b.reqID, hw.Get("X-Amzn-Errortype"), body, h.ext.writeTimeout); err != nil {
		h.log.Debug("awsapi: answering a slow request failed", "request_id", b.reqID, "err", err)
	}
	return false
}

// end ends a held body at shutdown: its read fails at once and it
// answers ServiceUnavailable.
func (b *heldBody) end() {
	b.shutdown.Store(true)
	b.conn.SetReadDeadline(time.Unix(1, 0))
}

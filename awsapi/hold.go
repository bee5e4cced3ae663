package awsapi

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Connections held off net/http. Three kinds of request give their
// connection up to the handler (http.Hijacker) instead of holding
// net/http's goroutine and buffers while they wait: long-polls that must
// wait (park.go), change streams (streamlot.go) and bodies that arrive
// slowly (slowbody.go). This file is what they share: taking a connection
// over, the groups that hold the connections taken over (slow bodies;
// long-polls and streams group theirs by what they wait on, and those
// groups wait on the view without a goroutine: park.go, streamlot.go), and
// the HTTP/1.1 answer that closes the connection. HTTP/2 connections cannot be
// taken over: those requests are served in the handler.

// takeOver hijacks the connection of w and clears the server's deadlines
// (they no longer apply); nil when the connection cannot be taken over
// (HTTP/2, a ResponseWriter without http.Hijacker, or already taken).
func takeOver(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil, nil
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		return nil, nil
	}
	conn.SetDeadline(time.Time{})
	return conn, rw
}

// canTakeOver reports whether the connection of w can be taken over.
func canTakeOver(w http.ResponseWriter, r *http.Request) bool {
	_, ok := w.(http.Hijacker)
	return ok && r.ProtoMajor == 1
}

// heldRequest is a copy of r to keep once its connection is held: the
// headers, URL and addresses the authorizer and the hooks read, without
// the body reader, the connection's context and what they reach
// (net/http's buffers of the connection).
func heldRequest(r *http.Request) *http.Request {
	hr := r.WithContext(context.Background())
	hr.Body = http.NoBody
	hr.GetBody = nil
	return hr
}

// heldID is a copy of a request ID to keep once its connection is held:
// the handler's request ID is a string over its per-request headers
// (respHeaders), which reach the request, its body reader and net/http's
// 4 KiB read buffer of the connection.
func heldID(reqID string) string { return strings.Clone(reqID) }

// holding is the groups of held connections (members M) by key K. A
// group's goroutine (run, when set) starts with its first member and is
// told to stop (the group's stop channel) when its last member leaves;
// close ends the holding and returns every member to end.
type holding[K comparable, M comparable] struct {
	mu     sync.Mutex
	groups map[K]*holdGroup[K, M]
	closed bool
	run    func(*holdGroup[K, M]) // nil: groups have no goroutine
}

// holdGroup is the members of one key.
type holdGroup[K comparable, M comparable] struct {
	key     K
	members map[M]struct{}
	stop    chan struct{} // closed when the group ends
	dead    bool
}

func newHolding[K comparable, M comparable](run func(*holdGroup[K, M])) *holding[K, M] {
	return &holding[K, M]{groups: map[K]*holdGroup[K, M]{}, run: run}
}

// add puts m in the group of k; false when the holding is closed (the
// caller ends m).
func (h *holding[K, M]) add(k K, m M) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	g := h.groups[k]
	if g == nil {
		g = &holdGroup[K, M]{key: k, members: map[M]struct{}{}, stop: make(chan struct{})}
		h.groups[k] = g
		if h.run != nil {
			go h.run(g)
		}
	}
	g.members[m] = struct{}{}
	return true
}

// remove takes m out of the group of k; an empty group ends.
func (h *holding[K, M]) remove(k K, m M) {
	h.mu.Lock()
	defer h.mu.Unlock()
	g := h.groups[k]
	if g == nil {
		return
	}
	delete(g.members, m)
	if len(g.members) == 0 {
		h.end(g)
	}
}

// end ends g. Caller holds h.mu.
func (h *holding[K, M]) end(g *holdGroup[K, M]) {
	if !g.dead {
		g.dead = true
		close(g.stop)
		if h.groups[g.key] == g {
			delete(h.groups, g.key)
		}
	}
}

// take returns g's members for which pick is true (all of them when pick
// is nil); with endGroup, g ends in the same step, so that no member joins
// it after.
func (h *holding[K, M]) take(g *holdGroup[K, M], pick func(M) bool, endGroup bool) []M {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []M
	for m := range g.members {
		if pick == nil || pick(m) {
			out = append(out, m)
		}
	}
	if endGroup {
		h.end(g)
	}
	return out
}

// close closes the holding (add refuses from now on) and returns every
// member, for the caller to end.
func (h *holding[K, M]) close() []M {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	var all []M
	for _, g := range h.groups {
		for m := range g.members {
			all = append(all, m)
		}
	}
	return all
}

// onShutdown calls end for every member when shutdown ends (nil: never).
func (h *holding[K, M]) onShutdown(shutdown context.Context, end func(M)) {
	if shutdown == nil {
		return
	}
	context.AfterFunc(shutdown, func() {
		for _, m := range h.close() {
			end(m)
		}
	})
}

// writeClosing writes an AWS JSON 1.1 answer on a held connection, as an
// HTTP/1.1 response that closes it (errType is the X-Amzn-Errortype of an
// error answer, body nil for an answer without a body); the caller closes
// the connection after.
func writeClosing(conn net.Conn, status int, reqID, errType string, body []byte, timeout time.Duration) error {
	b := appendResponse(make([]byte, 0, 256+len(body)), status, reqID, errType, body, true)
	conn.SetWriteDeadline(time.Now().Add(timeout))
	_, err := conn.Write(b)
	return err
}

// appendResponse appends an AWS JSON 1.1 answer as an HTTP/1.1 response to
// b: the one encoding of an answer written on a held connection, closing
// it (close) or keeping it for the client's next request.
func appendResponse(b []byte, status int, reqID, errType string, body []byte, close bool) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amzn-Requestid: "...)
	b = append(b, reqID...)
	if errType != "" {
		b = append(b, "\r\nX-Amzn-Errortype: "...)
		b = append(b, errType...)
	}
	b = append(b, "\r\nDate: "...)
	b = time.Now().UTC().AppendFormat(b, http.TimeFormat)
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	if close {
		b = append(b, "\r\nConnection: close"...)
	}
	b = append(b, "\r\n\r\n"...)
	return append(b, body...)
}

// recoverHeld, deferred by what answers on a held connection, turns a
// panic into an InternalFailure answer (as ServeHTTP does) and closes the
// connection: the server keeps serving.
func (h *handler) recoverHeld(conn net.Conn, reqID string) {
	p := recover()
	if p == nil {
		return
	}
	h.log.Error("awsapi: panic serving request", "panic", p, "request_id", reqID, "stack", string(debug.Stack()))
	hw := headerWriter{}
	status, body := h.errorBody(hw, nil, reqID, errors.New("panic"))
	writeClosing(conn, status, reqID, hw.Get("X-Amzn-Errortype"), body, h.ext.writeTimeout)
	conn.Close()
}

// headerWriter collects the headers errorBody sets.
type headerWriter http.Header

func (h headerWriter) Header() http.Header         { return http.Header(h) }
func (h headerWriter) Write(b []byte) (int, error) { return len(b), nil }
func (h headerWriter) WriteHeader(int)             {}
func (h headerWriter) Get(k string) string         { return http.Header(h).Get(k) }

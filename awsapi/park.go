package awsapi

import (
	"container/heap"
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudmap/cloudmap"
)

// Parked long-polls. A long-poll that must wait gives its connection up
// to the handler (hold.go) instead of holding a goroutine and
// net/http's buffers for the whole wait: it is then a parked request (the
// connection, the decoded input and the end of its wait), grouped by
// the service it waits on. A group waits on the view with a function the
// view calls at the service's next change (no goroutine per service):
// that step takes the requests whose index is no longer current out of
// the group at once and answers them from a few goroutines (one per core,
// each with a share): each answer runs the operation through the hooks
// like any request, is written with one write(2) that does not wait (an
// answer is a few hundred bytes, a fresh socket's buffer takes it), and
// gives the connection back to the HTTP server for the client's next
// request (resume.go), or closes it. An answer the socket does not take at
// once, or on TLS, is written on a goroutine of its own with the write
// timeout. HTTP/2 connections cannot be handed over: their long-polls wait
// in the handler.

// RevisionWatcher is what parked long-polls wait on (the view implements
// it).
type RevisionWatcher interface {
	// WatchRevision returns a service's InstancesRevision and a channel
	// closed at its next change.
	WatchRevision(cell cloudmap.Cell, nsName, svcName, owner string) (int64, <-chan struct{}, error)
	// AfterRevision returns it and calls f (which must not block) once at
	// its next change, or without one: the caller looks again. A group of
	// parked long-polls waits so, without a goroutine of its own.
	AfterRevision(cell cloudmap.Cell, nsName, svcName, owner string, f func()) (int64, error)
}

// pollKey is what a parked long-poll waits for: a service of a cell (the
// zero Cell for the default cell), found by names.
type pollKey struct {
	cell           cloudmap.Cell
	ns, svc, owner string
}

// lot holds the parked long-polls.
type lot struct {
	src    RevisionWatcher
	mu     sync.Mutex
	groups map[pollKey]*pollGroup
	closed bool
	// The ends of the waits: one timer for the lot, at the earliest end,
	// instead of one per long-poll (a quarter of a kilobyte each).
	ends  endHeap
	timer *time.Timer
}

// endHeap is the parked long-polls by the end of their wait (a min-heap;
// each knows its index, -1 when out).
type endHeap []*parked

func (e endHeap) Len() int           { return len(e) }
func (e endHeap) Less(i, j int) bool { return e[i].end.Before(e[j].end) }
func (e endHeap) Swap(i, j int) {
	e[i], e[j] = e[j], e[i]
	e[i].at, e[j].at = i, j
}
func (e *endHeap) Push(x any) {
	p := x.(*parked)
	p.at = len(*e)
	*e = append(*e, p)
}
func (e *endHeap) Pop() any {
	old := *e
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*e = old[:len(old)-1]
	p.at = -1
	return p
}

// pollGroup is the parked long-polls of one service. It waits for the
// service's next change with one call of AfterRevision in force (gen
// numbers the calls: a call of an older one is stale), so a group costs
// no goroutine; it ends at a change that finds it empty, or when the
// service is gone.
type pollGroup struct {
	key     pollKey
	waiters map[*parked]struct{}
	gen     uint64 // guarded by lot.mu
}

// parked is one parked long-poll.
type parked struct {
	h     *handler
	o     *operation
	in    any
	reqID string
	req   parkedRequest // what the hooks see of the request
	key   pollKey
	index int64
	conn  net.Conn
	close bool // the answer closes the connection (bytes of a next request were read with this one)
	done  atomic.Bool
	end   time.Time // the end of its wait
	at    int       // its index in lot.ends, -1 when out; guarded by lot.mu
}

func newLot(src RevisionWatcher, shutdown context.Context) *lot {
	l := &lot{src: src, groups: map[pollKey]*pollGroup{}}
	if shutdown != nil {
		context.AfterFunc(shutdown, l.close)
	}
	return l
}

// park hands the request's connection over to the lot; false when it
// cannot (not HTTP/1.x), and the caller waits in the handler instead.
func (h *handler) park(w http.ResponseWriter, r *http.Request, o *operation, in any, reqID string, key pollKey, index int64, wait time.Duration) bool {
	if h.ext.lot == nil {
		return false
	}
	conn, rw := takeOver(w)
	if conn == nil {
		return false
	}
	p := &parked{h: h, o: o, in: in, reqID: heldID(reqID), req: parkRequest(r), key: key, index: index, conn: conn, at: -1}
	if rw.Reader.Buffered() > 0 { // a pipelined request follows: answer now, then close
		p.close = true
		p.finish()
		return true
	}
	p.wait(wait)
	return true
}

// parkConn parks a long-poll whose connection is already held (its body
// arrived slowly, slowbody.go); false when there is no lot. Its answer
// closes the connection unless clean (nothing past the body was read
// from it).
func (h *handler) parkConn(conn net.Conn, r *http.Request, o *operation, in any, reqID string, key pollKey, index int64, wait time.Duration, clean bool) bool {
	if h.ext.lot == nil {
		return false
	}
	conn.SetReadDeadline(time.Time{}) // the body's: the body is read
	p := &parked{h: h, o: o, in: in, reqID: reqID, req: parkRequest(r), key: key, index: index, conn: conn, close: !clean, at: -1}
	p.wait(wait)
	return true
}

// wait parks p in the group of its service for at most d.
func (p *parked) wait(d time.Duration) {
	l := p.h.ext.lot
	p.end = time.Now().Add(d)
	l.add(p)
	// A change between the caller's look at the revision and the add may
	// have been taken by the group before p was in it: look again.
	if !p.h.stillCurrent(p.key, p.index) {
		p.finish()
	}
}

// add parks p in the group of its service; the first member of a group
// starts its wait.
func (l *lot) add(p *parked) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		p.finish()
		return
	}
	g := l.groups[p.key]
	fresh := g == nil
	if fresh {
		g = &pollGroup{key: p.key, waiters: map[*parked]struct{}{}}
		l.groups[p.key] = g
	}
	g.waiters[p] = struct{}{}
	heap.Push(&l.ends, p)
	if l.ends[0] == p { // the earliest end
		if l.timer == nil {
			l.timer = time.AfterFunc(time.Until(p.end), l.expire)
		} else {
			l.timer.Reset(time.Until(p.end))
		}
	}
	gen := g.gen
	l.mu.Unlock()
	if fresh {
		l.step(g, gen)
	}
}

// expire answers the long-polls whose wait has ended and sets the timer
// to the next end.
func (l *lot) expire() {
	var due []*parked
	now := time.Now()
	l.mu.Lock()
	for len(l.ends) > 0 && !l.ends[0].end.After(now) {
		due = append(due, heap.Pop(&l.ends).(*parked))
	}
	if len(l.ends) > 0 {
		l.timer.Reset(time.Until(l.ends[0].end))
	}
	l.mu.Unlock()
	for _, p := range due {
		p.finish()
	}
}

// unpark takes p out of its group and of the ends. Caller holds l.mu.
func (l *lot) unpark(g *pollGroup, p *parked) {
	if g != nil {
		delete(g.waiters, p)
	}
	if p.at >= 0 {
		heap.Remove(&l.ends, p.at)
	}
}

// remove takes p out of its group. An empty group stays until the
// service's next change (its wait is in force: a long-poll arriving
// meanwhile joins it).
func (l *lot) remove(p *parked) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unpark(l.groups[p.key], p)
}

// step is a group's wait ending (call gen of AfterRevision, or its
// start): unless the group is empty (it then ends), it waits for the next
// change and answers the long-polls whose index is no longer the service's
// revision (all of them when the service is gone, and the group ends).
func (l *lot) step(g *pollGroup, gen uint64) {
	l.mu.Lock()
	if l.closed || g.gen != gen || l.groups[g.key] != g {
		l.mu.Unlock() // a stale call, or the group has ended
		return
	}
	if len(g.waiters) == 0 {
		delete(l.groups, g.key)
		l.mu.Unlock()
		return
	}
	g.gen++
	next := g.gen
	l.mu.Unlock()
	rev, err := l.src.AfterRevision(g.key.cell, g.key.ns, g.key.svc, g.key.owner, func() { go l.step(g, next) })
	var due []*parked
	l.mu.Lock()
	for p := range g.waiters {
		if (err != nil || p.index != rev) && p.done.CompareAndSwap(false, true) {
			due = append(due, p)
			l.unpark(g, p)
		}
	}
	if err != nil && l.groups[g.key] == g {
		delete(l.groups, g.key) // no wait in force: the next long-poll starts a new group
	}
	l.mu.Unlock()
	spread(due, (*parked).answerNow)
}

// close answers every parked long-poll (the server is shutting down).
func (l *lot) close() {
	l.mu.Lock()
	l.closed = true
	var all []*parked
	for _, g := range l.groups {
		for p := range g.waiters {
			all = append(all, p)
		}
	}
	l.mu.Unlock()
	for _, p := range all {
		p.finish()
	}
}

// finish answers p once: at the end of its wait, or at shutdown (a
// change answers through step).
func (p *parked) finish() {
	if !p.done.CompareAndSwap(false, true) {
		return
	}
	if p.h.ext.lot != nil {
		p.h.ext.lot.remove(p)
	}
	go p.answer(false)
}

// answerNow answers p, whose done flag its caller set, in the caller's
// goroutine as far as the socket takes the answer at once.
func (p *parked) answerNow() { p.answer(true) }

// answer runs the operation and writes its response on the connection,
// then gives the connection back or closes it (written). With now set it
// writes only what the socket takes at once and leaves the rest to a
// goroutine of its own.
func (p *parked) answer(now bool) {
	defer p.h.recoverHeld(p.conn, p.reqID)
	ctx := context.Background()
	if p.key.cell != (cloudmap.Cell{}) {
		ctx = cloudmap.WithCell(ctx, p.key.cell) // answered in the caller's cell
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	hw := headerWriter{}
	out := p.h.getOut()
	c := &Call{RequestID: p.reqID, Request: p.req.request(p.conn), Input: p.in}
	status, body := p.h.invoke(ctx, hw, c, p.o, (*out)[:0])
	cancel()
	b := appendResponse(make([]byte, 0, 256+len(body)), status, p.reqID, hw.Get("X-Amzn-Errortype"), body, !p.keepAlive())
	*out = body
	p.h.putOut(out)
	if now {
		if raw := rawConn(p.conn); raw != nil {
			n, err := tryWrite(raw, b)
			if err != nil || n == len(b) {
				p.written(err)
				return
			}
			b = b[n:]
		}
		go p.write(b)
		return
	}
	p.write(b)
}

// write writes the rest of an answer within the write timeout.
func (p *parked) write(b []byte) {
	p.conn.SetWriteDeadline(time.Now().Add(p.h.ext.writeTimeout))
	_, err := p.conn.Write(b)
	if err == nil {
		p.conn.SetWriteDeadline(time.Time{}) // the connection may serve another request
	}
	p.written(err)
}

// written gives the connection of an answer written back to the server
// for the client's next request, or closes it (not kept alive, or the
// write failed: err).
func (p *parked) written(err error) {
	if err != nil {
		p.h.log.Debug("awsapi: answering a long-poll failed", "request_id", p.reqID, "err", err)
	}
	if err == nil && p.keepAlive() && p.h.ext.resumer.resume(p.conn) {
		return
	}
	p.conn.Close()
}

// keepAlive reports whether p's connection serves the client's next
// request after the answer: with a Resumer, for an HTTP/1.1 request that
// did not ask to close, and when no bytes of a next request were read
// with this one (they are in net/http's buffer, gone with it).
func (p *parked) keepAlive() bool {
	return p.h.ext.resumer != nil && !p.close && !p.req.close && p.req.minor >= 1
}

package awsapi

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/cloudmap/cloudmap"
)

// Parked long-polls. A long-poll that must wait gives its connection up
// to the handler (hold.go) instead of holding a goroutine and net/http's
// buffers for the whole wait: it is then a parked request (the
// connection, the decoded input and a timer, about a kilobyte), grouped by
// the service it waits on. One goroutine per group waits on the view and,
// at a change, answers the requests whose index is no longer current, each
// on a short-lived goroutine, as an HTTP/1.1 response that closes the
// connection (the client opens a new one for its next long-poll). HTTP/2
// connections cannot be handed over: their long-polls wait in the handler.

// RevisionWatcher is what parked long-polls wait on (the view implements
// it): a service's InstancesRevision and a channel closed at its next
// change.
type RevisionWatcher interface {
	WatchRevision(cell cloudmap.Cell, nsName, svcName, owner string) (int64, <-chan struct{}, error)
}

// pollKey is what a parked long-poll waits for: a service of a cell (the
// zero Cell for the default cell), found by names.
type pollKey struct {
	cell           cloudmap.Cell
	ns, svc, owner string
}

// lot holds the parked long-polls, grouped by service.
type lot struct {
	src RevisionWatcher
	*holding[pollKey, *parked]
}

// parked is one parked long-poll.
type parked struct {
	h     *handler
	o     *operation
	in    any
	reqID string
	req   *http.Request // for the hooks (heldRequest: its connection is the lot's)
	key   pollKey
	index int64
	conn  net.Conn
	done  atomic.Bool
	timer atomic.Pointer[time.Timer]
}

func newLot(src RevisionWatcher, shutdown context.Context) *lot {
	l := &lot{src: src}
	l.holding = newHolding(l.run)
	l.onShutdown(shutdown, (*parked).finish)
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
	p := &parked{h: h, o: o, in: in, reqID: heldID(reqID), req: heldRequest(r), key: key, index: index, conn: conn}
	if rw.Reader.Buffered() > 0 { // a pipelined request follows: answer now, then close
		p.finish()
		return true
	}
	p.wait(wait)
	return true
}

// parkConn parks a long-poll whose connection is already held (its body
// arrived slowly, slowbody.go); false when there is no lot.
func (h *handler) parkConn(conn net.Conn, r *http.Request, o *operation, in any, reqID string, key pollKey, index int64, wait time.Duration) bool {
	if h.ext.lot == nil {
		return false
	}
	p := &parked{h: h, o: o, in: in, reqID: reqID, req: r, key: key, index: index, conn: conn}
	p.wait(wait)
	return true
}

// wait parks p in the group of its service for at most d.
func (p *parked) wait(d time.Duration) {
	if !p.h.ext.lot.add(p.key, p) {
		p.finish() // shutting down
		return
	}
	p.timer.Store(time.AfterFunc(d, p.finish))
	if p.done.Load() { // finished before its timer was stored
		p.timer.Load().Stop()
	}
}

// run waits on the group's service and answers the long-polls whose
// index is no longer the service's revision; all of them when the service
// is gone.
func (l *lot) run(g *holdGroup[pollKey, *parked]) {
	for {
		rev, ch, err := l.src.WatchRevision(g.key.cell, g.key.ns, g.key.svc, g.key.owner)
		due := l.take(g, func(p *parked) bool { return err != nil || p.index != rev }, err != nil)
		for _, p := range due {
			p.finish()
		}
		if err != nil {
			return
		}
		select {
		case <-ch:
		case <-g.stop:
			return
		}
	}
}

// finish answers p once: at its change, at the end of its wait, or at
// shutdown.
func (p *parked) finish() {
	if !p.done.CompareAndSwap(false, true) {
		return
	}
	if t := p.timer.Load(); t != nil {
		t.Stop()
	}
	p.h.ext.lot.remove(p.key, p)
	go p.answer()
}

// answer runs the operation and writes its response on the connection,
// then closes it.
func (p *parked) answer() {
	defer p.conn.Close()
	defer p.h.recoverHeld(p.conn, p.reqID)
	ctx := context.Background()
	if p.key.cell != (cloudmap.Cell{}) {
		ctx = cloudmap.WithCell(ctx, p.key.cell) // answered in the caller's cell
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	hw := headerWriter{}
	out := p.h.getOut()
	defer p.h.putOut(out)
	c := &Call{RequestID: p.reqID, Request: p.req, Input: p.in}
	status, body := p.h.invoke(ctx, hw, c, p.o, (*out)[:0])
	*out = body
	if err := writeClosing(p.conn, status, p.reqID, hw.Get("X-Amzn-Errortype"), body, p.h.ext.writeTimeout); err != nil {
		p.h.log.Debug("awsapi: answering a long-poll failed", "request_id", p.reqID, "err", err)
	}
}

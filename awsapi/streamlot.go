package awsapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudmap/cloudmap"
)

// Change streams on HTTP/1.x give their connection up to the handler
// (http.Hijacker), like parked long-polls (park.go): a stream is then its
// connection and the last state it sent, grouped by what it watches. One
// goroutine per group waits on the view and beats the heartbeat; at a
// change it hands every stream of the group a push on a short-lived
// goroutine of its own, so a stream whose reader is slow blocks nobody
// and is dropped when a write does not complete within the write timeout.
// The response is close-delimited (no chunking): HTTP/1.1 allows it with
// Connection: close.

// streamKey is what a group of streams watches: a service (or, with svc
// empty, a namespace) of a cell.
type streamKey struct {
	cell    cloudmap.Cell
	ns, svc string
}

// streamLot holds the adopted streams.
type streamLot struct {
	src       WatchSource
	heartbeat time.Duration
	log       func(msg string, args ...any)
	mu        sync.Mutex
	groups    map[streamKey]*streamGroup
	closed    bool
}

type streamGroup struct {
	key     streamKey
	members map[*adopted]struct{}
	stop    chan struct{}
	dead    bool
}

// adopted is a stream on a connection handed over.
type adopted struct {
	s       *stream
	conn    net.Conn
	lot     *streamLot
	mu      sync.Mutex // one writer at a time
	pending atomic.Bool
	ended   atomic.Bool
}

type connSink struct{ c net.Conn }

func (o connSink) write(b []byte, deadline time.Time) error {
	if len(b) == 0 {
		return nil
	}
	o.c.SetWriteDeadline(deadline)
	_, err := o.c.Write(b)
	return err
}

func newStreamLot(src WatchSource, heartbeat time.Duration, log func(string, ...any), shutdown context.Context) *streamLot {
	l := &streamLot{src: src, heartbeat: heartbeat, log: log, groups: map[streamKey]*streamGroup{}}
	if shutdown != nil {
		context.AfterFunc(shutdown, l.close)
	}
	return l
}

// adopt takes the stream's connection over, sends the response head and
// the snapshot, and adds the stream to its group; false when the
// connection cannot be taken over (the caller serves the stream itself).
func (l *streamLot) adopt(w http.ResponseWriter, s *stream, reqID, id string, snap *watchSnapshot) bool {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return false
	}
	conn.SetDeadline(time.Time{})
	a := &adopted{s: s, conn: conn, lot: l}
	s.out = connSink{conn}
	s.buf = append(s.buf, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"+
		"X-Accel-Buffering: no\r\nX-Amzn-Requestid: "...)
	s.buf = append(s.buf, reqID...)
	s.buf = append(s.buf, "\r\nConnection: close\r\n\r\n"...)
	if err := s.open(id, snap); err != nil {
		a.end(err)
		return true
	}
	l.add(a)
	return true
}

func (l *streamLot) add(a *adopted) {
	key := streamKey{a.s.cell, a.s.ns, a.s.svc}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		a.end(nil)
		return
	}
	g := l.groups[key]
	if g == nil {
		g = &streamGroup{key: key, members: map[*adopted]struct{}{}, stop: make(chan struct{})}
		l.groups[key] = g
		go l.run(g)
	}
	g.members[a] = struct{}{}
	l.mu.Unlock()
	a.kick() // a change between its snapshot and now
}

func (l *streamLot) remove(a *adopted) {
	key := streamKey{a.s.cell, a.s.ns, a.s.svc}
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.groups[key]
	if g == nil {
		return
	}
	delete(g.members, a)
	if len(g.members) == 0 && !g.dead {
		g.dead = true
		close(g.stop)
		delete(l.groups, key)
	}
}

// members returns a copy of g's streams.
func (l *streamLot) members(g *streamGroup) []*adopted {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*adopted, 0, len(g.members))
	for a := range g.members {
		out = append(out, a)
	}
	return out
}

// run wakes the group's streams at every change of what they watch and
// beats their heartbeat.
func (l *streamLot) run(g *streamGroup) {
	tick := time.NewTicker(l.heartbeat)
	defer tick.Stop()
	for {
		ch, err := l.watch(g.key)
		if err != nil { // gone: every stream sends its last events and ends
			for _, a := range l.members(g) {
				a.kick()
			}
			select {
			case <-g.stop:
			case <-tick.C: // members end on their own; look again
			}
			select {
			case <-g.stop:
				return
			default:
				continue
			}
		}
		select {
		case <-ch:
			for _, a := range l.members(g) {
				a.kick()
			}
		case <-tick.C:
			for _, a := range l.members(g) {
				go a.beat()
			}
		case <-g.stop:
			return
		}
	}
}

func (l *streamLot) watch(k streamKey) (<-chan struct{}, error) {
	if k.svc != "" {
		_, ch, err := l.src.WatchService(k.cell, k.ns, k.svc)
		return ch, err
	}
	_, _, _, ch, err := l.src.WatchNamespace(k.cell, k.ns)
	return ch, err
}

// close ends every stream (the server is shutting down).
func (l *streamLot) close() {
	l.mu.Lock()
	l.closed = true
	var all []*adopted
	for _, g := range l.groups {
		for a := range g.members {
			all = append(all, a)
		}
	}
	l.mu.Unlock()
	for _, a := range all {
		a.end(nil)
	}
}

// kick schedules a push unless one is already scheduled.
func (a *adopted) kick() {
	if !a.pending.Swap(true) {
		go a.push()
	}
}

// push sends the events of the changes since the last push.
func (a *adopted) push() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.pending.Swap(false) {
		if a.ended.Load() {
			return
		}
		more := a.s.next()
		if err := a.s.flush(); err != nil || !more {
			a.end(err)
			return
		}
	}
}

// beat writes a heartbeat unless a push is writing (which proves the
// stream alive as well).
func (a *adopted) beat() {
	if !a.mu.TryLock() {
		return
	}
	defer a.mu.Unlock()
	if a.ended.Load() {
		return
	}
	a.s.buf = append(a.s.buf, ": heartbeat\n\n"...)
	if err := a.s.flush(); err != nil {
		a.end(err)
	}
}

// end closes the stream once; err is why (nil: it ended normally).
func (a *adopted) end(err error) {
	if !a.ended.CompareAndSwap(false, true) {
		return
	}
	a.conn.Close()
	a.lot.remove(a)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		a.lot.log("awsapi: watcher dropped: it did not take an event in time",
			"remote", a.conn.RemoteAddr().String(), "namespace", a.s.ns, "service", a.s.svc, "err", err)
	}
}

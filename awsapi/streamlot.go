package awsapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cloudmap/cloudmap"
)

// Change streams on HTTP/1.x give their connection up to the handler
// (http.Hijacker), like parked long-polls (park.go): a stream is then its
// connection and the last state it sent (a cursor), grouped by what it
// watches. One goroutine per group waits on the view and beats the
// heartbeat. At a change it reads the new state once, encodes the events
// from the group's last state to it once, and writes those same bytes to
// every stream that is at that last state, without waiting: one write(2)
// per socket, which takes what fits in the socket's buffer, from a few
// goroutines (one per core) that each take a share of the streams. A
// stream that is not at the group's state (it has just joined, or is
// still writing an earlier change), whose buffer is full, or that is on
// TLS gets a push on a short-lived goroutine of its own, which computes
// its own events and writes with the write timeout, so a slow reader
// blocks nobody and is dropped when a write does not complete in time.
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
	scratch []*adopted // the members of one delivery; only run uses it
}

// adopted is a stream on a connection handed over.
type adopted struct {
	s       *stream
	conn    net.Conn
	raw     syscall.RawConn // the socket, for tryWrite; nil on TLS
	lot     *streamLot
	mu      sync.Mutex // one writer at a time; guards s
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
	if err == nil {
		o.c.SetWriteDeadline(time.Time{}) // a deadline past would fail tryWrite
	}
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
	a := &adopted{s: s, conn: conn, raw: rawConn(conn), lot: l}
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

// members returns g's streams in g.scratch (reused from one delivery to
// the next).
func (l *streamLot) members(g *streamGroup) []*adopted {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := g.scratch[:0]
	for a := range g.members {
		out = append(out, a)
	}
	if cap(out) > 2*len(out)+64 { // the group shrank: do not keep a large array
		out = slices.Clip(out)
	}
	g.scratch = out
	return out
}

// run delivers the changes of what the group watches to its streams and
// beats their heartbeat.
func (l *streamLot) run(g *streamGroup) {
	tick := time.NewTicker(l.heartbeat)
	defer tick.Stop()
	var last *cursor // the state the group's streams were last given
	for {
		var ev []byte
		to, ch, alive := last, (<-chan struct{})(nil), true
		if last == nil {
			var err error
			to, ch, err = l.load(g.key)
			alive = err == nil
		} else {
			ev, to, ch, alive = advance(l.src, g.key, last, nil)
		}
		if !alive { // gone: every stream sends its last events and ends
			spread(l.members(g), func(a *adopted) { a.kick() })
			last = nil
			select {
			case <-g.stop:
				return
			case <-tick.C: // members end on their own; look again
			}
			continue
		}
		if last != nil && to != last {
			from := last
			spread(l.members(g), func(a *adopted) { a.deliver(from, to, ev) })
		}
		last = to
		select {
		case <-ch:
		case <-tick.C:
			spread(l.members(g), (*adopted).beat)
		case <-g.stop:
			return
		}
	}
}

// load reads the state a group starts from.
func (l *streamLot) load(k streamKey) (*cursor, <-chan struct{}, error) {
	if k.svc != "" {
		e, ch, err := l.src.WatchService(k.cell, k.ns, k.svc)
		if err != nil {
			return nil, nil, err
		}
		return &cursor{one: e}, ch, nil
	}
	_, entries, _, ch, err := l.src.WatchNamespace(k.cell, k.ns)
	if err != nil {
		return nil, nil, err
	}
	c := &cursor{many: make(map[string]*cloudmap.ServiceEntry, len(entries))}
	for _, e := range entries {
		c.many[e.Service.Id] = e
	}
	return c, ch, nil
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

// deliver gives the stream the events ev of the change from the group's
// state from to its state to: written at once when the stream is at from
// and its socket takes them; else its own push (kick) sends what it lacks.
func (a *adopted) deliver(from, to *cursor, ev []byte) {
	if a.raw == nil || !a.mu.TryLock() {
		a.kick() // TLS, or a push is writing: it computes its own events
		return
	}
	switch {
	case a.ended.Load() || a.s.cur == to:
		a.mu.Unlock()
		return
	case len(a.s.buf) > 0 || !a.s.cur.same(from):
		a.mu.Unlock()
		a.kick()
		return
	}
	a.s.cur = to
	if len(ev) == 0 { // a change the stream does not report (the service's attributes)
		a.mu.Unlock()
		return
	}
	a.offer(ev)
}

// beat writes a heartbeat unless a push is writing (which proves the
// stream alive as well).
func (a *adopted) beat() {
	if !a.mu.TryLock() {
		return
	}
	if a.ended.Load() || len(a.s.buf) > 0 {
		a.mu.Unlock()
		return
	}
	if a.raw == nil {
		a.s.buf = append(a.s.buf, heartbeat...)
		a.mu.Unlock()
		a.kick()
		return
	}
	a.offer(heartbeatBytes)
}

var heartbeatBytes = []byte(heartbeat)

// offer writes b to the socket without waiting, with a.mu held, and
// unlocks it. What the socket does not take is left in the stream's
// buffer for a push, which writes it with the write timeout.
func (a *adopted) offer(b []byte) {
	n, err := tryWrite(a.raw, b)
	if err != nil {
		a.mu.Unlock()
		a.end(err)
		return
	}
	if n < len(b) {
		a.s.buf = append(a.s.buf, b[n:]...)
	}
	rest := len(a.s.buf) > 0
	a.mu.Unlock()
	if rest {
		a.kick()
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

// spreadShare is the fewest items worth a goroutine of their own in spread.
const spreadShare = 256

// spread calls f for every item of ms, spread over up to one goroutine
// per core, and returns when all are done: a change delivered to
// thousands of sockets keeps every core writing. The caller (a group's
// goroutine, one per watched service) only waits, so that its stack does
// not grow with the work of the answers.
func spread[T any](ms []T, f func(T)) {
	parts := min(runtime.GOMAXPROCS(0), (len(ms)+spreadShare-1)/spreadShare)
	var wg sync.WaitGroup
	for i := range parts {
		part := ms[i*len(ms)/parts : (i+1)*len(ms)/parts]
		wg.Go(func() {
			for _, m := range part {
				f(m)
			}
		})
	}
	wg.Wait()
}

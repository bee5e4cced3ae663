package awsapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cloudmap/cloudmap"
)

// Change streams on HTTP/1.x give their connection up to the handler
// (hold.go), like parked long-polls (park.go): a stream is then its
// connection and the last state it sent (a cursor), grouped by what it
// watches. A group waits on the view with a function the view calls at
// the next change (no goroutine per group; one goroutine for the lot beats
// the heartbeat). At a change the group reads the new state once, encodes the events
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
	beating   bool // the heartbeat goroutine runs (while there are groups)
}

// streamGroup is the streams of one key. It waits for the next change
// with one call of AfterService or AfterNamespace in force (gen numbers
// the calls: a call of an older one is stale), so a group costs no
// goroutine. It ends at a change that finds it empty.
type streamGroup struct {
	key     streamKey
	members map[*adopted]struct{}
	gen     uint64
	last    *cursor // the state its streams were last given; nil before the first read
	gone    bool    // what it watches is gone: no wait in force, the heartbeat looks again
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
	conn, _ := takeOver(w)
	if conn == nil {
		return false
	}
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

// add puts a in the group of its key; the first member of a group starts
// its wait, the first group the heartbeat.
func (l *streamLot) add(a *adopted) {
	key := streamKey{a.s.cell, a.s.ns, a.s.svc}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		a.end(nil)
		return
	}
	g := l.groups[key]
	fresh := g == nil
	if fresh {
		g = &streamGroup{key: key, members: map[*adopted]struct{}{}}
		l.groups[key] = g
	}
	g.members[a] = struct{}{}
	gen, beat := g.gen, !l.beating
	l.beating = true
	l.mu.Unlock()
	if beat {
		go l.beat()
	}
	if fresh {
		l.step(g, gen)
	}
	a.kick() // a change between its snapshot and now
}

// remove takes a out of its group. An empty group stays until the next
// change (its wait is in force: a stream arriving meanwhile joins it).
func (l *streamLot) remove(a *adopted) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if g := l.groups[streamKey{a.s.cell, a.s.ns, a.s.svc}]; g != nil {
		delete(g.members, a)
	}
}

// step is a group's wait ending (call gen, or its start): unless the
// group is empty (it then ends), it waits for the next change, computes
// the events from the group's last state to the current one once, and
// gives them to the streams. When what the group watches is gone, every
// stream sends its last events and ends on its own.
func (l *streamLot) step(g *streamGroup, gen uint64) {
	l.mu.Lock()
	if l.closed || g.gen != gen || l.groups[g.key] != g {
		l.mu.Unlock() // a stale call, or the group has ended
		return
	}
	if len(g.members) == 0 {
		delete(l.groups, g.key)
		l.mu.Unlock()
		return
	}
	g.gen++
	next, from := g.gen, g.last
	l.mu.Unlock()
	notify := func() { go l.step(g, next) }
	var ev []byte
	to, alive := from, true
	if from == nil {
		to, alive = l.load(g.key, notify)
	} else {
		ev, to, _, alive = advance(l.src, g.key, from, nil, notify)
	}
	l.mu.Lock()
	if g.gen == next { // no later step has begun
		g.last, g.gone = to, !alive
		if !alive {
			g.last = nil
		}
	}
	ms := make([]*adopted, 0, len(g.members))
	for a := range g.members {
		ms = append(ms, a)
	}
	l.mu.Unlock()
	switch {
	case !alive:
		spread(ms, (*adopted).kick)
	case from == nil:
		// A first look (or one that began before the previous look had
		// stored its state: a change woke it in between): the group has
		// no state to share events from, so each stream looks for itself;
		// a stream that joined before the change must not miss it.
		spread(ms, (*adopted).kick)
	case to != from:
		spread(ms, func(a *adopted) { a.deliver(from, to, ev) })
	}
}

// load reads the state a group starts from, and waits for its next change.
func (l *streamLot) load(k streamKey, notify func()) (*cursor, bool) {
	if k.svc != "" {
		e, _, err := readService(l.src, k, notify)
		if err != nil {
			return nil, false
		}
		return &cursor{one: e}, true
	}
	_, entries, _, _, err := readNamespace(l.src, k, notify)
	if err != nil {
		return nil, false
	}
	c := &cursor{many: make(map[string]*cloudmap.ServiceEntry, len(entries))}
	for _, e := range entries {
		c.many[e.Service.Id] = e
	}
	return c, true
}

// beat beats every stream's heartbeat, and looks again at what the gone
// groups watch, every heartbeat period while there are groups.
func (l *streamLot) beat() {
	tick := time.NewTicker(l.heartbeat)
	defer tick.Stop()
	for range tick.C {
		var ms []*adopted
		var gone []*streamGroup
		var gens []uint64
		l.mu.Lock()
		if l.closed || len(l.groups) == 0 {
			l.beating = false
			l.mu.Unlock()
			return
		}
		for _, g := range l.groups {
			for a := range g.members {
				ms = append(ms, a)
			}
			if g.gone {
				gone, gens = append(gone, g), append(gens, g.gen)
			}
		}
		l.mu.Unlock()
		spread(ms, (*adopted).beat)
		for i, g := range gone {
			l.step(g, gens[i])
		}
	}
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

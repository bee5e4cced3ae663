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
// (hold.go), like parked long-polls (park.go): a stream is then its
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

// streamLot holds the adopted streams, grouped by what they watch.
type streamLot struct {
	src       WatchSource
	heartbeat time.Duration
	log       func(msg string, args ...any)
	*holding[streamKey, *adopted]
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
	l := &streamLot{src: src, heartbeat: heartbeat, log: log}
	l.holding = newHolding(l.run)
	l.onShutdown(shutdown, func(a *adopted) { a.end(nil) })
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
	if !l.add(a.key(), a) {
		a.end(nil) // shutting down
		return true
	}
	a.kick() // a change between its snapshot and now
	return true
}

// key is what a's group watches.
func (a *adopted) key() streamKey { return streamKey{a.s.cell, a.s.ns, a.s.svc} }

// run wakes the group's streams at every change of what they watch and
// beats their heartbeat.
func (l *streamLot) run(g *holdGroup[streamKey, *adopted]) {
	tick := time.NewTicker(l.heartbeat)
	defer tick.Stop()
	for {
		ch, err := l.watch(g.key)
		if err != nil { // gone: every stream sends its last events and ends
			for _, a := range l.take(g, nil, false) {
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
			for _, a := range l.take(g, nil, false) {
				a.kick()
			}
		case <-tick.C:
			for _, a := range l.take(g, nil, false) {
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
	a.lot.remove(a.key(), a)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		a.lot.log("awsapi: watcher dropped: it did not take an event in time",
			"remote", a.conn.RemoteAddr().String(), "namespace", a.s.ns, "service", a.s.svc, "err", err)
	}
}

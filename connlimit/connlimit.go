// Package connlimit keeps an HTTP listener answering when clients hold
// many connections: it caps the connections per client address and in
// total, closes idle connections first when the server nears its cap (and
// those idle longer than a short timeout while it is under pressure), and
// answers a client over a cap at once with an error instead of leaving it
// in the kernel's accept queue.
//
// A Limiter wraps the TCP listener (below TLS) and follows the
// connections' states through http.Server.ConnState; the handler calls
// Admit, which returns the error for a connection accepted only to be
// refused (the caller answers it, 503, and closes the connection).
package connlimit

import (
	"container/list"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/cloudmap/cloudmap"
)

// Defaults of Config.
const (
	DefaultMax           = 4096
	DefaultPerClient     = 512
	DefaultPressureIdle  = 5 * time.Second
	DefaultMaxRefusing   = 64
	DefaultRefuseTimeout = 2 * time.Second
)

// The server is under pressure from 3/4 of Max connections.
const pressureNum, pressureDen = 3, 4

// Why a connection is refused.
const (
	overPerClient = "per-client"
	overMax       = "max"
)

// Config sets the limits. Zero fields take the defaults.
type Config struct {
	// Max is the most connections served at once (default 4096).
	Max int
	// PerClient is the most connections of one client address (an IPv4
	// address or an IPv6 /64) served at once (default 512).
	PerClient int
	// PressureIdle is the idle timeout while the server is under pressure
	// (at least 3/4 of Max open): connections idle longer are closed when
	// another arrives (default 5 s).
	PressureIdle time.Duration
	// MaxRefusing is how many connections over a cap may be held at once
	// to answer them with an error; past it they are closed at accept
	// (default 64).
	MaxRefusing int
	// RefuseTimeout is how long such a connection may take to send its
	// request (default 2 s).
	RefuseTimeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.Max <= 0 {
		c.Max = DefaultMax
	}
	if c.PerClient <= 0 {
		c.PerClient = DefaultPerClient
	}
	if c.PressureIdle <= 0 {
		c.PressureIdle = DefaultPressureIdle
	}
	if c.MaxRefusing <= 0 {
		c.MaxRefusing = DefaultMaxRefusing
	}
	if c.RefuseTimeout <= 0 {
		c.RefuseTimeout = DefaultRefuseTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Stats are a Limiter's counts.
type Stats struct {
	// Open is the connections being served, Idle those of them that have
	// no request in progress (new or kept alive), Refusing those accepted
	// only to be answered with an error.
	Open, Idle, Refusing int
	// Refused counts connections refused (answered with an error, or
	// closed at accept); IdleClosed counts idle connections closed to make
	// room.
	Refused, IdleClosed uint64
}

// Limiter enforces Config on one listener.
type Limiter struct {
	cfg Config

	mu       sync.Mutex
	open     int
	refusing int
	per      map[netip.Addr]int
	idle     *list.List // *conn, longest idle first
	stats    Stats
}

// New returns a Limiter for cfg.
func New(cfg Config) *Limiter {
	return &Limiter{cfg: cfg.withDefaults(), per: map[netip.Addr]int{}, idle: list.New()}
}

// Config returns the limits in force.
func (l *Limiter) Config() Config { return l.cfg }

// Listener wraps ln (a TCP listener; put TLS on top of it).
func (l *Limiter) Listener(ln net.Listener) net.Listener { return &listener{Listener: ln, l: l} }

// Stats returns the current counts.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.Open, s.Idle, s.Refusing = l.open, l.idle.Len(), l.refusing
	return s
}

type listener struct {
	net.Listener
	l *Limiter
}

// Accept never leaves a connection waiting: it returns one within the
// caps (closing idle ones to make room), one to be refused with an error,
// or, past MaxRefusing, closes it and accepts the next.
func (ln *listener) Accept() (net.Conn, error) {
	for {
		nc, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if c := ln.l.admit(nc); c != nil {
			return c, nil
		}
	}
}

// conn is an accepted connection.
type conn struct {
	net.Conn
	l      *Limiter
	client netip.Addr
	// refuse is set when the connection was accepted only to be refused.
	refuse string
	// Guarded by l.mu:
	elem      *list.Element // in l.idle while idle
	idleSince time.Time
	released  bool
}

// admit places a new connection, or closes it and returns nil.
func (l *Limiter) admit(nc net.Conn) *conn {
	c := &conn{Conn: nc, l: l, client: clientKey(nc.RemoteAddr())}
	now := l.cfg.Now()
	var victims []*conn
	l.mu.Lock()
	switch {
	case l.per[c.client] >= l.cfg.PerClient:
		c.refuse = overPerClient
	default:
		if l.open*pressureDen >= l.cfg.Max*pressureNum {
			victims = l.idleOlderThan(now.Add(-l.cfg.PressureIdle))
		}
		if l.open-len(victims) >= l.cfg.Max {
			victims = append(victims, l.oldestIdle()...)
		}
		if l.open-len(victims) >= l.cfg.Max {
			c.refuse = overMax
		}
	}
	if c.refuse != "" && l.refusing >= l.cfg.MaxRefusing {
		l.stats.Refused++
		l.mu.Unlock()
		nc.Close()
		return nil
	}
	if c.refuse != "" {
		l.refusing++
	} else {
		l.open++
		l.per[c.client]++
		c.idleSince = now
		c.elem = l.idle.PushBack(c)
	}
	l.stats.IdleClosed += uint64(len(victims))
	l.mu.Unlock()
	for _, v := range victims {
		v.Close()
	}
	if c.refuse != "" {
		nc.SetDeadline(now.Add(l.cfg.RefuseTimeout))
	}
	return c
}

// idleOlderThan returns the idle connections idle since before t and takes
// them off the idle list. l.mu is held.
func (l *Limiter) idleOlderThan(t time.Time) []*conn {
	var out []*conn
	for e := l.idle.Front(); e != nil; {
		c := e.Value.(*conn)
		if !c.idleSince.Before(t) {
			break // the list is in idle order
		}
		next := e.Next()
		l.idle.Remove(e)
		c.elem = nil
		out = append(out, c)
		e = next
	}
	return out
}

// oldestIdle takes the oldest idle connection off the list, if any.
// l.mu is held.
func (l *Limiter) oldestIdle() []*conn {
	e := l.idle.Front()
	if e == nil {
		return nil
	}
	c := e.Value.(*conn)
	l.idle.Remove(e)
	c.elem = nil
	return []*conn{c}
}

// NetConn returns the connection under c (as tls.Conn.NetConn does), so
// that a handler that took c over can reach the socket; closing must still
// go through c.
func (c *conn) NetConn() net.Conn { return c.Conn }

// Close releases the connection's place and closes it: in that order, so
// that once its peer sees the close, the counts no longer include it.
func (c *conn) Close() error {
	l := c.l
	l.mu.Lock()
	if !c.released {
		c.released = true
		if c.elem != nil {
			l.idle.Remove(c.elem)
			c.elem = nil
		}
		if c.refuse != "" {
			l.refusing--
			l.stats.Refused++
		} else {
			l.open--
			if l.per[c.client]--; l.per[c.client] <= 0 {
				delete(l.per, c.client)
			}
		}
	}
	l.mu.Unlock()
	return c.Conn.Close()
}

// ConnState follows the connections' states; set it as
// http.Server.ConnState. A connection is idle (and may be closed to make
// room) while it has no request in progress.
func (l *Limiter) ConnState(nc net.Conn, st http.ConnState) {
	c := unwrap(nc)
	if c == nil || c.refuse != "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.released {
		return
	}
	switch st {
	case http.StateActive, http.StateHijacked, http.StateClosed:
		if c.elem != nil {
			l.idle.Remove(c.elem)
			c.elem = nil
		}
	case http.StateIdle:
		if c.elem == nil {
			c.idleSince = l.cfg.Now()
			c.elem = l.idle.PushBack(c)
		}
	}
}

type ctxKey struct{}

// ConnContext records the connection in the request contexts; set it as
// http.Server.ConnContext.
func (l *Limiter) ConnContext(ctx context.Context, nc net.Conn) context.Context {
	if c := unwrap(nc); c != nil {
		return context.WithValue(ctx, ctxKey{}, c)
	}
	return ctx
}

// Admit returns nil for a request on a connection within the caps, or the
// ServiceUnavailable error to answer it with (then close the connection).
func (l *Limiter) Admit(r *http.Request) error {
	c, _ := r.Context().Value(ctxKey{}).(*conn)
	if c == nil || c.refuse == "" {
		return nil
	}
	if c.refuse == overPerClient {
		return cloudmap.Errorf(cloudmap.ErrServiceUnavailable,
			"too many connections from %s (the limit is %d per client address): close idle connections and retry",
			c.client, l.cfg.PerClient)
	}
	return cloudmap.Errorf(cloudmap.ErrServiceUnavailable, "the server is at its limit of %d connections: retry later", l.cfg.Max)
}

// unwrap finds the conn under a TLS connection.
func unwrap(nc net.Conn) *conn {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	c, _ := nc.(*conn)
	return c
}

// clientKey is the address a client's connections are counted under: the
// IPv4 address, or the IPv6 /64.
func clientKey(a net.Addr) netip.Addr {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}
	}
	ip := ta.AddrPort().Addr().Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return ip
	}
	return p.Addr()
}

package awsapi

import (
	"errors"
	"net"
	"net/http"
	"sync"
)

// A Resumer gives connections back to the HTTP server: the connection of
// a parked long-poll (park.go), which the handler took over, serves the
// client's next request once the long-poll is answered (keep-alive),
// instead of being closed and opened again by the client for its next
// long-poll (a connection set up and torn down per change and per waiter,
// and with TLS a handshake). Wrap the API listener with Listener, at the
// top (above TLS: the connections given back are the ones the handler
// took over), and set Config.Resumer.
//
// Set ConnState as (or call it from) the server's ConnState: a connection
// given back is new to the server, which, shutting down, would wait
// seconds for it before deeming it idle; the Resumer closes those that
// have not begun a request when the listener closes.
type Resumer struct {
	mu      sync.Mutex
	back    chan net.Conn
	closed  bool
	waiting map[net.Conn]struct{} // given back, no request begun yet
}

// resumeBacklog is how many connections given back may wait for the
// server's accept loop; past it a connection is closed instead (the
// client opens a new one).
const resumeBacklog = 4096

// NewResumer returns a Resumer.
func NewResumer() *Resumer {
	return &Resumer{back: make(chan net.Conn, resumeBacklog), waiting: map[net.Conn]struct{}{}}
}

// ConnState follows the connections given back (see Resumer).
func (r *Resumer) ConnState(c net.Conn, st http.ConnState) {
	if st == http.StateNew {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.waiting, c)
}

// Listener returns ln, whose Accept also returns the connections given
// back; closing it closes ln and the connections not yet taken.
func (r *Resumer) Listener(ln net.Listener) net.Listener {
	rl := &resumeListener{Listener: ln, r: r, accepted: make(chan accepted), done: make(chan struct{})}
	go rl.pump()
	return rl
}

// resume gives c back; false when the server no longer accepts it or the
// backlog is full (the caller closes c).
func (r *Resumer) resume(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	select {
	case r.back <- c:
		r.waiting[c] = struct{}{}
		return true
	default:
		return false
	}
}

// close closes the connections given back that have not begun a request.
func (r *Resumer) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	for c := range r.waiting {
		c.Close()
	}
	clear(r.waiting)
	for {
		select {
		case c := <-r.back:
			c.Close()
		default:
			return
		}
	}
}

type resumeListener struct {
	net.Listener
	r        *Resumer
	accepted chan accepted
	done     chan struct{}
	once     sync.Once
}

type accepted struct {
	c   net.Conn
	err error
}

// pump accepts from the wrapped listener.
func (rl *resumeListener) pump() {
	for {
		c, err := rl.Listener.Accept()
		select {
		case rl.accepted <- accepted{c, err}:
		case <-rl.done:
			if c != nil {
				c.Close()
			}
			return
		}
		if errors.Is(err, net.ErrClosed) {
			return // the server stops too
		}
	}
}

func (rl *resumeListener) Accept() (net.Conn, error) {
	select {
	case c := <-rl.r.back:
		return c, nil
	default:
	}
	select {
	case c := <-rl.r.back:
		return c, nil
	case a := <-rl.accepted:
		return a.c, a.err
	case <-rl.done:
		return nil, net.ErrClosed
	}
}

func (rl *resumeListener) Close() error {
	rl.once.Do(func() { close(rl.done) })
	rl.r.close()
	return rl.Listener.Close()
}

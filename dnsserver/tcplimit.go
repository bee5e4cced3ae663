package dnsserver

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Defaults of the DNS-over-TCP limits (Config fields of the same names).
const (
	DefaultTCPMaxConnections          = 1024
	DefaultTCPMaxConnectionsPerClient = 16
	DefaultTCPIdleTimeout             = 8 * time.Second // RFC 7766 section 6.2.3: seconds, not minutes
	DefaultTCPReadTimeout             = 2 * time.Second
	DefaultTCPMaxQueries              = 128
)

// tcpListener caps the DNS TCP connections in total and per client
// address: a connection over either cap is closed as soon as it is
// accepted, so idle connections cannot exhaust the process's file
// descriptors (which the API and the health checker need too).
type tcpListener struct {
	net.Listener
	max, perClient int

	mu     sync.Mutex
	total  int
	per    map[netip.Addr]int
	conns  map[*tcpConn]struct{}
	closed bool
	// refused counts connections closed at accept for being over a cap.
	refused uint64
}

func newTCPListener(ln net.Listener, max, perClient int) *tcpListener {
	return &tcpListener{Listener: ln, max: max, perClient: perClient,
		per: map[netip.Addr]int{}, conns: map[*tcpConn]struct{}{}}
}

// Accept returns the next connection within the caps, closing the others.
func (l *tcpListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := clientAddr(c.RemoteAddr())
		l.mu.Lock()
		if l.closed || l.total >= l.max || l.per[ip] >= l.perClient {
			l.refused++
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.total++
		l.per[ip]++
		tc := &tcpConn{Conn: c, l: l, ip: ip}
		l.conns[tc] = struct{}{}
		l.mu.Unlock()
		return tc, nil
	}
}

// closeConns refuses further connections and closes the open ones, so that
// a shutdown does not wait for idle clients.
func (l *tcpListener) closeConns() {
	l.mu.Lock()
	l.closed = true
	conns := make([]*tcpConn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// stats returns the open connections and those refused so far.
func (l *tcpListener) stats() (open int, refused uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total, l.refused
}

// tcpConn releases its place in the caps when closed.
type tcpConn struct {
	net.Conn
	l    *tcpListener
	ip   netip.Addr
	once sync.Once
}

func (c *tcpConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		l := c.l
		l.mu.Lock()
		l.total--
		if l.per[c.ip]--; l.per[c.ip] <= 0 {
			delete(l.per, c.ip)
		}
		delete(l.conns, c)
		l.mu.Unlock()
	})
	return err
}

// clientAddr is the IP address of a remote address.
func clientAddr(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// errTooManyQueries ends a connection that used up its queries.
var errTooManyQueries = errors.New("dns: too many messages on one TCP connection")

// tcpReader reads the messages of one TCP connection. Each read waits at
// most the timeout the server passes (the read timeout for the first
// message, the idle timeout after an answer), and messages too short to be
// a query (such as zero-length ones) are skipped without extending that
// time: only a query answered keeps a connection open. Every message,
// short or not, counts towards maxQueries.
type tcpReader struct {
	dns.Reader
	maxQueries, messages int
}

func (r *tcpReader) ReadTCP(conn net.Conn, timeout time.Duration) ([]byte, error) {
	if err := conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	var hdr [2]byte
	for r.messages < r.maxQueries {
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			return nil, err
		}
		m := make([]byte, binary.BigEndian.Uint16(hdr[:]))
		if _, err := io.ReadFull(conn, m); err != nil {
			return nil, err
		}
		r.messages++
		if len(m) >= headerLen {
			return m, nil
		}
	}
	return nil, errTooManyQueries
}

package dnsserver

import (
	"net/netip"
	"sync"
	"time"
)

var outBufs = sync.Pool{New: func() any { return make([]byte, 65535) }}

// HandlePacket exposes the UDP packet path to the external tests.
func (s *Server) HandlePacket(p []byte, client netip.Addr) []byte {
	out := outBufs.Get().([]byte)
	defer outBufs.Put(out)
	b := s.handlePacket(p, client, out)
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// SetClock replaces the rate limiter's clock.
func (s *Server) SetClock(now func() time.Time) {
	if s.limiter != nil {
		s.limiter.now = now
	}
}

// TCPStats returns the open DNS TCP connections and those refused.
func (s *Server) TCPStats() (open int, refused uint64) { return s.tcpLn.stats() }

// UDPSocketCount returns the number of bound UDP sockets.
func (s *Server) UDPSocketCount() int { return len(s.udp) }

// ReusePortSupported says whether several UDP sockets can share a port here.
const ReusePortSupported = reusePortSupported

// PortZero reports whether Start retries a bind to addr (port 0 or none:
// the kernel picks the port).
func PortZero(addr string) bool { return (&Server{cfg: Config{Addr: addr}}).portZero() }

// TCPClients returns how many client addresses the TCP caps track.
func (s *Server) TCPClients() int {
	s.tcpLn.mu.Lock()
	defer s.tcpLn.mu.Unlock()
	return len(s.tcpLn.per)
}

// CloseTCPListener closes the TCP socket under the server, as a failure
// of the listener would.
func (s *Server) CloseTCPListener() error { return s.tcpLn.Listener.Close() }

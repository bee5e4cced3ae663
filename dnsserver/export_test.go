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

package dnsserver

import (
	"net/netip"
	"time"
)

// HandlePacket exposes the UDP packet path to the external tests.
func (s *Server) HandlePacket(p []byte, client netip.Addr) []byte {
	return s.handlePacket(p, client, make([]byte, 65535))
}

// SetClock replaces the rate limiter's clock.
func (s *Server) SetClock(now func() time.Time) {
	if s.limiter != nil {
		s.limiter.now = now
	}
}

package dnsserver

import (
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

const headerLen = 12

// serveUDP is the read loop of one UDP socket: it answers each packet in
// turn, reusing its buffers, with no goroutine per query.
func (s *Server) serveUDP(c *net.UDPConn) {
	in := make([]byte, dns.MaxMsgSize)
	out := make([]byte, dns.MaxMsgSize)
	for {
		n, from, err := c.ReadFromUDPAddrPort(in)
		if err != nil {
			if s.closed.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Debug("dns udp read", "err", err)
			continue
		}
		if reply := s.handlePacket(in[:n], from.Addr().Unmap(), out); reply != nil {
			if _, err := c.WriteToUDPAddrPort(reply, from); err != nil {
				s.log.Debug("dns udp write", "client", from.String(), "err", err)
			}
		}
	}
}

// handlePacket returns the reply to one UDP packet, packed into out, or
// nil for silence. Packets too short for a header and responses are
// dropped; an unreadable message whose header is readable gets FORMERR;
// a client over its rate limit gets silence or, every second time, an
// empty truncated reply that sends it to TCP.
func (s *Server) handlePacket(p []byte, client netip.Addr, out []byte) []byte {
	if len(p) < headerLen || p[2]&0x80 != 0 {
		return nil
	}
	if s.limiter != nil {
		switch s.limiter.allow(client) {
		case drop:
			if s.obs != nil {
				s.obs.RateLimited(false)
			}
			return nil
		case slip:
			if s.obs != nil {
				s.obs.RateLimited(true)
			}
			return headerReply(p, out, dns.RcodeSuccess, true)
		}
	}
	if s.obs == nil {
		return s.answerPacket(p, client, out)
	}
	start := time.Now()
	b := s.answerPacket(p, client, out)
	if len(b) >= headerLen {
		var qtype uint16
		if q := questionType(p); q >= 0 {
			qtype = uint16(q)
		}
		s.obs.Query(qtype, int(b[3]&0xF), false, b[2]&0x02 != 0, time.Since(start))
	}
	return b
}

// questionType reads the type of the first question of a query packet, or
// returns -1.
func questionType(p []byte) int {
	if len(p) < headerLen || p[4] == 0 && p[5] == 0 {
		return -1
	}
	i := headerLen
	for i < len(p) && p[i] != 0 {
		if p[i]&0xC0 != 0 {
			return -1 // a compression pointer in a query's first name: not worth following
		}
		i += int(p[i]) + 1
	}
	if i+2 >= len(p) {
		return -1
	}
	return int(p[i+1])<<8 | int(p[i+2])
}

// answerPacket answers a query packet that passed the rate limit.
func (s *Server) answerPacket(p []byte, client netip.Addr, out []byte) []byte {
	if opcode := int(p[2]>>3) & 0xF; opcode != dns.OpcodeQuery {
		return headerReply(p, out, dns.RcodeNotImplemented, false)
	}
	var q dns.Msg
	if err := q.Unpack(p); err != nil {
		return headerReply(p, out, dns.RcodeFormatError, false)
	}
	r := s.answerSafely(&q, client, UDPSize(&q))
	if r == nil {
		return nil
	}
	b, err := r.PackBuffer(out)
	if err != nil {
		s.log.Error("dns pack", "name", q.Question[0].Name, "err", err)
		return headerReply(p, out, dns.RcodeServerFailure, false)
	}
	return b
}

// headerReply builds a header-only reply to the query header in p: same
// ID, opcode and RD, QR set, the rcode, and TC when truncated.
func headerReply(p, out []byte, rcode int, truncated bool) []byte {
	out = out[:headerLen]
	clear(out)
	out[0], out[1] = p[0], p[1]
	out[2] = 0x80 | p[2]&0x79 // QR, opcode, RD
	if truncated {
		out[2] |= 0x02
	}
	out[3] = byte(rcode & 0xF)
	return out
}

package dnsserver

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Server is an authoritative DNS server for every DNS namespace of a
// Source, over UDP and TCP. Make one with New, then Start and Close it.
type Server struct {
	src     Source
	cfg     Config
	private []netip.Prefix
	log     *slog.Logger
	limiter *limiter
	obs     Observer // nil: nothing observed

	udp    []*net.UDPConn
	tcp    *dns.Server
	tcpLn  *tcpListener
	wg     sync.WaitGroup
	closed atomic.Bool
}

// New returns a server answering from src; it does not bind until Start.
func New(src Source, cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{src: src, cfg: cfg, private: cfg.PrivateCIDRs, log: cfg.Logger, obs: cfg.Observer}
	if s.private == nil {
		s.private = DefaultPrivateCIDRs()
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.RateLimit > 0 {
		s.limiter = newLimiter(cfg.RateLimit, nil)
	}
	return s
}

// Start binds UDP and TCP on cfg.Addr and serves both until Close. It
// returns an error naming the address when it is in use.
func (s *Server) Start() error {
	n := s.cfg.UDPSockets
	if n <= 0 {
		n = runtime.NumCPU()
	}
	if !reusePortSupported {
		n = 1
	}
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if err = s.bind(n); err == nil || !s.portZero() {
			break
		}
	}
	if err != nil {
		return err
	}
	// Each socket gets enough reader goroutines to keep every CPU busy: a
	// fixed pool of read-answer-write loops, never a goroutine per query.
	readers := max(1, runtime.NumCPU()/len(s.udp))
	for _, c := range s.udp {
		for range readers {
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serveUDP(c)
			}()
		}
	}
	// Wait until the TCP server runs: Shutdown before that would fail and
	// leave it serving after Close.
	started, failed := make(chan struct{}), make(chan error, 1)
	idle, maxQueries := s.cfg.TCPIdleTimeout, s.cfg.TCPMaxQueries
	s.tcp = &dns.Server{Listener: s.tcpLn, Net: "tcp", Handler: dns.HandlerFunc(s.serveTCP),
		MsgAcceptFunc: acceptQuery, MaxTCPQueries: maxQueries, NotifyStartedFunc: func() { close(started) },
		ReadTimeout: DefaultTCPReadTimeout, IdleTimeout: func() time.Duration { return idle },
		DecorateReader: func(r dns.Reader) dns.Reader { return &tcpReader{Reader: r, maxQueries: maxQueries} }}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := s.tcp.ActivateAndServe()
		if err != nil && !s.closed.Load() {
			s.log.Error("dns tcp server stopped", "addr", s.tcpLn.Addr().String(), "err", err)
		}
		failed <- err
	}()
	select {
	case <-started:
		return nil
	case err := <-failed:
		s.Close()
		return fmt.Errorf("dns: serve tcp %s: %w", s.tcpLn.Addr(), err)
	}
}

func (s *Server) portZero() bool {
	_, p, err := net.SplitHostPort(s.cfg.Addr)
	return err == nil && (p == "0" || p == "")
}

// bind opens n UDP sockets and one TCP listener on the same port. The
// first UDP socket is bound without SO_REUSEPORT as a probe, so that an
// address held by anyone (even another server with SO_REUSEPORT) is
// reported in use instead of silently shared.
func (s *Server) bind(n int) error {
	// TCP first: with port 0 the kernel picks a port free for TCP, whose
	// space is the crowded one (every test's HTTP and etcd connections);
	// UDP on the same port is then rarely taken.
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("dns: listen tcp %s: %w", s.cfg.Addr, err)
	}
	s.tcpLn = newTCPListener(ln, s.cfg.TCPMaxConnections, s.cfg.TCPMaxConnectionsPerClient)
	addr := ln.Addr().String()
	probe, err := net.ListenPacket("udp", addr)
	if err != nil {
		s.closeAll()
		return fmt.Errorf("dns: listen udp %s: %w", addr, err)
	}
	if n == 1 {
		s.udp = []*net.UDPConn{probe.(*net.UDPConn)}
		return nil
	}
	probe.Close()
	for range n {
		c, err := listenReusePort(addr)
		if err != nil {
			s.closeAll()
			return fmt.Errorf("dns: listen udp %s: %w", addr, err)
		}
		s.udp = append(s.udp, c)
	}
	return nil
}

func (s *Server) closeAll() {
	for _, c := range s.udp {
		c.Close()
	}
	s.udp = nil
	if s.tcpLn != nil {
		s.tcpLn.Close()
		s.tcpLn = nil
	}
}

// UDPAddr returns the bound UDP address (nil before Start).
func (s *Server) UDPAddr() net.Addr {
	if len(s.udp) == 0 {
		return nil
	}
	return s.udp[0].LocalAddr()
}

// TCPAddr returns the bound TCP address (nil before Start).
func (s *Server) TCPAddr() net.Addr {
	if s.tcpLn == nil {
		return nil
	}
	return s.tcpLn.Addr()
}

// Close stops serving and waits for the serving goroutines to end.
func (s *Server) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	var errs []error
	for _, c := range s.udp {
		errs = append(errs, c.Close())
	}
	if s.tcpLn != nil {
		s.tcpLn.closeConns() // idle clients do not hold up the shutdown
	}
	if s.tcp != nil {
		if err := s.tcp.Shutdown(); err != nil {
			errs = append(errs, fmt.Errorf("dns: shutdown tcp: %w", err))
		}
	}
	s.wg.Wait()
	return errors.Join(errs...)
}

// acceptQuery lets every query through to Answer (which decides FORMERR
// and NOTIMP itself), drops responses, and refuses to unpack the sections
// of other opcodes.
func acceptQuery(h dns.Header) dns.MsgAcceptAction {
	if h.Bits&(1<<15) != 0 {
		return dns.MsgIgnore
	}
	if int(h.Bits>>11)&0xF != dns.OpcodeQuery {
		return dns.MsgRejectNotImplemented
	}
	return dns.MsgAccept
}

// serveTCP answers one query received over TCP (never rate limited: TCP
// sources cannot be spoofed).
func (s *Server) serveTCP(w dns.ResponseWriter, q *dns.Msg) {
	var client netip.Addr
	if a, ok := w.RemoteAddr().(*net.TCPAddr); ok {
		client = a.AddrPort().Addr()
	}
	var start time.Time
	if s.obs != nil {
		start = time.Now()
	}
	r := s.answerSafely(q, client, 0)
	if r == nil {
		return
	}
	if s.obs != nil {
		var qtype uint16
		if len(q.Question) > 0 {
			qtype = q.Question[0].Qtype
		}
		s.obs.Query(qtype, r.Rcode, true, r.Truncated, time.Since(start))
	}
	if err := w.WriteMsg(r); err != nil {
		s.log.Debug("dns tcp write", "client", client.String(), "err", err)
	}
}

// answerSafely is Answer with a recover: a bug answers SERVFAIL for one
// query instead of stopping the server.
func (s *Server) answerSafely(q *dns.Msg, client netip.Addr, maxSize int) (r *dns.Msg) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("dns answer panicked", "client", client.String(), "panic", fmt.Sprint(p))
			r = new(dns.Msg)
			r.SetRcode(q, dns.RcodeServerFailure)
		}
	}()
	return s.Answer(q, client, maxSize)
}

package dns

import (
	"errors"
	"fmt"
	"net"

	"github.com/miekg/dns"
)

// Trivial is the reference responder: miekg/dns servers that answer every
// query with the same 8 A records, doing no lookup at all. Its throughput
// is the ceiling the real server is compared with.
type Trivial struct {
	servers []*dns.Server
	addr    net.Addr
}

// StartTrivial starts sockets UDP servers on addr (with SO_REUSEPORT when
// more than one; port 0 picks a free port).
func StartTrivial(addr string, sockets int) (*Trivial, error) {
	if sockets < 1 {
		sockets = 1
	}
	answer := make([]dns.RR, 8)
	for i := range answer {
		rr, err := dns.NewRR(fmt.Sprintf("svc.bench.local. 60 IN A 10.0.0.%d", i+1))
		if err != nil {
			return nil, err
		}
		answer[i] = rr
	}
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		m.Answer = answer
		w.WriteMsg(m)
	})
	t := &Trivial{}
	for i := range sockets {
		pc, err := listen(addr, sockets > 1)
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("trivial: listen %s: %w", addr, err)
		}
		if i == 0 {
			t.addr = pc.LocalAddr()
			addr = t.addr.String()
		}
		started := make(chan struct{})
		srv := &dns.Server{PacketConn: pc, Handler: handler, NotifyStartedFunc: func() { close(started) }}
		t.servers = append(t.servers, srv)
		go srv.ActivateAndServe()
		<-started
	}
	return t, nil
}

// Addr is the UDP address the responder answers on.
func (t *Trivial) Addr() net.Addr { return t.addr }

// Close stops every server.
func (t *Trivial) Close() error {
	var errs []error
	for _, s := range t.servers {
		errs = append(errs, s.Shutdown())
	}
	return errors.Join(errs...)
}

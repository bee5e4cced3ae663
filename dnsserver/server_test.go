package dnsserver_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap/dnsserver"
)

// startServer starts a server on 127.0.0.1:0 and closes it at cleanup.
func startServer(t *testing.T, src dnsserver.Source, cfg dnsserver.Config) *dnsserver.Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s := dnsserver.New(src, cfg)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func exchange(t *testing.T, proto, addr string, q *dns.Msg) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: proto, Timeout: 5 * time.Second}
	r, _, err := c.Exchange(q, addr)
	if err != nil {
		t.Fatalf("%s %s: %v", proto, q.Question[0].Name, err)
	}
	return r
}

func TestServer_sockets(t *testing.T) {
	f := newFixture(t)
	long := putLongSRV(f)
	for _, sockets := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d UDP sockets", sockets), func(t *testing.T) {
			s := startServer(t, f.src, dnsserver.Config{UDPSockets: sockets})
			udp, tcp := s.UDPAddr().String(), s.TCPAddr().String()
			if udp != tcp {
				t.Fatalf("UDP %s and TCP %s differ", udp, tcp)
			}
			for _, proto := range []string{"udp", "tcp"} {
				r := exchange(t, proto, udp, query("Web.example.local.", dns.TypeA))
				if got, want := fmt.Sprint(rrStrings(r.Answer)),
					"[Web.example.local. 60 IN A 10.0.0.1 Web.example.local. 60 IN A 10.0.0.2]"; got != want || !r.Authoritative {
					t.Errorf("%s: %s (AA %v), want %s", proto, got, r.Authoritative, want)
				}
				r = exchange(t, proto, udp, query("nope.example.local.", dns.TypeA))
				if r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 {
					t.Errorf("%s NXDOMAIN: %v", proto, r)
				}
				r = exchange(t, proto, udp, query("www.example.org.", dns.TypeA))
				if r.Rcode != dns.RcodeRefused {
					t.Errorf("%s outside: rcode %s", proto, dns.RcodeToString[r.Rcode])
				}
			}
			// Too big for UDP: TC and nothing else; over TCP the whole answer.
			r := exchange(t, "udp", udp, query(long, dns.TypeSRV))
			if !r.Truncated || len(r.Answer) != 0 {
				t.Errorf("UDP long answer: TC %v, %d records", r.Truncated, len(r.Answer))
			}
			if r := exchange(t, "tcp", tcp, query(long, dns.TypeSRV)); r.Truncated || len(r.Answer) != 8 {
				t.Errorf("TCP long answer: TC %v, %d records", r.Truncated, len(r.Answer))
			}
		})
	}
}

func TestServer_Start_addressInUse(t *testing.T) {
	f := newFixture(t)
	s := startServer(t, f.src, dnsserver.Config{})
	for _, sockets := range []int{1, 4} {
		err := dnsserver.New(f.src, dnsserver.Config{Addr: s.UDPAddr().String(), UDPSockets: sockets}).Start()
		if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), s.UDPAddr().String()) {
			t.Errorf("%d sockets: second Start on %s: %v, want address already in use", sockets, s.UDPAddr(), err)
		}
	}
	// TCP taken, UDP free.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = dnsserver.New(f.src, dnsserver.Config{Addr: ln.Addr().String()}).Start()
	if err == nil || !strings.Contains(err.Error(), "tcp") {
		t.Errorf("Start with TCP port taken: %v", err)
	}
}

// TestServer_badPackets sends malformed packets over UDP, each followed by
// a good query on the same socket: a FORMERR (when the header is readable)
// or nothing comes back, then the good answer; the server keeps serving.
func TestServer_badPackets(t *testing.T) {
	f := newFixture(t)
	s := startServer(t, f.src, dnsserver.Config{})
	conn, err := net.Dial("udp", s.UDPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	good, _ := query("web.example.local.", dns.TypeA).Pack()
	// A compression pointer that points at itself.
	loop := []byte{0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1}
	tests := []struct {
		name   string
		packet []byte
		rcode  int // -1: no reply expected
	}{
		{"empty", []byte{}, -1},
		{"short header", []byte{1, 2, 3, 4, 5}, -1},
		{"header only, qdcount 1", []byte{0xAB, 0xCD, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0}, dns.RcodeFormatError},
		{"compression loop", loop, dns.RcodeFormatError},
		{"question without type and class", append([]byte{0xAB, 0xCD, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0},
			"\x03web\x07example\x05local\x00"...), dns.RcodeFormatError},
		{"a response", append([]byte{0xAB, 0xCD, 0x81}, good[3:]...), -1},
		{"opcode UPDATE", append([]byte{0xAB, 0xCD, 0x28}, good[3:]...), dns.RcodeNotImplemented},
		// 'G' reads as opcode 8.
		{"HTTP garbage", []byte("\xab\xcdGET / HTTP/1.1\r\nHost: x\r\n\r\n"), dns.RcodeNotImplemented},
		{"query garbage", []byte("\xab\xcd\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x3fabc"), dns.RcodeFormatError},
		{"many labels", append(append([]byte{0xAB, 0xCD, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0},
			[]byte(strings.Repeat("\x01a", 200))...), 0, 0, 1, 0, 1), dns.RcodeFormatError},
	}
	buf := make([]byte, 65535)
	for _, tc := range tests {
		if _, err := conn.Write(tc.packet); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(good); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var r dns.Msg
		if err := r.Unpack(buf[:n]); err != nil {
			t.Fatalf("%s: reply unpack: %v", tc.name, err)
		}
		if tc.rcode >= 0 {
			if r.Id != 0xABCD || r.Rcode != tc.rcode || !r.Response {
				t.Errorf("%s: reply id %x rcode %s, want id abcd rcode %s", tc.name, r.Id,
					dns.RcodeToString[r.Rcode], dns.RcodeToString[tc.rcode])
			}
			if n, err = conn.Read(buf); err != nil {
				t.Fatalf("%s: good query after it: %v", tc.name, err)
			}
			if err := r.Unpack(buf[:n]); err != nil {
				t.Fatal(err)
			}
		}
		if r.Id != 4242 || len(r.Answer) != 2 {
			t.Errorf("%s: the good query got id %d with %d answers", tc.name, r.Id, len(r.Answer))
		}
	}
}

// TestServer_tcpPipelining sends several queries on one TCP connection.
func TestServer_tcpPipelining(t *testing.T) {
	f := newFixture(t)
	s := startServer(t, f.src, dnsserver.Config{})
	c, err := dns.Dial("tcp", s.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 5 {
		q := query("api.example.local.", dns.TypeSRV)
		q.Id = uint16(100 + i)
		if err := c.WriteMsg(q); err != nil {
			t.Fatal(err)
		}
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for range 5 {
		r, err := c.ReadMsg()
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Answer) != 2 || r.Id < 100 || r.Id > 104 {
			t.Errorf("reply id %d with %d answers", r.Id, len(r.Answer))
		}
	}
}

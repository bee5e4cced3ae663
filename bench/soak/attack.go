package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/miekg/dns"
)

// attacks runs the findings of the hostile-input review beside the normal
// traffic, each bounded in connections and rate, each from its own
// loopback address (127.0.x.y), none from 127.0.0.1 (the normal client).
type attacks struct {
	s     *server
	host  string          // API host:port
	size  int             // scale: connections of the connection-holding attacks
	flood int             // requests per second of each flood (API, DNS)
	only  map[string]bool // the attacks to run; nil runs all

	sent, refused atomic.Int64 // requests sent and answered with an error or closed
}

// run starts every attack and returns when ctx ends.
func (a *attacks) run(ctx context.Context) {
	a.host = strings.TrimPrefix(a.s.api, "http://")
	var wg sync.WaitGroup
	spawn := func(n int, f func(ctx context.Context, i int)) {
		for i := range n {
			wg.Add(1)
			go func() { defer wg.Done(); f(ctx, i) }()
		}
	}
	for _, at := range []struct {
		name string
		n    int
		f    func(context.Context, int)
	}{
		// Finding 1: bodies declared 1 MiB, 150 bytes sent, a key that
		// passes the header check and a wrong signature; over 8 addresses.
		{"slowbody", a.size, a.slowBody},
		// Finding 6: keep-alive connections left idle, all from one address.
		{"idle", a.size, a.idleConn},
		// Finding 8: a flood of unsigned requests (a.flood per second).
		{"unsigned", floodGoroutines, a.unsignedFlood},
		// Finding 3: a signature without x-amz-target replayed as DeleteNamespace.
		{"replay", 1, a.replay},
		// Finding 5: ListOperations with 14,000 filters.
		{"filters", 1, a.filterBomb},
		// Finding 7: DNS TCP connections kept alive by zero-length messages.
		{"dnsidle", a.size / 2, a.dnsIdle},
		// Finding 9: EDNS0 queries from one /24 (a.flood per second).
		{"dnsflood", floodGoroutines, a.dnsFlood},
	} {
		if a.only == nil || a.only[at.name] {
			spawn(at.n, at.f)
		}
	}
	wg.Wait()
}

// reconnectPause is how long a connection-holding attacker waits before it
// opens a connection again after the server closed one: it wants to hold
// connections, not to flood (the floods are separate attacks).
const reconnectPause = time.Second

// from returns a dialer bound to the loopback address 127.0.x.y.
func from(x, y int) *net.Dialer {
	return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, byte(x), byte(y))}, Timeout: 5 * time.Second}
}

// pause waits d or until ctx ends; it reports whether to go on.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// closeOnDone closes c when ctx ends.
func closeOnDone(ctx context.Context, c net.Conn) func() bool {
	return context.AfterFunc(ctx, func() { c.Close() })
}

func (a *attacks) slowBody(ctx context.Context, i int) {
	d := from(1, 2+i%8)
	for ctx.Err() == nil {
		c, err := d.DialContext(ctx, "tcp", a.host)
		if err != nil {
			pause(ctx, 100*time.Millisecond)
			continue
		}
		stop := closeOnDone(ctx, c)
		now := time.Now().UTC()
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.1\r\n"+
			"X-Amz-Target: Route53AutoNaming_v20170314.ListNamespaces\r\nX-Amz-Date: %s\r\n"+
			"Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/us-east-1/servicediscovery/aws4_request, "+
			"SignedHeaders=host;x-amz-date;x-amz-target, Signature=%s\r\nContent-Length: 1048576\r\n\r\n%s",
			a.host, now.Format("20060102T150405Z"), a.s.keyID, now.Format("20060102"), strings.Repeat("0", 64),
			strings.Repeat("x", 150-len("POST")))
		a.sent.Add(1)
		io.Copy(io.Discard, c) // until the server gives up on the body
		a.refused.Add(1)
		stop()
		c.Close()
		pause(ctx, reconnectPause)
	}
}

func (a *attacks) idleConn(ctx context.Context, _ int) {
	d := from(2, 1)
	req := "POST / HTTP/1.1\r\nHost: " + "%s" + "\r\nContent-Type: application/x-amz-json-1.1\r\n" +
		"X-Amz-Target: Route53AutoNaming_v20170314.ListNamespaces\r\nContent-Length: 2\r\n\r\n{}"
	for ctx.Err() == nil {
		c, err := d.DialContext(ctx, "tcp", a.host)
		if err != nil {
			pause(ctx, 100*time.Millisecond)
			continue
		}
		stop := closeOnDone(ctx, c)
		fmt.Fprintf(c, req, a.host)
		a.sent.Add(1)
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		io.Copy(io.Discard, c) // idle until the server closes it
		a.refused.Add(1)
		stop()
		c.Close()
		pause(ctx, reconnectPause)
	}
}

// floodGoroutines share each flood's rate.
const floodGoroutines = 4

// every is the pause between two requests of one flood goroutine.
func (a *attacks) every() time.Duration {
	return time.Duration(int64(time.Second) * floodGoroutines / int64(max(1, a.flood)))
}

func (a *attacks) unsignedFlood(ctx context.Context, i int) {
	d := from(3, 1+i)
	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 1}}
	t := time.NewTicker(a.every())
	defer t.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, a.s.api+"/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "Route53AutoNaming_v20170314.DeleteNamespace")
		if resp, err := hc.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				a.refused.Add(1)
			}
		}
		a.sent.Add(1)
	}
}

// signed returns a request signed by the soak key; target is set after
// signing when unsignedTarget is given.
func (a *attacks) signed(ctx context.Context, op, body, unsignedTarget string) *http.Request {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, a.s.api+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if op != "" {
		req.Header.Set("X-Amz-Target", "Route53AutoNaming_v20170314."+op)
	}
	sum := sha256.Sum256([]byte(body))
	v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: a.s.keyID, SecretAccessKey: a.s.secret},
		req, hex.EncodeToString(sum[:]), "servicediscovery", "us-east-1", time.Now())
	if unsignedTarget != "" {
		req.Header.Set("X-Amz-Target", "Route53AutoNaming_v20170314."+unsignedTarget)
	}
	return req
}

func (a *attacks) send(hc *http.Client, req *http.Request) {
	a.sent.Add(1)
	resp, err := hc.Do(req)
	if err != nil {
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		a.refused.Add(1)
	}
}

func (a *attacks) replay(ctx context.Context, _ int) {
	hc := &http.Client{Transport: &http.Transport{DialContext: from(4, 1).DialContext}}
	for pause(ctx, 10*time.Millisecond) {
		a.send(hc, a.signed(ctx, "", `{"Id":"ns-whatever"}`, "DeleteNamespace"))
	}
}

func (a *attacks) filterBomb(ctx context.Context, _ int) {
	hc := &http.Client{Transport: &http.Transport{DialContext: from(5, 1).DialContext}}
	var b bytes.Buffer
	b.WriteString(`{"Filters":[`)
	for i := range 14000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"Name":"STATUS","Values":["SUCCESS"],"Condition":"EQ"}`)
	}
	b.WriteString(`]}`)
	for pause(ctx, 100*time.Millisecond) {
		a.send(hc, a.signed(ctx, "ListOperations", b.String(), ""))
	}
}

func (a *attacks) dnsIdle(ctx context.Context, _ int) {
	d := from(6, 1)
	for ctx.Err() == nil {
		c, err := d.DialContext(ctx, "tcp", a.s.dns)
		if err != nil {
			pause(ctx, 100*time.Millisecond)
			continue
		}
		stop := closeOnDone(ctx, c)
		a.sent.Add(1)
		for pause(ctx, time.Second) {
			if _, err := c.Write([]byte{0, 0}); err != nil {
				break
			}
		}
		a.refused.Add(1)
		stop()
		c.Close()
		pause(ctx, reconnectPause)
	}
}

func (a *attacks) dnsFlood(ctx context.Context, i int) {
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 7, byte(1+i))}, net.UDPAddrFromAddrPort(mustAddrPort(a.s.dns)))
	if err != nil {
		return
	}
	defer c.Close()
	stop := closeOnDone(ctx, c)
	defer stop()
	q := new(dns.Msg)
	q.SetQuestion("web.soak.local.", dns.TypeA)
	q.SetEdns0(4096, false)
	p, _ := q.Pack()
	buf := make([]byte, 65535)
	t := time.NewTicker(a.every())
	defer t.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := c.Write(p); err != nil {
			return
		}
		a.sent.Add(1)
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if n, err := c.Read(buf); err != nil || n <= len(p) {
			a.refused.Add(1) // dropped, or an empty truncated reply
		}
	}
}

package health

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/cloudmap/cloudmap"
)

const (
	// userAgent is sent by HTTP and HTTPS probes; it starts like Route 53's
	// so that endpoints which recognise health checkers keep doing so.
	userAgent = "Amazon-Route53-Health-Check-Service (cloudmap)"
	// maxResponseBytes caps what a probe reads: status line, headers and a
	// little body. A target that sends more is just unhealthy.
	maxResponseBytes = 16 << 10
	// maxBodyBytes is how much of the body a probe reads before closing.
	maxBodyBytes = 1 << 10
)

// readers reuses the response buffers of probes.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

// errTooLarge is the failure of a response whose header exceeds the cap.
var errTooLarge = errors.New("response header too large")

// probe runs one check of ep and returns nil when it passes or the reason it
// failed. It never takes longer than the connect plus response timeouts,
// returns at once when ctx is done, and always closes its connection.
func (c *Checker) probe(ctx context.Context, ep endpoint) error {
	connectTimeout := c.cfg.ConnectTimeout
	if ep.typ == cloudmap.HealthCheckTCP {
		connectTimeout = c.cfg.TCPConnectTimeout
	}
	dctx, cancel := context.WithTimeout(ctx, connectTimeout)
	conn, err := c.cfg.Dial(dctx, "tcp4", ep.addr.String())
	cancel()
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer closeNow(conn)
	if ep.typ == cloudmap.HealthCheckTCP {
		return nil
	}
	// Stop waits for nobody: closing the connection ends any blocked read.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := conn.SetDeadline(time.Now().Add(c.cfg.ResponseTimeout)); err != nil {
		return fmt.Errorf("set deadline: %w", err)
	}
	if ep.typ == cloudmap.HealthCheckHTTPS {
		// Route 53 does not validate the certificate of HTTPS checks and
		// accepts TLS 1.0 and later.
		tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10}) //nolint:gosec // documented Route 53 behaviour
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("tls handshake: %w", err)
		}
		conn = tc
	}
	return httpCheck(conn, ep)
}

// httpCheck sends one GET on conn and accepts a status of 200 to 399.
// Redirects are not followed.
func httpCheck(conn net.Conn, ep endpoint) error {
	if _, err := io.WriteString(conn, ep.request); err != nil {
		return fmt.Errorf("write request: %w", err)
	}
	lr := &io.LimitedReader{R: conn, N: maxResponseBytes}
	br := readers.Get().(*bufio.Reader)
	br.Reset(lr)
	defer func() {
		br.Reset(nil)
		readers.Put(br)
	}()
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		if lr.N <= 0 {
			return errTooLarge
		}
		return fmt.Errorf("read response: %w", err)
	}
	// The result is known; read a little of the body to be polite.
	_, _ = io.CopyN(io.Discard, resp.Body, maxBodyBytes)
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 399 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// closeNow closes conn with a reset rather than a FIN where it can, so that
// thousands of probes per second leave no TIME_WAIT sockets behind.
func closeNow(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

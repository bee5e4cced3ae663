//go:build unix

package awsapi

import (
	"crypto/tls"
	"errors"
	"net"
	"os"
	"syscall"
)

// rawConn returns the socket under c for tryWrite, or nil when c's bytes
// cannot be written to the socket directly (TLS).
func rawConn(c net.Conn) syscall.RawConn {
	for {
		if _, ok := c.(*tls.Conn); ok {
			return nil // its bytes are encrypted on the way
		}
		u, ok := c.(interface{ NetConn() net.Conn }) // a wrapper (connlimit's)
		if !ok {
			break
		}
		c = u.NetConn()
	}
	sc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// tryWrite writes b to the socket without waiting: one write(2), which
// takes what fits in the socket's buffer. It returns the number of bytes
// written (fewer than len(b) when the buffer is full: the caller writes the
// rest the ordinary way, with a deadline) and an error only when the
// connection is broken.
func tryWrite(rc syscall.RawConn, b []byte) (int, error) {
	var n int
	var werr error
	err := rc.Write(func(fd uintptr) bool {
		n, werr = syscall.Write(int(fd), b)
		return true // one attempt: never wait for the socket to drain
	})
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return 0, nil // a deadline of an earlier write: the ordinary way sets its own
	case err != nil:
		return 0, err
	case werr == nil:
		return n, nil
	case errors.Is(werr, syscall.EAGAIN) || errors.Is(werr, syscall.EINTR):
		return 0, nil
	}
	return 0, werr
}

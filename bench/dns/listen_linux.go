package dns

import (
	"context"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

func listen(addr string, reusePort bool) (net.PacketConn, error) {
	lc := net.ListenConfig{}
	if reusePort {
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	return lc.ListenPacket(context.Background(), "udp", addr)
}

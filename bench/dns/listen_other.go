//go:build !linux

package dns

import (
	"errors"
	"net"
)

func listen(addr string, reusePort bool) (net.PacketConn, error) {
	if reusePort {
		return nil, errors.New("SO_REUSEPORT is not supported on this platform")
	}
	return net.ListenPacket("udp", addr)
}

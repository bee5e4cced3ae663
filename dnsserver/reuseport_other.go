//go:build !linux

package dnsserver

import (
	"errors"
	"net"
)

// reusePortSupported says whether several UDP sockets can share a port.
const reusePortSupported = false

func listenReusePort(string) (*net.UDPConn, error) {
	return nil, errors.New("SO_REUSEPORT is not supported on this platform")
}

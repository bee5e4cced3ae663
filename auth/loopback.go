package auth

import (
	"net"
	"strings"
)

// IsLoopback reports whether a listen address ("host:port", "[::1]:port" or
// a bare host) binds only to loopback: a loopback IP, or "localhost". An
// empty host (":8080") binds every interface and is not loopback; neither
// is any other host name, since it may resolve anywhere.
func IsLoopback(addr string) bool {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i]
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

package health

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/cloudmap/cloudmap"
)

// endpoint is what one target's probes send: always to the instance's
// registered AWS_INSTANCE_IPV4 and AWS_INSTANCE_PORT, nothing else.
type endpoint struct {
	typ  cloudmap.HealthCheckType
	addr netip.AddrPort
	// path is the request target of HTTP and HTTPS probes.
	path string
	// host is the Host header of HTTP and HTTPS probes.
	host string
	// request is the whole HTTP request, built once.
	request string
	// threshold is the number of consecutive results that flip the status.
	threshold int
}

// endpointOf derives the probe endpoint of a target. An error means the
// target cannot be probed (no usable IPv4 address or port): it counts as
// failing every probe, and nothing is sent anywhere.
func endpointOf(t cloudmap.HealthTarget) (endpoint, error) {
	ep := endpoint{typ: t.Config.Type, threshold: threshold(t.Config.FailureThreshold)}
	ip, err := netip.ParseAddr(t.IPv4)
	if err != nil || !ip.Is4() {
		return ep, fmt.Errorf("AWS_INSTANCE_IPV4 %q is not an IPv4 address", t.IPv4)
	}
	port, err := portOf(t.Config.Type, t.Port)
	if err != nil {
		return ep, err
	}
	ep.addr = netip.AddrPortFrom(ip, port)
	switch t.Config.Type {
	case cloudmap.HealthCheckTCP:
	case cloudmap.HealthCheckHTTP, cloudmap.HealthCheckHTTPS:
		ep.path = requestTarget(t.Config.ResourcePath)
		ep.host = hostHeader(t.Config.Type, ep.addr)
		ep.request = "GET " + ep.path + " HTTP/1.1\r\nHost: " + ep.host +
			"\r\nUser-Agent: " + userAgent + "\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	default:
		return ep, fmt.Errorf("health check type %q is not HTTP, HTTPS or TCP", t.Config.Type)
	}
	return ep, nil
}

// threshold returns FailureThreshold clamped to the model's 1..10, with
// Route 53's default of 3 when it is absent.
func threshold(n int32) int {
	switch {
	case n <= 0:
		return DefaultFailureThreshold
	case n > 10:
		return 10
	}
	return int(n)
}

// portOf parses AWS_INSTANCE_PORT; when it is absent HTTP uses 80 and HTTPS
// 443, Route 53's defaults, and TCP has no default.
func portOf(typ cloudmap.HealthCheckType, s string) (uint16, error) {
	if s == "" {
		switch typ {
		case cloudmap.HealthCheckHTTP:
			return 80, nil
		case cloudmap.HealthCheckHTTPS:
			return 443, nil
		}
		return 0, fmt.Errorf("AWS_INSTANCE_PORT is required for %s health checks", typ)
	}
	p, err := strconv.ParseUint(s, 10, 16)
	if err != nil || p == 0 {
		return 0, fmt.Errorf("AWS_INSTANCE_PORT %q is not a port between 1 and 65535", s)
	}
	return uint16(p), nil
}

// hostHeader is Route 53's Host header without a domain name: the IP
// address, with ":port" unless the port is the scheme's default.
func hostHeader(typ cloudmap.HealthCheckType, addr netip.AddrPort) string {
	if (typ == cloudmap.HealthCheckHTTP && addr.Port() == 80) ||
		(typ == cloudmap.HealthCheckHTTPS && addr.Port() == 443) {
		return addr.Addr().String()
	}
	return addr.String()
}

// requestTarget turns ResourcePath into an origin-form request target:
// default "/", a leading "/" added, and bytes that cannot appear in a
// request line percent-encoded.
func requestTarget(p string) string {
	if p == "" {
		return "/"
	}
	var b strings.Builder
	if p[0] != '/' {
		b.WriteByte('/')
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c <= ' ' || c >= 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

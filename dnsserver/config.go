package dnsserver

import (
	"log/slog"
	"net/netip"
	"time"
)

// Config configures a Server.
type Config struct {
	// Addr is the address for UDP and TCP, e.g. "127.0.0.1:8053". With port
	// 0 the UDP port is picked first and TCP binds the same port.
	Addr string
	// PrivateCIDRs are the client networks that see DNS_PRIVATE namespaces;
	// nil means DefaultPrivateCIDRs().
	PrivateCIDRs []netip.Prefix
	// VPCs are the client networks of declared VPCs (--vpc), by VPC ID: a
	// DNS_PRIVATE namespace created for a declared VPC answers only the
	// clients inside that VPC's networks; one created for an undeclared
	// VPC answers the clients in PrivateCIDRs.
	VPCs map[string][]netip.Prefix
	// RateLimit is the responses per second per client IP over UDP (a token
	// bucket with a burst of one second); 0 turns rate limiting off.
	RateLimit int
	// UDPSockets is the number of UDP sockets bound to Addr with
	// SO_REUSEPORT; 0 means one per CPU. Platforms without SO_REUSEPORT
	// always use one. Every socket is read by NumCPU/UDPSockets goroutines
	// (at least one).
	UDPSockets int
	// TCPMaxConnections and TCPMaxConnectionsPerClient cap the open DNS TCP
	// connections, in total and per client address; a connection over a
	// cap is closed when accepted. 0 means the defaults (1024 and 16).
	TCPMaxConnections          int
	TCPMaxConnectionsPerClient int
	// TCPIdleTimeout closes a TCP connection this long after its last
	// answer (messages too short to be a query do not extend it); 0 means
	// 8 s. TCPMaxQueries is the most messages one connection may send
	// (0 means 128).
	TCPIdleTimeout time.Duration
	TCPMaxQueries  int
	// NameServers are the hosts that serve the zones (--dns-nameservers):
	// every zone's apex NS records list their names, the SOA MNAME is the
	// first, and names inside a zone answer their addresses there (glue).
	// Empty: the synthetic DefaultNameServer. See CheckNameServers.
	NameServers []NameServer
	// Logger receives errors; nil discards them.
	Logger *slog.Logger
	// Observer is told about every answered and rate-limited query; nil
	// observes nothing (and costs nothing).
	Observer Observer
}

// Observer is told about the server's work (metrics). Its methods are
// called on the query path: they must be cheap and never block.
type Observer interface {
	// Query is one answered query: its type (0 when the message had no
	// question), the answer's rcode, whether it came over TCP, whether the
	// answer was truncated, and the time from reading the query to the
	// packed answer.
	Query(qtype uint16, rcode int, tcp, truncated bool, elapsed time.Duration)
	// RateLimited is a UDP query over its client's rate: slip when an empty
	// truncated reply was sent, false when it was dropped.
	RateLimited(slip bool)
}

// DefaultPrivateCIDRs returns the client networks that see private
// namespaces by default: loopback (127.0.0.0/8, ::1/128), the RFC 1918
// ranges (10/8, 172.16/12, 192.168/16), unique local IPv6 (fc00::/7) and
// link-local (169.254/16, fe80::/10), none of which is routable from the
// Internet. Carrier-grade NAT space (100.64/10) is not included.
func DefaultPrivateCIDRs() []netip.Prefix {
	return []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("fc00::/7"),
		netip.MustParsePrefix("169.254.0.0/16"),
		netip.MustParsePrefix("fe80::/10"),
	}
}

// withDefaults fills the zero limits with their defaults.
func (c Config) withDefaults() Config {
	if c.TCPMaxConnections <= 0 {
		c.TCPMaxConnections = DefaultTCPMaxConnections
	}
	if c.TCPMaxConnectionsPerClient <= 0 {
		c.TCPMaxConnectionsPerClient = DefaultTCPMaxConnectionsPerClient
	}
	if c.TCPIdleTimeout <= 0 {
		c.TCPIdleTimeout = DefaultTCPIdleTimeout
	}
	if c.TCPMaxQueries <= 0 {
		c.TCPMaxQueries = DefaultTCPMaxQueries
	}
	return c
}

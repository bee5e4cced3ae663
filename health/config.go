package health

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/cloudmap/cloudmap"
)

// Defaults of Config; the timeouts are Route 53's (see the package doc).
const (
	DefaultInterval          = 30 * time.Second
	DefaultConcurrency       = 256
	DefaultConnectTimeout    = 4 * time.Second
	DefaultResponseTimeout   = 2 * time.Second
	DefaultTCPConnectTimeout = 10 * time.Second
	DefaultDebounce          = 100 * time.Millisecond
	// DefaultFailureThreshold is Route 53's when FailureThreshold is absent.
	DefaultFailureThreshold = 3
)

// Config tunes a Checker. Zero fields take the defaults above.
type Config struct {
	// Interval is the time between two probes of one target (default 30s,
	// Route 53's standard interval).
	Interval time.Duration
	// Concurrency is the maximum number of probes in flight (default 256).
	// Targets whose last probe failed use at most half of it.
	Concurrency int
	// ConnectTimeout bounds the TCP connection of HTTP and HTTPS probes
	// (default 4s).
	ConnectTimeout time.Duration
	// ResponseTimeout bounds, from the moment the connection is up, the TLS
	// handshake, the request and the response status (default 2s).
	ResponseTimeout time.Duration
	// TCPConnectTimeout bounds the connection of TCP probes (default 10s).
	TCPConnectTimeout time.Duration
	// Debounce is the minimum time between two re-syncs of the targets
	// (default 100ms).
	Debounce time.Duration
	// Logger receives status changes and write errors (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Dial opens probe connections (default a net.Dialer). The address is
	// always the instance's registered IPv4 and port.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// Allow and Deny widen and narrow the addresses probes may reach (see
	// DefaultBlocked): the most specific matching prefix decides, and at
	// equal length Deny beats Allow, which beats the built-in list.
	Allow, Deny []netip.Prefix
	// LocalAddrs returns the server's own addresses, never probed unless
	// Allow names them (default: the addresses of the interfaces).
	LocalAddrs func() ([]netip.Addr, error)
	// Observe, when set, is told about every completed probe: the check
	// type, whether it passed and how long it took (metrics).
	Observe func(typ cloudmap.HealthCheckType, passed bool, elapsed time.Duration)
}

// withDefaults returns cfg with every zero field set to its default.
func (cfg Config) withDefaults() Config {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.ResponseTimeout <= 0 {
		cfg.ResponseTimeout = DefaultResponseTimeout
	}
	if cfg.TCPConnectTimeout <= 0 {
		cfg.TCPConnectTimeout = DefaultTCPConnectTimeout
	}
	if cfg.Debounce <= 0 {
		cfg.Debounce = DefaultDebounce
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Dial == nil {
		d := &net.Dialer{}
		cfg.Dial = d.DialContext
	}
	return cfg
}

// failingSlots is how many probes of failing targets may run at once.
func (cfg Config) failingSlots() int {
	return max(1, cfg.Concurrency/2)
}

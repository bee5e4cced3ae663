package embed

import (
	"testing"

	"github.com/cloudmap/cloudmap/dnsserver"
)

// TestDNSRateLimit_DefaultBeyondLoopback (finding 9): response rate
// limiting is on by default when DNS listens beyond loopback, off on
// loopback, and the flag's value (or -1 for off) wins.
func TestDNSRateLimit_DefaultBeyondLoopback(t *testing.T) {
	cases := []struct {
		addr string
		set  int
		want int
	}{
		{"127.0.0.1:8053", 0, 0},
		{"[::1]:53", 0, 0},
		{"localhost:53", 0, 0},
		{"0.0.0.0:53", 0, dnsserver.DefaultRateLimit},
		{":53", 0, dnsserver.DefaultRateLimit},
		{"10.0.0.5:53", 0, dnsserver.DefaultRateLimit},
		{"[2001:db8::1]:53", 0, dnsserver.DefaultRateLimit},
		{"0.0.0.0:53", 500, 500},
		{"127.0.0.1:53", 500, 500},
		{"0.0.0.0:53", -1, 0},
	}
	for _, c := range cases {
		if got := dnsRateLimit(Config{DNSAddr: c.addr, DNSRateLimit: c.set}); got != c.want {
			t.Errorf("DNS on %s with --dns-rate-limit %d: %d, want %d", c.addr, c.set, got, c.want)
		}
	}
}

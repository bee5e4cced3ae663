package health

import (
	"net/netip"
	"testing"

	"github.com/cloudmap/cloudmap"
)

func TestEndpointOf(t *testing.T) {
	hc := func(typ cloudmap.HealthCheckType, path string, n int32) cloudmap.HealthCheckConfig {
		return cloudmap.HealthCheckConfig{Type: typ, ResourcePath: path, FailureThreshold: n}
	}
	tests := []struct {
		name string
		in   cloudmap.HealthTarget
		want endpoint
		err  bool
	}{
		{"http default port and path", cloudmap.HealthTarget{Config: hc("HTTP", "", 0), IPv4: "10.0.0.1"},
			endpoint{typ: "HTTP", addr: netip.MustParseAddrPort("10.0.0.1:80"), path: "/", host: "10.0.0.1", threshold: 3}, false},
		{"https default port", cloudmap.HealthTarget{Config: hc("HTTPS", "/h", 2), IPv4: "10.0.0.1"},
			endpoint{typ: "HTTPS", addr: netip.MustParseAddrPort("10.0.0.1:443"), path: "/h", host: "10.0.0.1", threshold: 2}, false},
		{"http other port in host", cloudmap.HealthTarget{Config: hc("HTTP", "health", 10), IPv4: "10.0.0.1", Port: "8080"},
			endpoint{typ: "HTTP", addr: netip.MustParseAddrPort("10.0.0.1:8080"), path: "/health", host: "10.0.0.1:8080", threshold: 10}, false},
		{"https on 80 names the port", cloudmap.HealthTarget{Config: hc("HTTPS", "", 1), IPv4: "10.0.0.1", Port: "80"},
			endpoint{typ: "HTTPS", addr: netip.MustParseAddrPort("10.0.0.1:80"), path: "/", host: "10.0.0.1:80", threshold: 1}, false},
		{"tcp", cloudmap.HealthTarget{Config: hc("TCP", "", 11), IPv4: "10.0.0.1", Port: "22"},
			endpoint{typ: "TCP", addr: netip.MustParseAddrPort("10.0.0.1:22"), threshold: 10}, false},
		{"tcp needs a port", cloudmap.HealthTarget{Config: hc("TCP", "", 1), IPv4: "10.0.0.1"}, endpoint{}, true},
		{"no ipv4", cloudmap.HealthTarget{Config: hc("HTTP", "", 1), Port: "80"}, endpoint{}, true},
		{"ipv6 is not probed", cloudmap.HealthTarget{Config: hc("HTTP", "", 1), IPv4: "::1", Port: "80"}, endpoint{}, true},
		{"host name is not probed", cloudmap.HealthTarget{Config: hc("HTTP", "", 1), IPv4: "example.com", Port: "80"}, endpoint{}, true},
		{"port zero", cloudmap.HealthTarget{Config: hc("HTTP", "", 1), IPv4: "10.0.0.1", Port: "0"}, endpoint{}, true},
		{"port too big", cloudmap.HealthTarget{Config: hc("HTTP", "", 1), IPv4: "10.0.0.1", Port: "65536"}, endpoint{}, true},
		{"unknown type", cloudmap.HealthTarget{Config: hc("UDP", "", 1), IPv4: "10.0.0.1", Port: "53"}, endpoint{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := endpointOf(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			got.request = "" // checked through a real server in checker_test.go
			if !tt.err && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRequestTarget(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "/"},
		{"/", "/"},
		{"/a/b?c=d", "/a/b?c=d"},
		{"x", "/x"},
		{"/a b", "/a%20b"},
		{"/a\r\nHost: evil", "/a%0D%0AHost:%20evil"},
		{"/é", "/%C3%A9"},
		// DEL (0x7f) is a control byte too; '~' (0x7e), the last printable
		// one, stays as it is.
		{"/a\x7fb~", "/a%7Fb~"},
	}
	for _, tt := range tests {
		if got := requestTarget(tt.in); got != tt.want {
			t.Errorf("requestTarget(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestState_Observe(t *testing.T) {
	const H, U, X = cloudmap.Healthy, cloudmap.Unhealthy, cloudmap.Unknown
	tests := []struct {
		name      string
		start     cloudmap.HealthStatus
		threshold int
		results   string // p = pass, f = fail
		want      []cloudmap.HealthStatus
	}{
		{"healthy stays", H, 3, "pppp", []cloudmap.HealthStatus{H, H, H, H}},
		{"flips after three fails", H, 3, "fff", []cloudmap.HealthStatus{H, H, U}},
		{"a pass resets the run", H, 3, "ffpfff", []cloudmap.HealthStatus{H, H, H, H, H, U}},
		{"back after three passes", U, 3, "ppfppp", []cloudmap.HealthStatus{U, U, U, U, U, H}},
		{"threshold one", H, 1, "fpf", []cloudmap.HealthStatus{U, H, U}},
		{"unknown decided by threshold passes", X, 2, "pp", []cloudmap.HealthStatus{X, H}},
		{"unknown decided by threshold fails", X, 2, "ff", []cloudmap.HealthStatus{X, U}},
		{"unknown alternating stays", X, 2, "pfpf", []cloudmap.HealthStatus{X, X, X, X}},
		{"empty counts as unknown", "", 1, "f", []cloudmap.HealthStatus{U}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := state{status: tt.start}
			var got []cloudmap.HealthStatus
			for _, r := range tt.results {
				if st, flip := s.observe(r == 'p', tt.threshold); flip {
					s.set(st)
				}
				got = append(got, s.status)
			}
			for i := range tt.want {
				if got[i] != tt.want[i] {
					t.Fatalf("statuses = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

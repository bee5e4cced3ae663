package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestParseServeFlags_DNSNameServers(t *testing.T) {
	cfg, err := parseServeFlags(nil, env(map[string]string{
		"CLOUDMAP_DNS_NAMESERVERS": "ns1.example.com=192.0.2.53,ns1.example.com=2001:db8::53,ns2.example.net=198.51.100.2",
	}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(cfg.DNSNameServers), "[{ns1.example.com. 192.0.2.53} {ns1.example.com. 2001:db8::53} {ns2.example.net. 198.51.100.2}]"; got != want {
		t.Errorf("DNSNameServers = %s, want %s", got, want)
	}
	// A list that does not parse refuses to start, naming the entry.
	logs := &lockedBuffer{}
	code := run([]string{"serve", "--api-addr", "127.0.0.1:0", "--dns-addr", "127.0.0.1:0", "--data-dir", t.TempDir(),
		"--dns-nameservers", "ns1.example.com=192.0.2.53,ns2.example.com=300.1.1.1"}, env(nil), logs, logs, make(chan os.Signal))
	if code == 0 || !strings.Contains(logs.String(), "dns-nameservers") || !strings.Contains(logs.String(), `entry "ns2.example.com=300.1.1.1"`) ||
		!strings.Contains(logs.String(), "not an IPv4 or IPv6 address") {
		t.Errorf("code %d, logs %s; want a refusal naming the entry and the rule", code, logs.String())
	}
}

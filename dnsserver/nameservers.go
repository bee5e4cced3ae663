package dnsserver

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// MaxNameServers is the most distinct host names Config.NameServers may
// hold: the 13 of the root zone, whose NS answer fits a 512-byte reply.
const MaxNameServers = 13

// NameServer is one address of a host that serves cloudmap's zones, as
// given by --dns-nameservers NAME=IP. A host with an IPv4 and an IPv6
// address is two entries with the same Name.
type NameServer struct {
	// Name is the host name, fully qualified and in lower case.
	Name string
	// Addr is an IPv4 or IPv6 address of the host.
	Addr netip.Addr
}

// ParseNameServers parses NAME=IP[,NAME=IP...]. Names are fully qualified
// and lower-cased; IPv4-mapped IPv6 addresses become IPv4. An empty string
// is no name servers. Errors name the entry that does not parse.
func ParseNameServers(s string) ([]NameServer, error) {
	var out []NameServer
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		name, ip, ok := strings.Cut(entry, "=")
		if !ok {
			return nil, fmt.Errorf("entry %q is not NAME=IP", entry)
		}
		addr, err := netip.ParseAddr(strings.TrimSpace(ip))
		if err != nil || addr.Zone() != "" {
			return nil, fmt.Errorf("entry %q: %q is not an IPv4 or IPv6 address", entry, strings.TrimSpace(ip))
		}
		out = append(out, NameServer{Name: dns.CanonicalName(strings.TrimSpace(name)), Addr: addr.Unmap()})
		if err := CheckNameServers(out); err != nil {
			return nil, fmt.Errorf("entry %q: %w", entry, err)
		}
	}
	return out, nil
}

// CheckNameServers reports the first entry that cannot be served: a name
// that is not a host name of at least two labels, an invalid or
// unspecified address, a repeated pair, or more than MaxNameServers names.
func CheckNameServers(list []NameServer) error {
	names := map[string]bool{}
	for i, ns := range list {
		if !hostName(ns.Name) {
			return fmt.Errorf("name server %q is not a host name (labels of letters, digits and '-', at least two)", ns.Name)
		}
		if !ns.Addr.IsValid() || ns.Addr.IsUnspecified() || ns.Addr.Zone() != "" {
			return fmt.Errorf("name server %s: address %v is not a usable IPv4 or IPv6 address", ns.Name, ns.Addr)
		}
		for _, prev := range list[:i] {
			if prev == ns {
				return fmt.Errorf("name server %s=%s is listed twice", ns.Name, ns.Addr)
			}
		}
		if names[ns.Name] = true; len(names) > MaxNameServers {
			return fmt.Errorf("more than %d name server names", MaxNameServers)
		}
	}
	return nil
}

// hostName reports whether name (fully qualified, lower case) is a host
// name of at least two labels (RFC 1123): letters, digits and hyphens, no
// label starting or ending with a hyphen, at most 253 bytes.
func hostName(name string) bool {
	if len(name) < 4 || len(name) > 254 || name[len(name)-1] != '.' || name != dns.CanonicalName(name) {
		return false
	}
	labels := strings.Split(name[:len(name)-1], ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// nsNames returns the distinct host names of list in order of first
// appearance, or the synthetic DefaultNameServer when list is empty.
func nsNames(list []NameServer) []string {
	if len(list) == 0 {
		return []string{DefaultNameServer}
	}
	var names []string
	for _, ns := range list {
		if !containsString(names, ns.Name) {
			names = append(names, ns.Name)
		}
	}
	return names
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// hostAddrs returns the addresses of the name server host name (lower
// case, fully qualified), in configuration order.
func hostAddrs(servers []NameServer, name string) []netip.Addr {
	var out []netip.Addr
	for _, ns := range servers {
		if ns.Name == name {
			out = append(out, ns.Addr)
		}
	}
	return out
}

// inZone reports whether name (lower case, fully qualified) is apex or
// below it, compared case-insensitively.
func inZone(name, apex string) bool {
	return dns.IsSubDomain(apex, name)
}

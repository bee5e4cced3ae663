package health

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Probing is an outbound request to an address a caller chose (whoever may
// register an instance into a checked service), and its result is visible
// in the health status. So by default probes never reach loopback,
// link-local (169.254.169.254 is the cloud metadata endpoint), multicast,
// broadcast or unspecified addresses, nor the server's own addresses:
// such targets fail without a packet sent. Private ranges stay allowed,
// since checking private services is what self-hosted users run health
// checks for. Config.Allow and Config.Deny widen and narrow this.

// DefaultBlocked is the built-in list of networks never probed unless
// Config.Allow names them; the server's own addresses are added to it.
func DefaultBlocked() []netip.Prefix {
	return []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),          // unspecified, "this network"
		netip.MustParsePrefix("127.0.0.0/8"),        // loopback
		netip.MustParsePrefix("169.254.0.0/16"),     // link-local, cloud metadata
		netip.MustParsePrefix("224.0.0.0/4"),        // multicast
		netip.MustParsePrefix("255.255.255.255/32"), // broadcast
		netip.MustParsePrefix("::/128"),             // unspecified
		netip.MustParsePrefix("::1/128"),            // loopback
		netip.MustParsePrefix("fe80::/10"),          // link-local
		netip.MustParsePrefix("ff00::/8"),           // multicast
	}
}

// localAddrsTTL is how long the server's own addresses are cached.
const localAddrsTTL = time.Minute

// rule levels: at equal prefix length the operator's deny beats the
// operator's allow, which beats the built-in list.
const (
	levelBuiltin = iota
	levelAllow
	levelDeny
)

type rule struct {
	prefix netip.Prefix
	level  int
}

// policy decides which addresses probes may reach: the most specific
// matching prefix of the built-in list (plus the server's own addresses),
// Config.Allow and Config.Deny decides; an address no prefix matches is
// allowed.
type policy struct {
	static []rule
	local  func() ([]netip.Addr, error)
	now    func() time.Time

	mu      sync.Mutex
	own     []netip.Addr
	ownTime time.Time
}

func newPolicy(cfg Config) *policy {
	p := &policy{local: cfg.LocalAddrs, now: cfg.Now}
	for _, pr := range DefaultBlocked() {
		p.static = append(p.static, rule{pr, levelBuiltin})
	}
	for _, pr := range cfg.Allow {
		p.static = append(p.static, rule{pr.Masked(), levelAllow})
	}
	for _, pr := range cfg.Deny {
		p.static = append(p.static, rule{pr.Masked(), levelDeny})
	}
	if p.local == nil {
		p.local = interfaceAddrs
	}
	return p
}

// errBlocked is the failure of a probe the policy refused.
var errBlocked = errors.New("address not allowed for health checks")

// check returns nil when addr may be probed, or why not.
func (p *policy) check(addr netip.Addr) error {
	addr = addr.Unmap()
	best, level := -1, -1
	consider := func(r rule) {
		if !r.prefix.Contains(addr) {
			return
		}
		if bits := r.prefix.Bits(); bits > best || bits == best && r.level > level {
			best, level = bits, r.level
		}
	}
	for _, r := range p.static {
		consider(r)
	}
	for _, a := range p.ownAddrs() {
		consider(rule{netip.PrefixFrom(a, a.BitLen()), levelBuiltin})
	}
	if best < 0 || level == levelAllow {
		return nil
	}
	return fmt.Errorf("%w: %s (loopback, link-local, multicast, unspecified and the server's own addresses are "+
		"refused by default; see --health-check-allow and --health-check-deny)", errBlocked, addr)
}

// ownAddrs returns the server's own addresses, cached for a minute.
func (p *policy) ownAddrs() []netip.Addr {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := p.now(); p.ownTime.IsZero() || now.Sub(p.ownTime) > localAddrsTTL {
		if own, err := p.local(); err == nil {
			p.own = own
		}
		p.ownTime = now
	}
	return p.own
}

// interfaceAddrs lists the addresses of the machine's interfaces, but for
// loopback ones, which the built-in list covers as a whole (so that
// allowing 127.0.0.0/8 allows them).
func interfaceAddrs() ([]netip.Addr, error) {
	as, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, a := range as {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && !ip.Unmap().IsLoopback() {
				out = append(out, ip.Unmap())
			}
		}
	}
	return out, nil
}

package health

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

// TestPolicy_DenyEverything: a Deny of the whole address space (a /0
// prefix, the least specific rule there is) still decides: every address
// Allow does not name is refused.
func TestPolicy_DenyEverything(t *testing.T) {
	p := newPolicy(Config{
		Deny:       []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")},
		Allow:      []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
		Now:        time.Now,
		LocalAddrs: func() ([]netip.Addr, error) { return nil, nil },
	})
	if err := p.check(netip.MustParseAddr("203.0.113.7")); !errors.Is(err, errBlocked) {
		t.Errorf("check(203.0.113.7) under Deny 0.0.0.0/0 = %v, want errBlocked", err)
	}
	if err := p.check(netip.MustParseAddr("10.1.2.3")); err != nil {
		t.Errorf("check(10.1.2.3) allowed by 10.1.0.0/16 = %v, want nil", err)
	}
}

// TestPolicy_OwnAddressesCachedForAMinute: the server's own addresses are
// read once and kept for localAddrsTTL (a minute, inclusive); the first
// check after that reads them again, and a failed read keeps the last list.
func TestPolicy_OwnAddressesCachedForAMinute(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	own := netip.MustParseAddr("10.9.9.9")
	later := netip.MustParseAddr("10.8.8.8")
	reads := 0
	var readErr error
	p := newPolicy(Config{
		Now: func() time.Time { return now },
		LocalAddrs: func() ([]netip.Addr, error) {
			reads++
			if readErr != nil {
				return nil, readErr
			}
			if reads == 1 {
				return []netip.Addr{own}, nil
			}
			return []netip.Addr{later}, nil
		},
	})
	blocked := func(a netip.Addr) bool { return errors.Is(p.check(a), errBlocked) }
	steps := []struct {
		at         time.Duration
		reads      int
		own, later bool // blocked
	}{
		{0, 1, true, false},
		{30 * time.Second, 1, true, false},
		{localAddrsTTL, 1, true, false}, // still fresh at exactly a minute
		{localAddrsTTL + time.Nanosecond, 2, false, true},
		{2*localAddrsTTL + time.Nanosecond, 2, false, true},
	}
	for _, s := range steps {
		now = t0.Add(s.at)
		o, l := blocked(own), blocked(later)
		if reads != s.reads || o != s.own || l != s.later {
			t.Fatalf("at +%v: %d reads, %v blocked %v, %v blocked %v; want %d reads, %v, %v",
				s.at, reads, own, o, later, l, s.reads, s.own, s.later)
		}
	}
	readErr = errors.New("no interfaces")
	now = t0.Add(3*localAddrsTTL + 2*time.Nanosecond)
	if !blocked(later) || reads != 3 {
		t.Errorf("after a failed read (%d reads): %v blocked %v, want the last list kept", reads, later, blocked(later))
	}
}

// TestPolicy_DefaultOwnAddresses: without Config.LocalAddrs the server's
// own addresses are those of its interfaces: each non-loopback one is
// refused even under an Allow of everything (the own address is the more
// specific rule), while loopback ones are left to the built-in list, so
// that Allow 127.0.0.0/8 opens them.
func TestPolicy_DefaultOwnAddresses(t *testing.T) {
	as, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	p := newPolicy(Config{
		Now:   time.Now,
		Allow: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0"), netip.MustParsePrefix("127.0.0.0/8")},
	})
	var own []netip.Addr
	for _, a := range as {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && !ip.Unmap().IsLoopback() {
				own = append(own, ip.Unmap())
			}
		}
	}
	t.Logf("the machine's non-loopback addresses: %v", own)
	for _, a := range own {
		if err := p.check(a); !errors.Is(err, errBlocked) {
			t.Errorf("check(own address %v) = %v, want errBlocked", a, err)
		}
	}
	if err := p.check(netip.MustParseAddr("127.0.0.1")); err != nil {
		t.Errorf("check(127.0.0.1) under Allow 127.0.0.0/8 = %v, want nil", err)
	}
}

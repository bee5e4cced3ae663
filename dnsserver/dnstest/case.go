package dnstest

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// RR parses one resource record in zone-file form
// ("web.example.local. 60 IN A 10.0.0.1"), CoreDNS style; it panics on a
// malformed test record.
func RR(s string) dns.RR {
	r, err := dns.NewRR(s)
	if err != nil {
		panic(fmt.Sprintf("dnstest: bad test RR %q: %v", s, err))
	}
	return r
}

// RRs parses each string with RR.
func RRs(ss ...string) []dns.RR {
	out := make([]dns.RR, len(ss))
	for i, s := range ss {
		out[i] = RR(s)
	}
	return out
}

// Strings renders records as sorted one-line strings with single spaces,
// leaving out OPT pseudo-records.
func Strings(rrs []dns.RR) []string {
	out := make([]string, 0, len(rrs))
	for _, r := range rrs {
		if r.Header().Rrtype == dns.TypeOPT {
			continue
		}
		out = append(out, strings.Join(strings.Fields(r.String()), " "))
	}
	sort.Strings(out)
	return out
}

// Case is one question and the whole expected reply: rcode, AA flag, and
// the answer and authority sections (compared as sorted Strings).
type Case struct {
	Qname  string
	Qtype  uint16
	Client netip.Addr // the asking client, for tests that pass one; zero means the test's default
	Rcode  int
	AA     bool
	Answer []dns.RR
	Ns     []dns.RR
}

// Name labels the case in t.Run: "qname/TYPE".
func (c Case) Name() string { return c.Qname + "/" + dns.TypeToString[c.Qtype] }

// Query returns the question of the case as stub resolvers send it (RD
// set), with a fixed ID.
func (c Case) Query() *dns.Msg {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(c.Qname), c.Qtype)
	q.Id = 4242
	return q
}

// Check compares reply r to the case, and checks the header invariants of
// every reply to q (CheckHeader).
func (c Case) Check(t testing.TB, q, r *dns.Msg) {
	t.Helper()
	if r == nil {
		t.Fatal("no reply")
	}
	if got, want := r.Rcode, c.Rcode; got != want {
		t.Errorf("rcode = %s, want %s", dns.RcodeToString[got], dns.RcodeToString[want])
	}
	if got, want := r.Authoritative, c.AA; got != want {
		t.Errorf("AA = %v, want %v", got, want)
	}
	CheckHeader(t, q, r)
	if got, want := fmt.Sprint(Strings(r.Answer)), fmt.Sprint(Strings(c.Answer)); got != want {
		t.Errorf("answer:\n got %s\nwant %s", got, want)
	}
	if got, want := fmt.Sprint(Strings(r.Ns)), fmt.Sprint(Strings(c.Ns)); got != want {
		t.Errorf("authority:\n got %s\nwant %s", got, want)
	}
}

// CheckHeader checks what holds for every reply of an authoritative-only
// server: the query's ID and question, QR set, RD copied, RA never set
// (RFC 1035 4.1.1; the server never recurses).
func CheckHeader(t testing.TB, q, r *dns.Msg) {
	t.Helper()
	if r.Id != q.Id || !r.Response || r.RecursionAvailable || r.RecursionDesired != q.RecursionDesired {
		t.Errorf("header: id %d qr %v ra %v rd %v; query id %d rd %v", r.Id, r.Response,
			r.RecursionAvailable, r.RecursionDesired, q.Id, q.RecursionDesired)
	}
	if len(r.Question) != 1 || len(q.Question) != 1 || r.Question[0] != q.Question[0] {
		t.Errorf("question = %v, want %v", r.Question, q.Question)
	}
}

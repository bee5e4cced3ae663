package awsapi

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// TestTranslatedPatterns_MatchRegexp compares each hand-written check with
// the model pattern as Go can run it: the pattern itself when it compiles,
// otherwise a rewrite with the lookaround and long repetitions spelled out
// as separate checks.
func TestTranslatedPatterns_MatchRegexp(t *testing.T) {
	labels := regexp.MustCompile(`^([a-zA-Z0-9_][a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9])(\.([a-zA-Z0-9_][a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9]))*$`)
	printable := regexp.MustCompile(`^[!-~]+$`)
	reference := map[string]func(string) bool{
		patNamespaceNameHTTP: func(s string) bool {
			return len(s) <= 1024 && printable.MatchString(s) && !(len(s) >= 4 && s[:4] == "arn:")
		},
		patNamespaceNamePrivate: func(s string) bool {
			return len(s) <= 253 && printable.MatchString(s) && !(len(s) >= 4 && s[:4] == "arn:")
		},
		patNamespaceName: func(s string) bool { return len(s) <= 1024 && printable.MatchString(s) },
		patServiceName: func(s string) bool {
			n := len([]rune(s))
			return s == "." || (n >= 1 && n <= 127 && labels.MatchString(s))
		},
		patAttrKey:   regexp.MustCompile(patAttrKey).MatchString,
		patAttrValue: regexp.MustCompile(patAttrValue).MatchString,
	}
	if len(reference) != len(translatedPatterns) {
		t.Fatalf("%d translations, %d references", len(translatedPatterns), len(reference))
	}
	// The ends of every character range the patterns use, and the
	// characters just outside them.
	alphabet := []byte("azAZ09`{@[/_-.: \t\n~!\x7fé")
	rng := rand.New(rand.NewPCG(1, 2))
	fixed := []string{"", ".", "..", "a", "_", "-", "arn:", "arn:x", "xarn:", "a.b", "a.", ".a", "_a_", "a-", "-a",
		"a\n", " a", "a ", "a\tb", "\t"}
	for p, check := range translatedPatterns {
		ref := reference[p]
		cases := append([]string(nil), fixed...)
		for range 20000 {
			n := rng.IntN(12)
			if rng.IntN(50) == 0 {
				n = 60 + rng.IntN(1000)
			}
			b := make([]byte, 0, n)
			for range n {
				b = append(b, alphabet[rng.IntN(len(alphabet))])
			}
			cases = append(cases, string(b))
		}
		for _, s := range cases {
			if got, want := check([]byte(s)), ref(s); got != want {
				t.Errorf("pattern %s on %q: got %v, want %v", p, s, got, want)
			}
		}
	}
}

package awsapi

import (
	"bytes"
	"fmt"
	"regexp"
	"unicode/utf8"
)

// The model's patterns are Java regular expressions. Go's RE2 has no
// lookaround and caps repetition counts at 1000, so the patterns below are
// translated into equivalent Go checks. Every other model pattern compiles
// as written; a pattern that does neither is a startup error.
const (
	// patNamespaceNameHTTP (NamespaceNameHttp): not starting with "arn:",
	// 1 to 1024 printable ASCII characters.
	patNamespaceNameHTTP = `^(?!arn:)[!-~]{1,1024}$`
	// patNamespaceNamePrivate (NamespaceNamePrivate): as above, 1 to 253.
	patNamespaceNamePrivate = `^(?!arn:)[!-~]{1,253}$`
	// patNamespaceName (NamespaceName): 1 to 1024 printable ASCII
	// characters; the repetition count is over RE2's limit.
	patNamespaceName = `^[!-~]{1,1024}$`
	// patServiceName (ServiceName): either "." alone, or 1 to 127
	// characters of dot-separated DNS-style labels.
	patServiceName = `((?=^.{1,127}$)^([a-zA-Z0-9_][a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9])(\.([a-zA-Z0-9_][a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9]))*$)|(^\.$)`
)

// serviceLabels is the part of patServiceName after the length lookahead.
var serviceLabels = regexp.MustCompile(`^([a-zA-Z0-9_][a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9])(\.([a-zA-Z0-9_][a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9]))*$`)

// translatedPatterns maps each model pattern Go cannot compile to its check.
var translatedPatterns = map[string]func([]byte) bool{
	patNamespaceNameHTTP:    notARN(printableASCII(1, 1024)),
	patNamespaceNamePrivate: notARN(printableASCII(1, 253)),
	patNamespaceName:        printableASCII(1, 1024),
	patServiceName:          serviceName,
}

// compilePattern returns the check for a model pattern.
func compilePattern(p string) (func([]byte) bool, error) {
	if f, ok := translatedPatterns[p]; ok {
		return f, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("pattern %q has no Go translation: %w", p, err)
	}
	return regexpMatcher(re), nil
}

// printableASCII matches min to max characters in '!'..'~' (`^[!-~]{min,max}$`).
func printableASCII(min, max int) func([]byte) bool {
	return func(b []byte) bool {
		if len(b) < min || len(b) > max {
			return false
		}
		for _, c := range b {
			if c < '!' || c > '~' {
				return false
			}
		}
		return true
	}
}

// notARN adds the negative lookahead `(?!arn:)` at the start of the text.
func notARN(f func([]byte) bool) func([]byte) bool {
	return func(b []byte) bool { return !bytes.HasPrefix(b, []byte("arn:")) && f(b) }
}

// serviceName is patServiceName: the lookahead `(?=^.{1,127}$)` is a length
// check of 1 to 127 characters other than a line terminator; the labels
// regexp admits no line terminator, so the rune count suffices.
func serviceName(b []byte) bool {
	if len(b) == 1 && b[0] == '.' {
		return true
	}
	n := utf8.RuneCount(b)
	return n >= 1 && n <= 127 && serviceLabels.Match(b)
}

package awsapi

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
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

// Two patterns Go compiles are also hand-written, because DiscoverInstances
// checks them on every call; a test compares them with the regexps.
const (
	// patAttrKey (AttrKey): one or more printable ASCII characters.
	patAttrKey = `^[a-zA-Z0-9!-~]+$`
	// patAttrValue (AttrValue): empty, or a printable ASCII character
	// followed by printable ASCII, spaces and tabs.
	patAttrValue = `^([a-zA-Z0-9!-~][ \ta-zA-Z0-9!-~]*){0,1}[a-zA-Z0-9!-~]{0,1}$`
)

// translatedPatterns maps each model pattern Go cannot compile, and the two
// hot ones, to its check.
var translatedPatterns = map[string]func([]byte) bool{
	patNamespaceNameHTTP:    notARN(printableASCII(1, 1024)),
	patNamespaceNamePrivate: notARN(printableASCII(1, 253)),
	patNamespaceName:        printableASCII(1, 1024),
	patServiceName:          serviceName,
	patAttrKey:              printableASCII(1, math.MaxInt),
	patAttrValue:            attrValue,
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
// admit no line terminator, so the byte count suffices (labels are ASCII).
func serviceName(b []byte) bool {
	if len(b) == 1 && b[0] == '.' {
		return true
	}
	if len(b) < 1 || len(b) > 127 {
		return false
	}
	for len(b) > 0 {
		i := bytes.IndexByte(b, '.')
		if i < 0 {
			return serviceLabel(b)
		}
		if !serviceLabel(b[:i]) {
			return false
		}
		b = b[i+1:]
		if len(b) == 0 {
			return false // a trailing dot
		}
	}
	return true
}

// serviceLabel is `[a-zA-Z0-9_][a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9]`.
func serviceLabel(l []byte) bool {
	switch {
	case len(l) == 1:
		return isAlnum(l[0])
	case len(l) < 2 || len(l) > 63:
		return false
	}
	if !isAlnum(l[0]) && l[0] != '_' || !isAlnum(l[len(l)-1]) && l[len(l)-1] != '_' {
		return false
	}
	for _, c := range l[1 : len(l)-1] {
		if !isAlnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// attrValue is patAttrValue.
func attrValue(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	if b[0] < '!' || b[0] > '~' {
		return false
	}
	for _, c := range b[1:] {
		if (c < '!' || c > '~') && c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

package auth

import (
	"fmt"
	"strings"

	"github.com/cloudmap/cloudmap"
)

// actionPrefix is the IAM service prefix of every Cloud Map action.
const actionPrefix = "servicediscovery:"

// Key is one credential with its scope.
//
// AllowedActions are IAM-style action patterns ("servicediscovery:Discover*",
// "servicediscovery:Get*", "*"), matched case-insensitively with "*"
// standing for any run of characters; an empty list allows every action.
// AllowedNamespaces are namespace names, IDs or ARNs; an empty list (or one
// holding "*") allows every namespace. Name is the key's label in logs and
// AccessDenied messages (the credentials file's section name); it is never
// the secret.
type Key struct {
	AccessKeyID       string
	SecretAccessKey   string
	AllowedActions    []string
	AllowedNamespaces []string
	Name              string
	// AccountID is the account of the key's requests (account_id in the
	// credentials file); "" means the server's --account-id. Its scope
	// (AllowedNamespaces) applies inside that account.
	AccountID string
}

// label returns the name a message uses for k.
func (k *Key) label() string {
	if k.Name != "" {
		return k.Name
	}
	return k.AccessKeyID
}

// ValidateActionPattern reports whether p is a usable action pattern: "*",
// "servicediscovery:" followed by a pattern that matches at least one
// Cloud Map operation (cloudmap.OperationNames), so that a typo such as
// "servicediscovery:Discovr*" is an error and not a silent denial, or
// "route53:" followed by one that matches a Route 53 operation cloudmap
// serves.
func ValidateActionPattern(p string) error {
	if p == "*" {
		return nil
	}
	if lp := strings.ToLower(p); strings.HasPrefix(lp, route53Prefix) {
		if validRoute53Pattern(lp) {
			return nil
		}
		return fmt.Errorf("action pattern %q matches no Route 53 operation cloudmap serves (%s)", p, strings.Join(route53Operations, ", "))
	}
	if !strings.HasPrefix(strings.ToLower(p), actionPrefix) {
		return fmt.Errorf("action pattern %q must start with %q or %q, or be \"*\"", p, actionPrefix, route53Prefix)
	}
	for _, op := range cloudmap.OperationNames() {
		if matchPattern(strings.ToLower(p), strings.ToLower(actionPrefix+op)) {
			return nil
		}
	}
	return fmt.Errorf("action pattern %q matches no Cloud Map operation", p)
}

// matchPattern reports whether s matches the glob p, where "*" matches any
// run of characters (also none) and every other byte matches itself. Both
// are expected in lower case. It runs in O(len(p)*len(s)) at worst.
func matchPattern(p, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && p[pi] == s[si]:
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

package cloudmap

import (
	"context"
	"strings"
)

// Cell is one (account, region) pair: the unit of isolation. Every request
// resolves its cell before it reaches the registry (region from the SigV4
// credential scope, account from the access key); a cell has its own
// namespaces, services, instances, operations, tags, idempotency records
// and quotas, and an ID or ARN of another cell is not found in it.
//
// The server's default cell (--account-id, --region) keeps the key layout
// of a single-cell server: its records live at the keys of keys.go. Every
// other cell's records live at the same keys under its KeyPrefix.
type Cell struct {
	Account string // 12 digits
	Region  string // e.g. eu-west-1
}

// CellKeyPrefix is the key prefix under which the cells other than the
// default one keep their records: cell/<account>/<region>/<key>.
const CellKeyPrefix = "cell/"

// KeyPrefix returns the prefix of c's keys when c is not the default cell.
func (c Cell) KeyPrefix() string {
	return CellKeyPrefix + c.Account + "/" + c.Region + "/"
}

// String returns "account/region".
func (c Cell) String() string { return c.Account + "/" + c.Region }

// SplitCellKey splits a store key into the key prefix of its cell ("" for
// the default cell) and the key inside the cell. ok is false for a key
// under CellKeyPrefix that names no valid cell.
func SplitCellKey(key string) (prefix, rest string, ok bool) {
	if !strings.HasPrefix(key, CellKeyPrefix) {
		return "", key, true
	}
	_, n, ok := parseCellPrefix(key)
	if !ok {
		return "", key, false
	}
	return key[:n], key[n:], true
}

// CellOfPrefix returns the cell of a key prefix SplitCellKey returned
// (false for "", the default cell).
func CellOfPrefix(prefix string) (Cell, bool) {
	if prefix == "" {
		return Cell{}, false
	}
	c, n, ok := parseCellPrefix(prefix)
	return c, ok && n == len(prefix)
}

// parseCellPrefix parses "cell/<account>/<region>/" at the start of key and
// returns the cell and the prefix length.
func parseCellPrefix(key string) (Cell, int, bool) {
	rest := key[len(CellKeyPrefix):]
	acct, after, ok := strings.Cut(rest, "/")
	if !ok || !ValidAccountID(acct) {
		return Cell{}, 0, false
	}
	region, _, ok := strings.Cut(after, "/")
	if !ok || !ValidRegion(region) {
		return Cell{}, 0, false
	}
	return Cell{Account: acct, Region: region}, len(CellKeyPrefix) + len(acct) + 1 + len(region) + 1, true
}

// ValidAccountID reports whether s is an AWS account ID: 12 digits.
func ValidAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidRegion reports whether s is shaped like an AWS region name: two to
// four lower-case letters, one to three more lower-case words, and a
// number of one or two digits, each joined by "-" (us-east-1,
// us-gov-west-1, eu-central-2, us-isob-east-1, cn-north-1).
func ValidRegion(s string) bool {
	if len(s) > 32 {
		return false
	}
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts) > 5 {
		return false
	}
	if !lowerWord(parts[0], 2, 4) {
		return false
	}
	for _, p := range parts[1 : len(parts)-1] {
		if !lowerWord(p, 1, 16) {
			return false
		}
	}
	num := parts[len(parts)-1]
	if len(num) < 1 || len(num) > 2 {
		return false
	}
	for i := 0; i < len(num); i++ {
		if num[i] < '0' || num[i] > '9' {
			return false
		}
	}
	return true
}

func lowerWord(s string, lo, hi int) bool {
	if len(s) < lo || len(s) > hi {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

type cellKey struct{}

// WithCell returns ctx carrying the request's cell. The resolver (the
// authorizer at the API edge) attaches a cell only when it is not the
// server's default cell: a context without one is served by the default
// cell, so internal callers and single-cell servers pay nothing.
func WithCell(ctx context.Context, c Cell) context.Context {
	return context.WithValue(ctx, cellKey{}, c)
}

// CellFrom returns the cell ctx carries; ok is false for the default cell.
func CellFrom(ctx context.Context) (c Cell, ok bool) {
	c, ok = ctx.Value(cellKey{}).(Cell)
	return c, ok
}

// CellOfARN returns the cell named by a Cloud Map ARN
// (arn:aws:servicediscovery:<region>:<account>:...); ok is false when it
// names none.
func CellOfARN(arn string) (c Cell, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || !ValidAccountID(parts[4]) || !ValidRegion(parts[3]) {
		return Cell{}, false
	}
	return Cell{Account: parts[4], Region: parts[3]}, true
}

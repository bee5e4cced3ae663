// Package auth authenticates and authorizes Cloud Map API requests: AWS
// Signature Version 4 verification against a set of access keys, per-key
// action and namespace scopes, per-key (or per-client) rate limits, and the
// TLS certificate reloader of the API listener.
//
// The HTTP handler calls Authorizer.Authorize after it has read (at most
// 1 MiB of) the body and decoded the input, before anything touches the
// store. Every rejection is a *cloudmap.Error with an AWS error code.
package auth

import (
	"context"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudmap/cloudmap"
)

// Resolver finds the namespace a request touches. The view implements it.
type Resolver interface {
	// NamespaceOfService returns the namespace of a service by service ID.
	NamespaceOfService(serviceID string) (*cloudmap.Namespace, bool)
	// Namespace returns a namespace by ID.
	Namespace(id string) (*cloudmap.Namespace, bool)
	// ZonesNamed returns the DNS namespaces with exactly this name, and
	// ZonesBelow those whose name lies below it (case-insensitively).
	ZonesNamed(name string) []*cloudmap.Namespace
	ZonesBelow(name string) []*cloudmap.Namespace
}

// Config configures an Authorizer.
type Config struct {
	// Region is the region of requests without a credential scope: with
	// AccountID, the default cell (see cell.go).
	Region string
	// AccountID is the account of keys without one and of unsigned
	// requests.
	AccountID string
	// Regions are the regions a credential scope may name; empty means any
	// well-formed region.
	Regions []string
	// Service is the signing name; "servicediscovery" when empty.
	Service string
	// Keys are the accepted credentials. None means no authentication:
	// the caller decides whether that is allowed (see IsLoopback).
	Keys []Key
	// RateLimit is the requests per second allowed per key, or per client
	// IP when authentication is off; 0 turns rate limiting off.
	RateLimit float64
	// Burst is the bucket size of the rate limit; at least 1, and
	// ceil(RateLimit) when zero.
	Burst int
	// Resolver finds the namespaces of services and namespace IDs; it is
	// needed only for keys scoped to namespaces.
	Resolver Resolver
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives one line per rejected request; never a secret or a
	// signature. Discarded when nil.
	Logger *slog.Logger
}

// MaxSkew is how far X-Amz-Date may be from the server's clock.
const MaxSkew = 5 * time.Minute

// Authorizer checks API requests. It is safe for concurrent use; SetKeys
// swaps the keys atomically while requests are being checked.
type Authorizer struct {
	region, service string
	account         string
	regions         []string
	resolver        Resolver
	now             func() time.Time
	log             *slog.Logger
	limiter         *limiter // nil when rate limiting is off
	rejectLog       sampler  // rejections logged at INFO at most once a second
	reload          reloadState
	keys            atomic.Pointer[keySet]
	// required is set once keys were configured: from then on an empty
	// key set rejects every request instead of turning authentication off.
	required bool
}

// keySet is an immutable set of keys, replaced as a whole by SetKeys.
type keySet struct {
	byID map[string]*compiledKey
}

// compiledKey is a Key prepared for matching, with its signing-key cache.
type compiledKey struct {
	Key
	actions       []string // lower-case patterns; nil allows every action
	allNamespaces bool

	mu    sync.Mutex
	cache [4]derived // the signing keys of the last scopes (two dates, two services)
	next  int
}

// derived is a signing key for one credential scope.
type derived struct {
	date, region, service string
	key                   []byte
}

// New returns an Authorizer for cfg.
func New(cfg Config) *Authorizer {
	a := &Authorizer{region: cfg.Region, account: cfg.AccountID, regions: cfg.Regions,
		service: cfg.Service, resolver: cfg.Resolver,
		now: cfg.Now, log: cfg.Logger, required: len(cfg.Keys) > 0}
	if a.service == "" {
		a.service = "servicediscovery"
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if cfg.RateLimit > 0 && !math.IsInf(cfg.RateLimit, 0) {
		a.limiter = newLimiter(cfg.RateLimit, cfg.Burst, maxBuckets)
	}
	a.keys.Store(compileKeys(cfg.Keys, a.log))
	return a
}

// SetKeys replaces the accepted keys atomically (on SIGHUP); requests in
// flight finish with the keys they started with. When the Authorizer was
// created with keys, an empty list makes it reject every request (fail
// closed) rather than turn authentication off.
func (a *Authorizer) SetKeys(keys []Key) {
	a.keys.Store(compileKeys(keys, a.log))
}

// Enabled reports whether requests must be signed: keys are configured, or
// were configured when the Authorizer was created.
func (a *Authorizer) Enabled() bool {
	return a.required || len(a.keys.Load().byID) > 0
}

// Authorize checks one request: its SigV4 signature (when keys are
// configured), the rate limit of its key or client, and the key's scope for
// operation and input (a pointer to the operation's root input struct).
// When input is nil (unknown operation, undecodable body) it authenticates
// and rate-limits only. It returns the request's context carrying its cell
// (see cell.go), or a *cloudmap.Error with one of the codes
// MissingAuthenticationTokenException, IncompleteSignatureException,
// UnrecognizedClientException, InvalidSignatureException,
// RequestLimitExceeded or AccessDeniedException.
func (a *Authorizer) Authorize(r *http.Request, body []byte, operation string, input any) (context.Context, error) {
	if !a.Enabled() {
		region, account, err := a.unverifiedCell(r)
		if err != nil {
			a.logRejected("request rejected", operation, r, err)
			return nil, err
		}
		if a.limiter != nil {
			ip := clientIP(r)
			if err := a.throttle("client:"+ip, "client "+ip, operation); err != nil {
				return nil, err
			}
		}
		return a.withCell(r.Context(), region, account), nil
	}
	k, region, err := a.authenticate(r, body, a.keys.Load())
	if err != nil {
		a.logRejected("request rejected", operation, r, err)
		return nil, err
	}
	if err := a.throttle("key:"+k.AccessKeyID, "key "+k.label(), operation); err != nil {
		return nil, err
	}
	ctx := a.withCell(r.Context(), region, k.AccountID)
	if input == nil {
		// An unknown operation or an undecodable body: the handler answers
		// it with its own error once the caller is known to be genuine.
		return ctx, nil
	}
	if err := a.authorize(ctx, k, operation, input); err != nil {
		a.logRejected("request denied", operation, r, err, "key", k.label())
		return nil, err
	}
	return ctx, nil
}

// throttle takes a token from the bucket of id.
func (a *Authorizer) throttle(id, who, operation string) error {
	if a.limiter == nil || a.limiter.allow(id, a.now()) {
		return nil
	}
	a.log.Debug("request throttled", "op", operation, "who", who)
	return cloudmap.Errorf(cloudmap.ErrRequestLimitExceeded,
		"Rate exceeded: %s is limited to %g requests per second (burst %d).", who, a.limiter.rate, int(a.limiter.burst))
}

// compileKeys prepares keys for lookup. A repeated access key ID keeps the
// last definition and is logged.
func compileKeys(keys []Key, log *slog.Logger) *keySet {
	ks := &keySet{byID: make(map[string]*compiledKey, len(keys))}
	for _, k := range keys {
		if k.AccessKeyID == "" || k.SecretAccessKey == "" {
			log.Warn("ignoring key without access key ID or secret", "key", k.Name)
			continue
		}
		ck := &compiledKey{Key: k, allNamespaces: len(k.AllowedNamespaces) == 0}
		for _, p := range k.AllowedActions {
			ck.actions = append(ck.actions, strings.ToLower(p))
		}
		for _, n := range k.AllowedNamespaces {
			if n == "*" {
				ck.allNamespaces = true
			}
		}
		if _, dup := ks.byID[k.AccessKeyID]; dup {
			log.Warn("access key ID configured twice; the last one wins", "key", k.Name)
		}
		ks.byID[k.AccessKeyID] = ck
	}
	return ks
}

// signingKey returns the key's SigV4 signing key for date, region and
// service, cached.
func (k *compiledKey) signingKey(date, region, service string) []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, d := range k.cache {
		if d.key != nil && d.date == date && d.region == region && d.service == service {
			return d.key
		}
	}
	key := deriveKey(k.SecretAccessKey, date, region, service)
	k.cache[k.next] = derived{date: date, region: region, service: service, key: key}
	k.next = (k.next + 1) % len(k.cache)
	return key
}

// clientIP is the host part of r.RemoteAddr. Forwarding headers are not
// trusted: anyone can send them.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

package auth

import (
	"cmp"
	"net/http"
	"strings"

	"github.com/cloudmap/cloudmap"
)

// Route 53 requests (the read-only Route 53 API in front of the hosted
// zones of DNS namespaces) are authorized with the same keys and scopes:
//
//   - they are signed with the signing name "route53"; the AWS SDKs sign
//     Route 53, a global service, with region us-east-1, and with the
//     client's region when it has a custom endpoint, so either the
//     configured region or us-east-1 is accepted;
//   - the action is "route53:<Operation>", matched against the key's
//     allowed_actions ("servicediscovery:*" does not reach Route 53, as in
//     IAM);
//   - a key scoped to namespaces sees only the hosted zones of those
//     namespaces: other zones, and zones that do not exist, are
//     AccessDenied for it.

// Route53Service is the SigV4 signing name of Route 53 requests.
const Route53Service = "route53"

// route53Region is the region of Route 53's global endpoint.
const route53Region = "us-east-1"

// route53Prefix is the IAM service prefix of Route 53 actions.
const route53Prefix = "route53:"

// route53Operations are the Route 53 operations cloudmap serves; action
// patterns starting with "route53:" must match one of them.
var route53Operations = []string{
	"GetHostedZone", "GetHostedZoneCount", "ListHostedZones", "ListHostedZonesByName", "ListResourceRecordSets",
}

// ZoneCheck reports whether the caller may see the hosted zone of ns (nil:
// a zone that does not exist, visible only to keys that reach every
// namespace): nil, NoSuchHostedZone for the zone of another account (Route
// 53 is global: an account sees the zones of its namespaces in every
// region, and no other), or AccessDeniedException naming resource.
type ZoneCheck = func(ns *cloudmap.Namespace, resource string) error

// CheckRoute53Headers is CheckHeaders for the Route 53 API (signing name
// route53): it checks what the headers alone decide, before the body is
// read, so that a caller without a usable key cannot make the server wait
// for, or hold, a body. It returns nil when authentication is off.
func (a *Authorizer) CheckRoute53Headers(r *http.Request) error {
	if !a.Enabled() {
		return nil
	}
	if _, _, err := a.checkForm(r, a.keys.Load(), Route53Service, route53Region); err != nil {
		a.logRejected("request rejected", "", r, err)
		return err
	}
	return nil
}

// AuthorizeRoute53 checks one Route 53 request: its SigV4 signature for
// the signing name route53 (when keys are configured), the rate limit of
// its key or client, and the key's allowed_actions for
// "route53:"+operation on resource (an ARN, for the message). With an
// empty operation (a request the API does not know) it authenticates and
// rate-limits only. It returns the caller's ZoneCheck, or a
// *cloudmap.Error with the codes Authorize returns.
func (a *Authorizer) AuthorizeRoute53(r *http.Request, body []byte, operation, resource string) (ZoneCheck, error) {
	if !a.Enabled() {
		account, err := a.unverifiedRoute53Account(r)
		if err != nil {
			return nil, err
		}
		if a.limiter != nil {
			ip := clientIP(r)
			if err := a.throttle("client:"+ip, "client "+ip, operation); err != nil {
				return nil, err
			}
		}
		return func(ns *cloudmap.Namespace, resource string) error { return otherAccount(ns, account, resource) }, nil
	}
	k, _, err := a.verify(r, body, a.keys.Load(), Route53Service, route53Region)
	if err != nil {
		a.logRejected("request rejected", route53Prefix+operation, r, err)
		return nil, err
	}
	if err := a.throttle("key:"+k.AccessKeyID, "key "+k.label(), operation); err != nil {
		return nil, err
	}
	account := cmp.Or(k.AccountID, a.account)
	check := func(ns *cloudmap.Namespace, resource string) error {
		if err := otherAccount(ns, account, resource); err != nil {
			return err
		}
		if k.allNamespaces || ns != nil && a.inScope(k, nsRef{raw: ns.Id, ns: ns}, func(*cloudmap.Namespace) bool { return true }) {
			return nil
		}
		return route53Denied(k, operation, resource)
	}
	if operation != "" && !k.allows(route53Prefix+operation) {
		err := route53Denied(k, operation, resource)
		a.logRejected("request denied", route53Prefix+operation, r, err, "key", k.label())
		return nil, err
	}
	return check, nil
}

// unverifiedRoute53Account reads the account of a Route 53 request when
// authentication is off (see Authorize): a 12-digit access key ID of its
// Authorization header, else the default account.
func (a *Authorizer) unverifiedRoute53Account(r *http.Request) (string, error) {
	hs := r.Header.Values("Authorization")
	if len(hs) != 1 {
		return a.account, nil
	}
	auth, err := ParseAuthorization(hs[0])
	if err != nil {
		return "", err
	}
	if auth.Region != route53Region && !a.regionAllowed(auth.Region) {
		return "", a.wrongRegion(auth.Region, route53Region)
	}
	if cloudmap.ValidAccountID(auth.AccessKeyID) {
		return auth.AccessKeyID, nil
	}
	return a.account, nil
}

// otherAccount returns NoSuchHostedZone when ns belongs to another account
// than account: its zone does not exist for the caller.
func otherAccount(ns *cloudmap.Namespace, account, resource string) error {
	if ns == nil {
		return nil
	}
	if parts := strings.SplitN(ns.Arn, ":", 6); len(parts) == 6 && parts[4] == account {
		return nil
	}
	_, id, _ := strings.Cut(resource, "hostedzone/")
	return cloudmap.Errorf("NoSuchHostedZone", "No hosted zone found with ID: %s", id)
}

// route53Denied is the AccessDeniedException for a Route 53 action.
func route53Denied(k *compiledKey, operation, resource string) error {
	return cloudmap.Errorf(cloudmap.ErrAccessDenied, "User: %s is not authorized to perform: %s%s on resource: %s",
		k.label(), route53Prefix, operation, resource)
}

// validRoute53Pattern reports whether p (lower case, "route53:...")
// matches one of the Route 53 operations cloudmap serves.
func validRoute53Pattern(p string) bool {
	for _, op := range route53Operations {
		if matchPattern(p, strings.ToLower(route53Prefix+op)) {
			return true
		}
	}
	return false
}

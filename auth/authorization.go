package auth

import (
	"net/url"
	"strings"

	"github.com/cloudmap/cloudmap"
)

// Algorithm is the only signing algorithm accepted: AWS Signature Version 4.
const Algorithm = "AWS4-HMAC-SHA256"

// terminator ends every SigV4 credential scope.
const terminator = "aws4_request"

// maxSignedHeaders bounds the work one request can ask for.
const maxSignedHeaders = 64

// Authorization is a parsed SigV4 authorization: the Authorization header
// the SDKs send, or the X-Amz-* query parameters of a presigned URL.
type Authorization struct {
	// AccessKeyID, Date (YYYYMMDD), Region and Service are the parts of the
	// credential AKID/Date/Region/Service/aws4_request.
	AccessKeyID string
	Date        string
	Region      string
	Service     string
	// SignedHeaders are the lower-case names of the signed headers, in the
	// order the client listed them.
	SignedHeaders []string
	// Signature is the hex signature in lower case.
	Signature string
}

// Scope returns the credential scope Date/Region/Service/aws4_request.
func (a *Authorization) Scope() string {
	return a.Date + "/" + a.Region + "/" + a.Service + "/" + terminator
}

// ParseAuthorization parses the value of an Authorization header of the
// form "AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1/servicediscovery/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=<64 hex>". It is a pure
// function; every malformed input yields an *cloudmap.Error with code
// IncompleteSignatureException whose message names what is missing or wrong.
// It checks the form only: region, service, date and key are the verifier's.
func ParseAuthorization(header string) (*Authorization, error) {
	alg, rest, _ := strings.Cut(strings.TrimSpace(header), " ")
	if alg != Algorithm {
		if strings.HasPrefix(alg, "AWS4-") {
			return nil, incomplete("Unsupported AWS 'algorithm': %q; want %q.", clip(alg), Algorithm)
		}
		return nil, incomplete("Authorization header must use the %s algorithm.", Algorithm)
	}
	var params [3]string
	var seen [3]bool
	names := [3]string{"Credential", "SignedHeaders", "Signature"}
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return nil, incomplete("Authorization header parameter %q is not of the form Name=Value.", clip(name))
		}
		i := indexOf(names[:], strings.TrimSpace(name))
		if i < 0 {
			return nil, incomplete("Authorization header has an unknown parameter %q.", clip(name))
		}
		if seen[i] {
			return nil, incomplete("Authorization header repeats the %q parameter.", names[i])
		}
		seen[i], params[i] = true, strings.TrimSpace(value)
	}
	var missing []string
	for i, ok := range seen {
		if !ok {
			missing = append(missing, "Authorization header requires '"+names[i]+"' parameter.")
		}
	}
	if len(missing) > 0 {
		return nil, incomplete("%s", strings.Join(missing, " "))
	}
	return build(params[0], params[1], params[2], "Authorization header")
}

// ParseQueryAuthorization parses the X-Amz-Algorithm, X-Amz-Credential,
// X-Amz-SignedHeaders and X-Amz-Signature parameters of a presigned URL.
// Errors are IncompleteSignatureException, like ParseAuthorization's.
func ParseQueryAuthorization(q url.Values) (*Authorization, error) {
	var missing []string
	get := func(name string) string {
		vs, ok := q[name]
		if !ok || len(vs) != 1 {
			missing = append(missing, "Query-string authentication requires exactly one '"+name+"' parameter.")
			return ""
		}
		return vs[0]
	}
	alg, cred, sh, sig := get("X-Amz-Algorithm"), get("X-Amz-Credential"), get("X-Amz-SignedHeaders"), get("X-Amz-Signature")
	if len(missing) > 0 {
		return nil, incomplete("%s", strings.Join(missing, " "))
	}
	if alg != Algorithm {
		return nil, incomplete("Unsupported AWS 'algorithm': %q; want %q.", clip(alg), Algorithm)
	}
	return build(cred, sh, sig, "X-Amz")
}

// build checks and assembles the three parameters of an authorization.
func build(cred, signed, sig, where string) (*Authorization, error) {
	a := &Authorization{}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return nil, incomplete("%s Credential must have the form AccessKeyId/YYYYMMDD/region/service/aws4_request.", where)
	}
	for i, what := range []string{"access key ID", "date", "region", "service"} {
		if parts[i] == "" {
			return nil, incomplete("%s Credential has an empty %s.", where, what)
		}
	}
	if parts[4] != terminator {
		return nil, incomplete("Credential should be scoped with a valid terminator: '%s', not '%s'.", terminator, clip(parts[4]))
	}
	if !isDigits(parts[1], 8) {
		return nil, incomplete("%s Credential date %q is not of the form YYYYMMDD.", where, clip(parts[1]))
	}
	a.AccessKeyID, a.Date, a.Region, a.Service = parts[0], parts[1], parts[2], parts[3]
	if signed == "" {
		return nil, incomplete("%s SignedHeaders is empty.", where)
	}
	for h := range strings.SplitSeq(signed, ";") {
		if !isHeaderName(h) {
			return nil, incomplete("%s SignedHeaders has an invalid header name %q (want lower-case names separated by ';').", where, clip(h))
		}
		if indexOf(a.SignedHeaders, h) >= 0 {
			return nil, incomplete("%s SignedHeaders lists %q twice.", where, h)
		}
		if len(a.SignedHeaders) == maxSignedHeaders {
			return nil, incomplete("%s SignedHeaders lists more than %d headers.", where, maxSignedHeaders)
		}
		a.SignedHeaders = append(a.SignedHeaders, h)
	}
	if indexOf(a.SignedHeaders, "host") < 0 {
		return nil, incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if len(sig) != 64 || !isHex(sig) {
		return nil, incomplete("%s Signature must be 64 hexadecimal characters.", where)
	}
	a.Signature = strings.ToLower(sig)
	return a, nil
}

func incomplete(format string, args ...any) error {
	return cloudmap.Errorf(cloudmap.ErrIncompleteSignature, format, args...)
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// isHeaderName reports whether s is a non-empty lower-case HTTP token.
func isHeaderName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudmap/cloudmap"
)

// amzDateFormat is the ISO 8601 basic format of X-Amz-Date.
const amzDateFormat = "20060102T150405Z"

// maxPresignExpiry is the longest X-Amz-Expires SigV4 allows (7 days).
const maxPresignExpiry = 7 * 24 * time.Hour

// Messages AWS returns for these failures.
const (
	msgMissingToken   = "Missing Authentication Token"
	msgUnknownKey     = "The security token included in the request is invalid."
	msgSignatureWrong = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgPayloadHash = "The provided 'x-amz-content-sha256' header does not match what was computed."
)

// signedRequest is what the verifier needs from a request's authorization.
type signedRequest struct {
	auth    *Authorization
	amzDate string
	// expires is X-Amz-Expires of a presigned URL, 0 for the header form.
	expires time.Duration
}

// authenticate verifies the SigV4 signature of r over body and returns the
// key that signed it and the region of its credential scope.
func (a *Authorizer) authenticate(r *http.Request, body []byte, ks *keySet) (*compiledKey, string, error) {
	return a.verify(r, body, ks, a.service, "")
}

// verify is authenticate for a signing name; the credential scope may name
// a region served or also (when not "").
func (a *Authorizer) verify(r *http.Request, body []byte, ks *keySet, service, also string) (*compiledKey, string, error) {
	sr, k, err := a.checkForm(r, ks, service, also)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && !hmac.Equal([]byte(strings.ToLower(h)), []byte(payloadHash)) {
		return nil, "", cloudmap.Errorf(cloudmap.ErrInvalidSignature, msgPayloadHash)
	}
	canonical := canonicalRequest(r, sr.auth.SignedHeaders, payloadHash)
	sts := stringToSign(sr.amzDate, sr.auth.Scope(), canonical)
	want := hex.EncodeToString(hmacSHA256(k.signingKey(sr.auth.Date, sr.auth.Region, service), sts))
	if !hmac.Equal([]byte(want), []byte(sr.auth.Signature)) {
		return nil, "", cloudmap.Errorf(cloudmap.ErrInvalidSignature, msgSignatureWrong)
	}
	return k, sr.auth.Region, nil
}

// checkForm checks everything about r's authorization that the headers
// (or the query) alone decide: its form, the signed headers, the date,
// region and service of the scope, and that the key is known.
func (a *Authorizer) checkForm(r *http.Request, ks *keySet, service, also string) (*signedRequest, *compiledKey, error) {
	sr, err := parseRequest(r)
	if err != nil {
		return nil, nil, err
	}
	if err := a.checkScope(sr, service, also); err != nil {
		return nil, nil, err
	}
	k, ok := ks.byID[sr.auth.AccessKeyID]
	if !ok {
		return nil, nil, cloudmap.Errorf(cloudmap.ErrUnrecognizedClient, msgUnknownKey)
	}
	return sr, k, nil
}

// CheckHeaders checks a request's authorization before its body is read,
// so that a caller without a usable key cannot make the server wait for,
// or hold, a body: the form of the Authorization header (or presigned
// query), the signed headers, the scope's date, region and service, and
// that the key is known. The signature itself needs the body and is
// checked by Authorize. It returns nil when authentication is off, or one
// of the errors Authorize returns for these checks.
func (a *Authorizer) CheckHeaders(r *http.Request) error {
	if !a.Enabled() {
		return nil
	}
	if _, _, err := a.checkForm(r, a.keys.Load(), a.service, ""); err != nil {
		a.logRejected("request rejected", "", r, err)
		return err
	}
	return nil
}

// parseRequest finds the authorization of r (the Authorization header, or
// the X-Amz-* query parameters of a presigned URL) and checks that it
// signs what selects the operation (see requireSigned).
func parseRequest(r *http.Request) (*signedRequest, error) {
	sr, err := parseAuthorization(r)
	if err != nil {
		return nil, err
	}
	if err := requireSigned(r, sr); err != nil {
		return nil, err
	}
	return sr, nil
}

// requireSigned binds the operation to the signature: the signed headers
// must include host (checked by the parser), x-amz-target whenever the
// request carries one (it names the operation: a signature that leaves it
// out would let a captured GetNamespace be replayed as DeleteNamespace),
// and x-amz-date when the date travels in a header. A presigned URL signs
// its X-Amz-Date as a query parameter.
func requireSigned(r *http.Request, sr *signedRequest) error {
	signed := sr.auth.SignedHeaders
	if _, ok := r.Header["X-Amz-Target"]; ok && indexOf(signed, "x-amz-target") < 0 {
		return incomplete("'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if sr.expires == 0 && indexOf(signed, "x-amz-date") < 0 {
		return incomplete("'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return nil
}

// parseAuthorization finds and parses the authorization of r.
func parseAuthorization(r *http.Request) (*signedRequest, error) {
	switch hs := r.Header.Values("Authorization"); {
	case len(hs) > 1:
		return nil, incomplete("Request carries %d Authorization headers; want one.", len(hs))
	case len(hs) == 1:
		auth, err := ParseAuthorization(hs[0])
		if err != nil {
			return nil, err
		}
		d := r.Header.Get("X-Amz-Date")
		if d == "" {
			return nil, incomplete("Authorization header requires existence of a 'X-Amz-Date' header.")
		}
		return &signedRequest{auth: auth, amzDate: d}, nil
	}
	q := r.URL.Query()
	if !q.Has("X-Amz-Algorithm") && !q.Has("X-Amz-Credential") && !q.Has("X-Amz-Signature") {
		return nil, cloudmap.Errorf(cloudmap.ErrMissingAuthenticationToken, msgMissingToken)
	}
	auth, err := ParseQueryAuthorization(q)
	if err != nil {
		return nil, err
	}
	sr := &signedRequest{auth: auth, amzDate: q.Get("X-Amz-Date")}
	if sr.amzDate == "" {
		return nil, incomplete("Query-string authentication requires the 'X-Amz-Date' parameter.")
	}
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > maxPresignExpiry {
		return nil, incomplete("X-Amz-Expires must be a number of seconds from 1 to %d.", int(maxPresignExpiry/time.Second))
	}
	sr.expires = time.Duration(secs) * time.Second
	return sr, nil
}

// checkScope checks the date, region and service of the signature.
func (a *Authorizer) checkScope(sr *signedRequest, service, also string) error {
	t, err := time.Parse(amzDateFormat, sr.amzDate)
	if err != nil {
		return incomplete("X-Amz-Date %q is not in ISO 8601 basic format (YYYYMMDD'T'HHMMSS'Z').", clip(sr.amzDate))
	}
	if day := sr.amzDate[:8]; sr.auth.Date != day {
		return cloudmap.Errorf(cloudmap.ErrInvalidSignature,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			sr.auth.Date, day, sr.amzDate)
	}
	now := a.now().UTC()
	if late := now.Add(MaxSkew); t.After(late) {
		return cloudmap.Errorf(cloudmap.ErrInvalidSignature, "Signature not yet current: %s is still later than %s (%s + 5 min.)",
			sr.amzDate, late.Format(amzDateFormat), now.Format(amzDateFormat))
	}
	if sr.expires > 0 {
		if end := t.Add(sr.expires); now.After(end) {
			return cloudmap.Errorf(cloudmap.ErrInvalidSignature, "Request has expired: X-Amz-Date %s plus X-Amz-Expires %d sec. ended at %s, before %s.",
				sr.amzDate, int(sr.expires/time.Second), end.Format(amzDateFormat), now.Format(amzDateFormat))
		}
	} else if early := now.Add(-MaxSkew); t.Before(early) {
		return cloudmap.Errorf(cloudmap.ErrInvalidSignature, "Signature expired: %s is now earlier than %s (%s - 5 min.)",
			sr.amzDate, early.Format(amzDateFormat), now.Format(amzDateFormat))
	}
	if sr.auth.Region != also && !a.regionAllowed(sr.auth.Region) {
		return a.wrongRegion(sr.auth.Region, also)
	}
	if sr.auth.Service != service {
		return cloudmap.Errorf(cloudmap.ErrInvalidSignature, "Credential should be scoped to correct service: '%s', not '%s'.",
			service, clip(sr.auth.Service))
	}
	return nil
}

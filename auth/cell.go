package auth

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/cloudmap/cloudmap"
)

// The cell (account, region) of a request:
//
//   - region: the region of the SigV4 credential scope, verified with the
//     signature when keys are configured, read unverified from the
//     Authorization header when authentication is off; a request without
//     one is in Config.Region. A region outside Config.Regions (any
//     well-formed region when empty) is InvalidSignatureException, the
//     error AWS gives for a signature scoped to another region, naming the
//     regions served.
//   - account: the key's AccountID (account_id in the credentials file),
//     else Config.AccountID; when authentication is off, an access key ID
//     of 12 digits is the account, any other means Config.AccountID.
//
// The cell travels in the request's context (cloudmap.WithCell), attached
// only when it is not the default cell (Config.AccountID, Config.Region).

// regionAllowed reports whether a request may be scoped to region.
func (a *Authorizer) regionAllowed(region string) bool {
	if len(a.regions) == 0 {
		return cloudmap.ValidRegion(region)
	}
	return slices.Contains(a.regions, region)
}

// wrongRegion is the error for a credential scoped to a region not
// served; also is a region accepted besides those ("" for none).
func (a *Authorizer) wrongRegion(region, also string) error {
	served := "any region"
	if len(a.regions) > 0 {
		list := slices.Clone(a.regions)
		if also != "" && !slices.Contains(list, also) {
			list = append(list, also)
		}
		served = "'" + strings.Join(list, "' or '") + "'"
	}
	return cloudmap.Errorf(cloudmap.ErrInvalidSignature, "Credential should be scoped to a valid region, not '%s'; this endpoint serves %s.",
		clip(region), served)
}

// withCell returns ctx carrying the cell of region and account ("" for
// the defaults), or ctx itself for the default cell.
func (a *Authorizer) withCell(ctx context.Context, region, account string) context.Context {
	c := cloudmap.Cell{Account: account, Region: region}
	if c.Account == "" {
		c.Account = a.account
	}
	if c.Region == "" {
		c.Region = a.region
	}
	if c.Account == a.account && c.Region == a.region {
		return ctx
	}
	return cloudmap.WithCell(ctx, c)
}

// unverifiedCell reads the region and account of a request when
// authentication is off: from its Authorization header, unverified. A
// request without the header is in the default cell; a malformed header
// or a region not served is an error.
func (a *Authorizer) unverifiedCell(r *http.Request) (region, account string, err error) {
	hs := r.Header.Values("Authorization")
	switch {
	case len(hs) == 0:
		return "", "", nil
	case len(hs) > 1:
		return "", "", incomplete("Request carries %d Authorization headers; want one.", len(hs))
	}
	auth, err := ParseAuthorization(hs[0])
	if err != nil {
		return "", "", err
	}
	if !a.regionAllowed(auth.Region) {
		return "", "", a.wrongRegion(auth.Region, "")
	}
	if cloudmap.ValidAccountID(auth.AccessKeyID) {
		account = auth.AccessKeyID
	}
	return auth.Region, account, nil
}

// inCell reports whether ns belongs to the cell of ctx: its ARN names the
// cell's region and account.
func (a *Authorizer) inCell(ctx context.Context, ns *cloudmap.Namespace) bool {
	c, ok := cloudmap.CellFrom(ctx)
	if !ok {
		c = cloudmap.Cell{Account: a.account, Region: a.region}
	}
	parts := strings.SplitN(ns.Arn, ":", 6)
	return len(parts) == 6 && parts[3] == c.Region && parts[4] == c.Account
}

package auth_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/auth"
)

// Without keys, the cell is read unverified from the Authorization header.
func TestAuthorizer_CellWithoutKeys(t *testing.T) {
	a := auth.New(auth.Config{Region: "us-east-1", AccountID: account, Regions: []string{"us-east-1", "eu-west-1"}})
	header := func(akid, region string) string {
		return "AWS4-HMAC-SHA256 Credential=" + akid + "/20260101/" + region + "/servicediscovery/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("0", 64)
	}
	tests := []struct {
		name, auth string
		cell       *cloudmap.Cell // nil: the default cell
		code, msg  string
	}{
		{name: "unsigned", auth: ""},
		{name: "default region, other key", auth: header("AKIDEXAMPLE", "us-east-1")},
		{name: "the default cell itself", auth: header(account, "us-east-1")},
		{name: "12-digit key is the account", auth: header("111111111111", "eu-west-1"),
			cell: &cloudmap.Cell{Account: "111111111111", Region: "eu-west-1"}},
		{name: "other key, other region", auth: header("AKID", "eu-west-1"), cell: &cloudmap.Cell{Account: account, Region: "eu-west-1"}},
		{name: "region not served", auth: header("111111111111", "ap-south-1"),
			code: cloudmap.ErrInvalidSignature, msg: "not 'ap-south-1'; this endpoint serves 'us-east-1' or 'eu-west-1'"},
		{name: "malformed scope", auth: "AWS4-HMAC-SHA256 Credential=111111111111/eu-west-1, SignedHeaders=host, Signature=" + strings.Repeat("0", 64),
			code: cloudmap.ErrIncompleteSignature, msg: "Credential"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader("{}"))
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			ctx, err := a.Authorize(r, []byte("{}"), "ListNamespaces", &cloudmap.ListInput{})
			checkErr(t, err, tt.code, tt.msg)
			if err != nil {
				return
			}
			got, ok := cloudmap.CellFrom(ctx)
			switch {
			case tt.cell == nil && ok:
				t.Errorf("cell %v, want the default cell (none in the context)", got)
			case tt.cell != nil && (!ok || got != *tt.cell):
				t.Errorf("cell %v, %v; want %v", got, ok, *tt.cell)
			}
		})
	}
}

// TestAuthorizer_AnyWellFormedRegion: without a region list any
// well-formed region is served, and a scope naming an ill-formed one is
// refused with a message saying so ("any region", no empty list).
func TestAuthorizer_AnyWellFormedRegion(t *testing.T) {
	a := auth.New(auth.Config{Region: "us-east-1", AccountID: account})
	header := func(region string) string {
		return "AWS4-HMAC-SHA256 Credential=AKID/20260101/" + region + "/servicediscovery/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("0", 64)
	}
	for _, tc := range []struct {
		region, code, msg string
	}{
		{"ap-south-1", "", ""},
		{"Not_A_Region", cloudmap.ErrInvalidSignature, "Credential should be scoped to a valid region, not 'Not_A_Region'; this endpoint serves any region."},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader("{}"))
		r.Header.Set("Authorization", header(tc.region))
		_, err := a.Authorize(r, []byte("{}"), "ListNamespaces", &cloudmap.ListInput{})
		checkErr(t, err, tc.code, tc.msg)
	}
}

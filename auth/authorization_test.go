package auth_test

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/auth"
)

const (
	goodSig  = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
	goodCred = "Credential=AKIDEXAMPLE/20261124/us-east-1/servicediscovery/aws4_request"
	goodAuth = "AWS4-HMAC-SHA256 " + goodCred + ", SignedHeaders=content-type;host;x-amz-date, Signature=" + goodSig
)

func TestParseAuthorization(t *testing.T) {
	got, err := auth.ParseAuthorization(goodAuth)
	if err != nil {
		t.Fatal(err)
	}
	want := &auth.Authorization{AccessKeyID: "AKIDEXAMPLE", Date: "20261124", Region: "us-east-1",
		Service: "servicediscovery", SignedHeaders: []string{"content-type", "host", "x-amz-date"}, Signature: goodSig}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if s := got.Scope(); s != "20261124/us-east-1/servicediscovery/aws4_request" {
		t.Errorf("Scope() = %q", s)
	}
}

func TestParseAuthorization_Errors(t *testing.T) {
	sh := ", SignedHeaders=host, Signature=" + goodSig
	tests := []struct {
		name, header, want string
	}{
		{"empty", "", "must use the AWS4-HMAC-SHA256 algorithm"},
		{"SigV2", "AWS AKID:c2ln", "must use the AWS4-HMAC-SHA256 algorithm"},
		{"other algorithm", "AWS4-HMAC-SHA512 " + goodCred + sh, "Unsupported AWS 'algorithm'"},
		{"no parameters", "AWS4-HMAC-SHA256", "requires 'Credential' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires 'Signature' parameter."},
		{"missing signature", "AWS4-HMAC-SHA256 " + goodCred + ", SignedHeaders=host", "requires 'Signature' parameter."},
		{"not name=value", "AWS4-HMAC-SHA256 " + goodCred + ", host" + sh, "not of the form Name=Value"},
		{"unknown parameter", "AWS4-HMAC-SHA256 " + goodCred + ", Foo=1" + sh, "unknown parameter \"Foo\""},
		{"repeated parameter", "AWS4-HMAC-SHA256 " + goodCred + ", " + goodCred + sh, "repeats the \"Credential\""},
		{"short credential", "AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1" + sh, "AccessKeyId/YYYYMMDD/region/service/aws4_request"},
		{"empty key", "AWS4-HMAC-SHA256 Credential=/20261124/us-east-1/servicediscovery/aws4_request" + sh, "empty access key ID"},
		{"bad terminator", "AWS4-HMAC-SHA256 Credential=A/20261124/us-east-1/servicediscovery/aws5" + sh, "valid terminator: 'aws4_request', not 'aws5'"},
		{"bad date", "AWS4-HMAC-SHA256 Credential=A/2026-11-24/us-east-1/servicediscovery/aws4_request" + sh, "not of the form YYYYMMDD"},
		{"date with a letter", "AWS4-HMAC-SHA256 Credential=A/2026112a/us-east-1/servicediscovery/aws4_request" + sh, "date \"2026112a\" is not of the form YYYYMMDD"},
		{"date with ':' (after '9')", "AWS4-HMAC-SHA256 Credential=A/2026112:/us-east-1/servicediscovery/aws4_request" + sh, "date \"2026112:\" is not of the form YYYYMMDD"},
		{"date with '.' (before '0')", "AWS4-HMAC-SHA256 Credential=A/2026112./us-east-1/servicediscovery/aws4_request" + sh, "date \"2026112.\" is not of the form YYYYMMDD"},
		{"header name over 128 bytes", "AWS4-HMAC-SHA256 " + goodCred + ", SignedHeaders=host;" + strings.Repeat("x", 129) + ", Signature=" + goodSig, "invalid header name \"xxxx"},
		{"host not signed", "AWS4-HMAC-SHA256 " + goodCred + ", SignedHeaders=x-amz-date, Signature=" + goodSig, "'Host' must be a 'SignedHeader'"},
		{"upper-case header", "AWS4-HMAC-SHA256 " + goodCred + ", SignedHeaders=Host, Signature=" + goodSig, "invalid header name \"Host\""},
		{"empty header name", "AWS4-HMAC-SHA256 " + goodCred + ", SignedHeaders=host;;x, Signature=" + goodSig, "invalid header name \"\""},
		{"repeated header", "AWS4-HMAC-SHA256 " + goodCred + ", SignedHeaders=host;host, Signature=" + goodSig, "lists \"host\" twice"},
		{"short signature", "AWS4-HMAC-SHA256 " + goodCred + ", SignedHeaders=host, Signature=abc", "64 hexadecimal"},
		{"non-hex signature", "AWS4-HMAC-SHA256 " + goodCred + ", SignedHeaders=host, Signature=" + strings.Repeat("g", 64), "64 hexadecimal"},
		{"signature with / (before '0')", "AWS4-HMAC-SHA256 " + goodCred + ", SignedHeaders=host, Signature=/" + goodSig[1:], "64 hexadecimal"},
		{"signature with : (after '9')", "AWS4-HMAC-SHA256 " + goodCred + ", SignedHeaders=host, Signature=:" + goodSig[1:], "64 hexadecimal"},
		{"signature with @ (before 'A')", "AWS4-HMAC-SHA256 " + goodCred + ", SignedHeaders=host, Signature=@" + goodSig[1:], "64 hexadecimal"},
		{"signature with G (after 'F')", "AWS4-HMAC-SHA256 " + goodCred + ", SignedHeaders=host, Signature=G" + goodSig[1:], "64 hexadecimal"},
		{"signature with ` (before 'a')", "AWS4-HMAC-SHA256 " + goodCred + ", SignedHeaders=host, Signature=`" + goodSig[1:], "64 hexadecimal"},
		{"signature with g (after 'f')", "AWS4-HMAC-SHA256 " + goodCred + ", SignedHeaders=host, Signature=g" + goodSig[1:], "64 hexadecimal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.ParseAuthorization(tt.header)
			checkErr(t, err, cloudmap.ErrIncompleteSignature, tt.want)
		})
	}
}

func TestParseQueryAuthorization(t *testing.T) {
	q := url.Values{"X-Amz-Algorithm": {"AWS4-HMAC-SHA256"},
		"X-Amz-Credential":    {"AKID/20261124/us-east-1/servicediscovery/aws4_request"},
		"X-Amz-SignedHeaders": {"host"}, "X-Amz-Signature": {goodSig}}
	if _, err := auth.ParseQueryAuthorization(q); err != nil {
		t.Fatal(err)
	}
	q.Del("X-Amz-Signature")
	_, err := auth.ParseQueryAuthorization(q)
	checkErr(t, err, cloudmap.ErrIncompleteSignature, "'X-Amz-Signature'")
}

// FuzzParseAuthorization checks that the header parser never panics and
// that whatever it accepts is well formed.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{goodAuth, "", "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 ,,,", "AWS4-HMAC-SHA256 Credential=////",
		"AWS4-HMAC-SHA256 Credential=a/12345678/r/s/aws4_request,SignedHeaders=host,Signature=" + goodSig,
		"AWS4-HMAC-SHA256 Credential==,SignedHeaders=;,Signature=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		a, err := auth.ParseAuthorization(header)
		if err != nil {
			if code := cloudmap.ErrorCode(err); code != cloudmap.ErrIncompleteSignature {
				t.Fatalf("error code %q for %q", code, header)
			}
			return
		}
		if len(a.Signature) != 64 || strings.ToLower(a.Signature) != a.Signature {
			t.Errorf("accepted signature %q", a.Signature)
		}
		if a.AccessKeyID == "" || len(a.Date) != 8 || a.Region == "" || a.Service == "" {
			t.Errorf("accepted credential %+v", a)
		}
		host := false
		for _, h := range a.SignedHeaders {
			host = host || h == "host"
			if h == "" || strings.ToLower(h) != h {
				t.Errorf("accepted header name %q", h)
			}
		}
		if !host {
			t.Errorf("accepted signed headers %v without host", a.SignedHeaders)
		}
	})
}

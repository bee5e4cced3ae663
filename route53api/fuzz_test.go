package route53api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap/route53api"
)

// FuzzHandler sends arbitrary methods, paths and queries: every answer is
// a Route 53 document or error with a 2xx, 4xx status, never a 500 (which
// is what a recovered panic would give).
func FuzzHandler(f *testing.F) {
	for _, seed := range []string{
		"GET /2013-04-01/hostedzone/ZPUB1",
		"GET /2013-04-01/hostedzone/ZPUB1/rrset?name=www.example.com&type=A&identifier=w-1&maxitems=1",
		"GET /2013-04-01/hostedzone?marker=ZPRIV1&maxitems=1&hostedzonetype=PrivateHostedZone",
		"GET /2013-04-01/hostedzonesbyname?dnsname=example.com&hostedzoneid=ZPUB1",
		"POST /2013-04-01/hostedzone/ZPUB1/rrset/",
		"DELETE /2013-04-01/hostedzone/%2Fhostedzone%2FZPUB1",
		"GET /2013-04-01/hostedzone/%ZZ/rrset?maxitems=-1",
		"GET /2013-04-01/hostedzonecount",
		"PUT /2013-04-01/",
	} {
		f.Add(seed)
	}
	h := route53api.New(newZones(), route53api.Config{Region: "us-east-1"})
	f.Fuzz(func(t *testing.T, line string) {
		method, target, ok := strings.Cut(line, " ")
		if !ok || method == "" || strings.ContainsAny(method, " \t\r\n") {
			return
		}
		r, err := http.NewRequest(method, "http://127.0.0.1"+route53api.PathPrefix+strings.TrimPrefix(target, route53api.PathPrefix), nil)
		if err != nil {
			return
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 || !strings.Contains(w.Body.String(), "https://route53.amazonaws.com/doc/2013-04-01/") {
			t.Fatalf("%s %s: HTTP %d %s", method, target, w.Code, w.Body.String())
		}
	})
}

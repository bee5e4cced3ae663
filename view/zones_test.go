package view_test

import (
	"fmt"
	"testing"
)

func TestView_DNSNamespacesAndServices(t *testing.T) {
	f := dnsFixture(t)
	var ids []string
	for _, ns := range f.view.DNSNamespaces() {
		ids = append(ids, ns.Id)
	}
	if got, want := fmt.Sprint(sorted(ids)), "[ns-other ns-priv ns-pub]"; got != want {
		t.Errorf("DNSNamespaces = %s, want %s (no HTTP namespace)", got, want)
	}
	cases := []struct{ ns, want string }{
		{"ns-priv", "[srv-web:1]"},
		{"ns-pub", "[srv-api:0]"},
		{"ns-other", "[]"},
		{"ns-unknown", "[]"},
	}
	for _, c := range cases {
		var got []string
		for _, e := range f.view.Services(c.ns) {
			got = append(got, fmt.Sprintf("%s:%d", e.Service.Id, len(e.Instances)))
		}
		if fmt.Sprint(sorted(got)) != c.want {
			t.Errorf("Services(%s) = %v, want %s", c.ns, got, c.want)
		}
	}
}

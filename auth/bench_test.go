package auth_test

import (
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/auth"
)

func BenchmarkAuthorize(b *testing.B) {
	const body = `{"NamespaceName":"open","ServiceName":"s","MaxResults":10}`
	reader := auth.Key{Name: "reader", AccessKeyID: "AKIDREADER", SecretAccessKey: "r",
		AllowedActions: []string{"servicediscovery:Discover*"}, AllowedNamespaces: []string{"ns-open"}}
	in := &cloudmap.DiscoverInstancesInput{NamespaceName: "open", ServiceName: "s", MaxResults: 10}
	cases := []struct {
		name string
		key  auth.Key
		rate float64
	}{
		{"full-access", admin, 0},
		{"scoped", reader, 0},
		{"scoped-rate-limited", reader, 1e12},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			a := newAuthorizer([]auth.Key{admin, reader}, func(cfg *auth.Config) { cfg.RateLimit = c.rate })
			r := sign(b, signing{id: c.key.AccessKeyID, secret: c.key.SecretAccessKey, op: "DiscoverInstances",
				url: "http://data-127.0.0.1:8080/"}, body)
			b.ReportAllocs()
			for b.Loop() {
				if err := authorize(a, r, []byte(body), "DiscoverInstances", in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseAuthorization(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := auth.ParseAuthorization(goodAuth); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckHeaders is the cost the header check before the body adds
// to every signed request (compare with BenchmarkAuthorize/full-access).
func BenchmarkCheckHeaders(b *testing.B) {
	a := newAuthorizer([]auth.Key{admin})
	r := sign(b, signing{op: "DiscoverInstances", url: "http://data-127.0.0.1:8080/"}, "{}")
	b.ReportAllocs()
	for b.Loop() {
		if err := a.CheckHeaders(r); err != nil {
			b.Fatal(err)
		}
	}
}

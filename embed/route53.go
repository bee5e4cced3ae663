package embed

import (
	"net/http"
	"strings"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/dnsserver"
	"github.com/cloudmap/cloudmap/route53api"
	"github.com/cloudmap/cloudmap/view"
)

// route53Zones is what the Route 53 API reads: the view's DNS namespaces
// and the record sets the DNS server answers from.
type route53Zones struct {
	view    *view.View
	servers []dnsserver.NameServer
}

func (z route53Zones) DNSNamespaces() []*cloudmap.Namespace { return z.view.DNSNamespaces() }

func (z route53Zones) RecordSets(ns *cloudmap.Namespace) []cloudmap.RecordSet {
	return dnsserver.RecordSets(z.view, ns, z.servers)
}

func (z route53Zones) RecordSetCount(ns *cloudmap.Namespace) int {
	return dnsserver.CountRecordSets(z.view, ns, z.servers)
}

// withRoute53 serves the Route 53 API (paths under /2013-04-01/) on the
// API listener beside the Cloud Map API, which gets every other request.
func (s *Server) withRoute53(cloudMap http.Handler) http.Handler {
	r53 := route53api.New(route53Zones{view: s.view, servers: s.cfg.DNSNameServers}, route53api.Config{
		Region: s.cfg.Region, Authorizer: s.auth, Logger: s.log.With("component", "route53"),
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, route53api.PathPrefix) {
			r53.ServeHTTP(w, r)
			return
		}
		cloudMap.ServeHTTP(w, r)
	})
}

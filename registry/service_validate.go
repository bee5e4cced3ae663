package registry

import (
	"github.com/cloudmap/cloudmap"
)

// normalizeDnsConfig checks a service's DnsConfig and returns a copy with
// the defaults filled in: RoutingPolicy MULTIVALUE when omitted, as real
// AWS output shows (docs/architecture.md). Allowed record combinations:
// any set of distinct types from A, AAAA and SRV (real AWS accepts A+SRV,
// which the model's documentation does not list), or CNAME alone, which
// requires WEIGHTED.
func normalizeDnsConfig(c *cloudmap.DnsConfig) (*cloudmap.DnsConfig, error) {
	out := *c
	out.DnsRecords = append([]cloudmap.DnsRecord(nil), c.DnsRecords...)
	switch out.RoutingPolicy {
	case "":
		out.RoutingPolicy = cloudmap.RoutingMultivalue
	case cloudmap.RoutingWeighted, cloudmap.RoutingMultivalue:
	default:
		return nil, invalid("DnsConfig.RoutingPolicy %q is not MULTIVALUE or WEIGHTED", out.RoutingPolicy)
	}
	if err := validateRecords(out.DnsRecords, "DnsConfig.DnsRecords"); err != nil {
		return nil, err
	}
	if _, ok := recordSet(out.DnsRecords)[cloudmap.RecordCNAME]; ok && out.RoutingPolicy != cloudmap.RoutingWeighted {
		return nil, invalid("DnsConfig.RoutingPolicy must be WEIGHTED for a CNAME record, not %s", out.RoutingPolicy)
	}
	return &out, nil
}

func recordSet(recs []cloudmap.DnsRecord) map[cloudmap.RecordType]bool {
	m := make(map[cloudmap.RecordType]bool, len(recs))
	for _, r := range recs {
		m[r.Type] = true
	}
	return m
}

// validateRecords checks types, TTLs, duplicates and combinations.
func validateRecords(recs []cloudmap.DnsRecord, field string) error {
	if len(recs) == 0 {
		return invalid("%s needs at least one record", field)
	}
	seen := map[cloudmap.RecordType]bool{}
	for _, r := range recs {
		switch r.Type {
		case cloudmap.RecordA, cloudmap.RecordAAAA, cloudmap.RecordSRV, cloudmap.RecordCNAME:
		default:
			return invalid("%s: record type %q is not A, AAAA, SRV or CNAME", field, r.Type)
		}
		if seen[r.Type] {
			return invalid("%s: record type %s appears more than once", field, r.Type)
		}
		seen[r.Type] = true
		if r.TTL < 0 || r.TTL > maxTTL {
			return invalid("%s: TTL %d of the %s record is out of range 0-%d", field, r.TTL, r.Type, maxTTL)
		}
	}
	if seen[cloudmap.RecordCNAME] && len(recs) > 1 {
		return invalid("%s: a CNAME record cannot be combined with other records (the combination is any of A, AAAA and SRV, or CNAME alone)", field)
	}
	return nil
}

// normalizeHealthCheck checks a HealthCheckConfig for a namespace of type t
// and a DnsConfig, returning a copy with defaults (FailureThreshold 1,
// ResourcePath "/" for HTTP and HTTPS).
//
// Where it is accepted follows the Cloud Map developer guide
// (https://docs.aws.amazon.com/cloud-map/latest/dg/services-health-checks.html):
// Route 53 health checks are associated with the records of public DNS
// namespaces, and created without a record for namespaces discovered by API
// calls (HTTP namespaces); the model says "Public DNS and HTTP namespaces
// only". Private DNS namespaces get InvalidInput, unless privateOK (the
// cloudmap extension --health-checks-private: cloudmap's checker, unlike
// Route 53's, can reach private addresses).
func normalizeHealthCheck(h *cloudmap.HealthCheckConfig, t cloudmap.NamespaceType, privateOK bool, dns *cloudmap.DnsConfig, field string) (*cloudmap.HealthCheckConfig, error) {
	if h == nil {
		return nil, nil
	}
	if t == cloudmap.NamespaceDNSPrivate && !privateOK {
		return nil, invalid("%s is not supported in a private DNS namespace; use HealthCheckCustomConfig "+
			"(or start cloudmap with --health-checks-private)", field)
	}
	if dns != nil && recordSet(dns.DnsRecords)[cloudmap.RecordCNAME] {
		return nil, invalid("%s cannot be used with a CNAME record", field)
	}
	out := *h
	switch out.Type {
	case cloudmap.HealthCheckHTTP, cloudmap.HealthCheckHTTPS:
		if out.ResourcePath == "" {
			out.ResourcePath = "/"
		}
	case cloudmap.HealthCheckTCP:
		if out.ResourcePath != "" {
			return nil, invalid("%s.ResourcePath must be empty for a TCP health check", field)
		}
	case "":
		return nil, invalid("%s.Type is required", field)
	default:
		return nil, invalid("%s.Type %q is not HTTP, HTTPS or TCP", field, out.Type)
	}
	if len(out.ResourcePath) > 255 {
		return nil, invalid("%s.ResourcePath is longer than 255 characters", field)
	}
	if out.FailureThreshold == 0 {
		out.FailureThreshold = 1
	}
	if out.FailureThreshold < 1 || out.FailureThreshold > 10 {
		return nil, invalid("%s.FailureThreshold %d is out of range 1-10", field, out.FailureThreshold)
	}
	return &out, nil
}

// normalizeCustomHealth checks a HealthCheckCustomConfig; its deprecated
// FailureThreshold must be in range when given and is always stored as 1.
func normalizeCustomHealth(c *cloudmap.HealthCheckCustomConfig) (*cloudmap.HealthCheckCustomConfig, error) {
	if c == nil {
		return nil, nil
	}
	if c.FailureThreshold < 0 || c.FailureThreshold > 10 {
		return nil, invalid("HealthCheckCustomConfig.FailureThreshold %d is out of range 1-10", c.FailureThreshold)
	}
	return &cloudmap.HealthCheckCustomConfig{FailureThreshold: 1}, nil
}

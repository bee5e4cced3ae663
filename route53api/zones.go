package route53api

import (
	"slices"
	"strings"

	"github.com/cloudmap/cloudmap"
)

// maxIDLen is the model's length limit of a ResourceId.
const maxIDLen = 32

// linkedPrincipal is the service principal of zones Cloud Map manages.
const linkedPrincipal = "servicediscovery.amazonaws.com"

// zoneARN is the ARN of a hosted zone, as IAM names it.
func zoneARN(id string) string {
	return "arn:aws:route53:::hostedzone/" + strings.TrimPrefix(id, "/hostedzone/")
}

// zoneIDOf returns the hosted zone id of a DNS namespace.
func zoneIDOf(ns *cloudmap.Namespace) string {
	if p := ns.Properties.DnsProperties; p != nil {
		return p.HostedZoneId
	}
	return ""
}

// parseZoneID checks a hosted zone id as sent (optionally prefixed with
// "/hostedzone/", as Route 53 returns ids) and returns it bare. member
// names the input member in the error.
func parseZoneID(member, raw string) (string, error) {
	id := strings.TrimPrefix(raw, "/hostedzone/")
	switch {
	case id == "":
		return "", invalid("%s: the hosted zone id is empty.", member)
	case len(id) > maxIDLen:
		return "", invalid("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d",
			clip(raw), member, maxIDLen)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return "", invalid("%s: '%s' is not a hosted zone id: only letters and digits are allowed.", member, clip(raw))
		}
	}
	return id, nil
}

// zone finds the zone a request names and checks the caller may see it.
func (h *Handler) zone(req *request) (*cloudmap.Namespace, error) {
	member := "Id"
	if req.op == "ListResourceRecordSets" {
		member = "HostedZoneId"
	}
	id, err := parseZoneID(member, req.zoneID)
	if err != nil {
		return nil, err
	}
	var found *cloudmap.Namespace
	for _, ns := range h.zones.DNSNamespaces() {
		if zoneIDOf(ns) == id {
			found = ns
			break
		}
	}
	if err := req.check(found, zoneARN(id)); err != nil {
		return nil, err
	}
	if found == nil {
		return nil, cloudmap.Errorf(errNoSuchHostedZone, "No hosted zone found with ID: %s", id)
	}
	return found, nil
}

// visibleZones returns the zones the caller may see.
func (h *Handler) visibleZones(req *request) []*cloudmap.Namespace {
	var out []*cloudmap.Namespace
	for _, ns := range h.zones.DNSNamespaces() {
		if zoneIDOf(ns) != "" && req.check(ns, zoneARN(zoneIDOf(ns))) == nil {
			out = append(out, ns)
		}
	}
	return out
}

// hostedZone renders the HostedZone of a namespace.
func (h *Handler) hostedZone(ns *cloudmap.Namespace) hostedZoneXML {
	return hostedZoneXML{
		Id:                     "/hostedzone/" + zoneIDOf(ns),
		Name:                   zoneName(ns),
		CallerReference:        ns.Id,
		Config:                 zoneConfigXML{PrivateZone: ns.Type == cloudmap.NamespaceDNSPrivate},
		ResourceRecordSetCount: int64(h.zones.RecordSetCount(ns)),
		LinkedService:          &linkedServiceXML{ServicePrincipal: linkedPrincipal, Description: ns.Arn},
	}
}

// zoneName is the name of a namespace's zone: lower case, fully qualified.
func zoneName(ns *cloudmap.Namespace) string {
	return canonical(ns.Name)
}

// canonical lower-cases the ASCII letters of a DNS name and adds the
// trailing dot.
func canonical(name string) string {
	name = strings.ToLower(name)
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

// reversed is the sort key of a name: its labels reversed, with a trailing
// dot ("www.example.com." sorts as "com.example.www."), as Route 53 sorts
// ListHostedZonesByName and ListResourceRecordSets.
func reversed(name string) string {
	labels := strings.Split(strings.TrimSuffix(canonical(name), "."), ".")
	slices.Reverse(labels)
	return strings.Join(labels, ".") + "."
}

// delegation returns the name server names of a zone (its apex NS record
// set) without their trailing dots, as DelegationSet lists them.
func delegation(ns *cloudmap.Namespace, sets []cloudmap.RecordSet) []string {
	apex := zoneName(ns)
	for _, rs := range sets {
		if rs.Type == "NS" && rs.Name == apex {
			out := make([]string, len(rs.Values))
			for i, v := range rs.Values {
				out[i] = strings.TrimSuffix(v, ".")
			}
			return out
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// regionOf returns the region of a namespace, from its ARN; def when the
// ARN names none.
func regionOf(ns *cloudmap.Namespace, def string) string {
	if parts := strings.SplitN(ns.Arn, ":", 6); len(parts) == 6 && parts[3] != "" {
		return parts[3]
	}
	return def
}

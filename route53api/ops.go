package route53api

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/cloudmap/cloudmap"
)

// Page sizes: Route 53's defaults, which are also its maximums; a larger
// MaxItems gets the maximum.
const (
	maxZones   = 100
	maxRecords = 300
)

// rrTypes are the values of the model's RRType enum.
var rrTypes = []string{"SOA", "A", "TXT", "NS", "CNAME", "MX", "NAPTR", "PTR", "SRV", "SPF", "AAAA", "CAA", "DS", "TLSA", "SSHFP", "SVCB", "HTTPS"}

func (h *Handler) getHostedZone(req *request) (any, error) {
	ns, err := h.zone(req)
	if err != nil {
		return nil, err
	}
	out := getHostedZoneResponse{HostedZone: h.hostedZone(ns)}
	if ns.Type == cloudmap.NamespaceDNSPrivate {
		out.VPCs = &vpcsXML{VPC: []vpcXML{{VPCRegion: regionOf(ns, h.region), VPCId: ns.Vpc}}}
	} else {
		out.DelegationSet = &delegationSetXML{NameServers: delegation(ns, h.zones.RecordSets(ns))}
	}
	return out, nil
}

func (h *Handler) getHostedZoneCount(req *request) (any, error) {
	return getHostedZoneCountResponse{HostedZoneCount: int64(len(h.visibleZones(req)))}, nil
}

func (h *Handler) listHostedZones(req *request) (any, error) {
	q := req.r.URL.Query()
	limit, err := maxItems(q.Get("maxitems"), maxZones)
	if err != nil {
		return nil, err
	}
	marker := q.Get("marker")
	if marker != "" {
		if marker, err = parseZoneID("Marker", marker); err != nil {
			return nil, err
		}
	}
	if q.Get("delegationsetid") != "" {
		return nil, cloudmap.Errorf(errNoSuchDelegationSet, "DelegationSetId: no reusable delegation set %s: cloudmap's zones use the name servers of --dns-nameservers.", clip(q.Get("delegationsetid")))
	}
	private := false
	switch t := q.Get("hostedzonetype"); t {
	case "":
	case "PrivateHostedZone":
		private = true
	default:
		return nil, invalid("1 validation error detected: Value '%s' at 'HostedZoneType' failed to satisfy constraint: Member must satisfy enum value set: [PrivateHostedZone]", clip(t))
	}
	var zones []*cloudmap.Namespace
	for _, ns := range h.visibleZones(req) {
		if !private || ns.Type == cloudmap.NamespaceDNSPrivate {
			zones = append(zones, ns)
		}
	}
	slices.SortFunc(zones, func(a, b *cloudmap.Namespace) int { return strings.Compare(zoneIDOf(a), zoneIDOf(b)) })
	start, _ := slices.BinarySearchFunc(zones, marker, func(ns *cloudmap.Namespace, m string) int { return strings.Compare(zoneIDOf(ns), m) })
	out := listHostedZonesResponse{Marker: q.Get("marker"), MaxItems: strconv.Itoa(limit), HostedZones: []hostedZoneXML{}}
	for _, ns := range zones[start:min(len(zones), start+limit)] {
		out.HostedZones = append(out.HostedZones, h.hostedZone(ns))
	}
	if next := start + limit; next < len(zones) {
		out.IsTruncated, out.NextMarker = true, zoneIDOf(zones[next])
	}
	return out, nil
}

func (h *Handler) listHostedZonesByName(req *request) (any, error) {
	q := req.r.URL.Query()
	limit, err := maxItems(q.Get("maxitems"), maxZones)
	if err != nil {
		return nil, err
	}
	dnsName, zoneID := q.Get("dnsname"), q.Get("hostedzoneid")
	if dnsName != "" {
		if !validName(dnsName) {
			return nil, cloudmap.Errorf(errInvalidDomainName, "DNSName: '%s' is not a valid domain name.", clip(dnsName))
		}
	}
	if zoneID != "" {
		if dnsName == "" {
			return nil, invalid("HostedZoneId: a hosted zone id requires DNSName too.")
		}
		if zoneID, err = parseZoneID("HostedZoneId", zoneID); err != nil {
			return nil, err
		}
	}
	zones := h.visibleZones(req)
	key := func(ns *cloudmap.Namespace) (string, string) { return reversed(ns.Name), zoneIDOf(ns) }
	slices.SortFunc(zones, func(a, b *cloudmap.Namespace) int {
		an, ai := key(a)
		bn, bi := key(b)
		return cmp.Or(strings.Compare(an, bn), strings.Compare(ai, bi))
	})
	start := 0
	if dnsName != "" {
		from := reversed(dnsName)
		start, _ = slices.BinarySearchFunc(zones, [2]string{from, zoneID}, func(ns *cloudmap.Namespace, t [2]string) int {
			n, i := key(ns)
			return cmp.Or(strings.Compare(n, t[0]), strings.Compare(i, t[1]))
		})
	}
	out := listHostedZonesByNameResponse{DNSName: dnsName, HostedZoneId: q.Get("hostedzoneid"), MaxItems: strconv.Itoa(limit),
		HostedZones: []hostedZoneXML{}}
	for _, ns := range zones[start:min(len(zones), start+limit)] {
		out.HostedZones = append(out.HostedZones, h.hostedZone(ns))
	}
	if next := start + limit; next < len(zones) {
		out.IsTruncated, out.NextDNSName, out.NextHostedZoneId = true, zoneName(zones[next]), zoneIDOf(zones[next])
	}
	return out, nil
}

// setKey is the sort key of a record set.
type setKey struct{ name, typ, id string }

func (k setKey) compare(o setKey) int {
	return cmp.Or(strings.Compare(k.name, o.name), strings.Compare(k.typ, o.typ), strings.Compare(k.id, o.id))
}

func (h *Handler) listResourceRecordSets(req *request) (any, error) {
	ns, err := h.zone(req)
	if err != nil {
		return nil, err
	}
	q := req.r.URL.Query()
	limit, err := maxItems(q.Get("maxitems"), maxRecords)
	if err != nil {
		return nil, err
	}
	from, err := startKey(q.Get("name"), q.Get("type"), q.Get("identifier"))
	if err != nil {
		return nil, err
	}
	sets := h.zones.RecordSets(ns)
	keys := make([]setKey, len(sets))
	order := make([]int, len(sets))
	for i, rs := range sets {
		keys[i], order[i] = setKey{reversed(rs.Name), rs.Type, rs.SetIdentifier}, i
	}
	slices.SortFunc(order, func(a, b int) int { return keys[a].compare(keys[b]) })
	start, _ := slices.BinarySearchFunc(order, from, func(i int, k setKey) int { return keys[i].compare(k) })
	out := listResourceRecordSetsResponse{MaxItems: strconv.Itoa(limit), ResourceRecordSets: []resourceRecordSetXML{}}
	for _, i := range order[start:min(len(order), start+limit)] {
		out.ResourceRecordSets = append(out.ResourceRecordSets, recordSetXML(sets[i]))
	}
	if next := start + limit; next < len(order) {
		n := sets[order[next]]
		out.IsTruncated, out.NextRecordName, out.NextRecordType, out.NextRecordIdentifier = true, n.Name, n.Type, n.SetIdentifier
	}
	return out, nil
}

// startKey checks StartRecordName, StartRecordType and
// StartRecordIdentifier and returns where the listing starts.
func startKey(name, typ, id string) (setKey, error) {
	switch {
	case typ != "" && name == "":
		return setKey{}, invalid("StartRecordType: a start record type requires StartRecordName too.")
	case id != "" && typ == "":
		return setKey{}, invalid("StartRecordIdentifier: a start record identifier requires StartRecordName and StartRecordType too.")
	case len(id) > 128:
		return setKey{}, invalid("1 validation error detected: Value '%s' at 'StartRecordIdentifier' failed to satisfy constraint: Member must have length less than or equal to 128", clip(id))
	case typ != "" && !slices.Contains(rrTypes, typ):
		return setKey{}, invalid("1 validation error detected: Value '%s' at 'StartRecordType' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
			clip(typ), strings.Join(rrTypes, ", "))
	}
	if name == "" {
		return setKey{}, nil
	}
	if !validName(name) {
		return setKey{}, invalid("StartRecordName: '%s' is not a valid domain name.", clip(name))
	}
	return setKey{reversed(name), typ, id}, nil
}

// recordSetXML renders a record set as Route 53 holds Cloud Map's: a
// per-instance set of a MULTIVALUE service is a multivalue answer record,
// one of a WEIGHTED service a weighted record of weight 1.
func recordSetXML(rs cloudmap.RecordSet) resourceRecordSetXML {
	out := resourceRecordSetXML{Name: rs.Name, Type: rs.Type, SetIdentifier: rs.SetIdentifier, TTL: rs.TTL}
	switch {
	case rs.SetIdentifier == "":
	case rs.Routing == cloudmap.RoutingMultivalue:
		t := true
		out.MultiValueAnswer = &t
	default:
		w := int64(1)
		out.Weight = &w
	}
	for _, v := range rs.Values {
		out.ResourceRecords = append(out.ResourceRecords, resourceRecordXML{Value: v})
	}
	return out
}

// maxItems parses a MaxItems query value: empty is def, a larger value is
// capped at def, anything but a positive integer is InvalidInput.
func maxItems(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, invalid("1 validation error detected: Value '%s' at 'MaxItems' failed to satisfy constraint: Member must be a positive integer", clip(s))
	}
	return min(n, def), nil
}

// validName reports whether s is a domain name Route 53 could hold: labels
// of 1 to 63 bytes without spaces or control characters, at most 255 bytes
// with the trailing dot ("." alone is the root).
func validName(s string) bool {
	if s == "." {
		return true
	}
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 254 {
		return false
	}
	for l := range strings.SplitSeq(s, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
		for i := 0; i < len(l); i++ {
			if l[i] <= ' ' || l[i] >= 0x7f {
				return false
			}
		}
	}
	return true
}

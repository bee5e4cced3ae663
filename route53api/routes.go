package route53api

import (
	"net/url"
	"strings"
)

// route is one Route 53 operation: its method and path below PathPrefix,
// with {Id} or {HostedZoneId} for the zone id and {x} for other segments.
// The table is every operation of the 2013-04-01 model, so that a write
// is refused by name and an unsupported read is named too.
type route struct {
	method, path, op string
}

// served are the operations this package answers; every other operation
// of routes is refused (writes) or unsupported (reads).
var served = map[string]bool{
	"GetHostedZone": true, "GetHostedZoneCount": true, "ListHostedZones": true,
	"ListHostedZonesByName": true, "ListResourceRecordSets": true,
}

// routes are the operations of the Route 53 model (method, request URI),
// as the aws-sdk-go-v2 route53 serializers and botocore send them.
var routes = []route{
	{"POST", "keysigningkey/{HostedZoneId}/{x}/activate", "ActivateKeySigningKey"},
	{"POST", "hostedzone/{Id}/associatevpc", "AssociateVPCWithHostedZone"},
	{"POST", "cidrcollection/{x}", "ChangeCidrCollection"},
	{"POST", "hostedzone/{Id}/rrset", "ChangeResourceRecordSets"},
	{"POST", "tags/hostedzone/{Id}", "ChangeTagsForResource"},
	{"POST", "tags/{x}/{x}", "ChangeTagsForResource"},
	{"POST", "cidrcollection", "CreateCidrCollection"},
	{"POST", "healthcheck", "CreateHealthCheck"},
	{"POST", "hostedzone", "CreateHostedZone"},
	{"POST", "keysigningkey", "CreateKeySigningKey"},
	{"POST", "queryloggingconfig", "CreateQueryLoggingConfig"},
	{"POST", "delegationset", "CreateReusableDelegationSet"},
	{"POST", "trafficpolicy", "CreateTrafficPolicy"},
	{"POST", "trafficpolicyinstance", "CreateTrafficPolicyInstance"},
	{"POST", "trafficpolicy/{x}", "CreateTrafficPolicyVersion"},
	{"POST", "hostedzone/{Id}/authorizevpcassociation", "CreateVPCAssociationAuthorization"},
	{"POST", "keysigningkey/{HostedZoneId}/{x}/deactivate", "DeactivateKeySigningKey"},
	{"DELETE", "cidrcollection/{x}", "DeleteCidrCollection"},
	{"DELETE", "healthcheck/{x}", "DeleteHealthCheck"},
	{"DELETE", "hostedzone/{Id}", "DeleteHostedZone"},
	{"DELETE", "keysigningkey/{HostedZoneId}/{x}", "DeleteKeySigningKey"},
	{"DELETE", "queryloggingconfig/{x}", "DeleteQueryLoggingConfig"},
	{"DELETE", "delegationset/{x}", "DeleteReusableDelegationSet"},
	{"DELETE", "trafficpolicy/{x}/{x}", "DeleteTrafficPolicy"},
	{"DELETE", "trafficpolicyinstance/{x}", "DeleteTrafficPolicyInstance"},
	{"POST", "hostedzone/{Id}/deauthorizevpcassociation", "DeleteVPCAssociationAuthorization"},
	{"POST", "hostedzone/{Id}/disable-dnssec", "DisableHostedZoneDNSSEC"},
	{"POST", "hostedzone/{Id}/disassociatevpc", "DisassociateVPCFromHostedZone"},
	{"POST", "hostedzone/{Id}/enable-dnssec", "EnableHostedZoneDNSSEC"},
	{"GET", "accountlimit/{x}", "GetAccountLimit"},
	{"GET", "change/{x}", "GetChange"},
	{"GET", "checkeripranges", "GetCheckerIpRanges"},
	{"GET", "hostedzone/{Id}/dnssec", "GetDNSSEC"},
	{"GET", "geolocation", "GetGeoLocation"},
	{"GET", "healthcheck/{x}", "GetHealthCheck"},
	{"GET", "healthcheckcount", "GetHealthCheckCount"},
	{"GET", "healthcheck/{x}/lastfailurereason", "GetHealthCheckLastFailureReason"},
	{"GET", "healthcheck/{x}/status", "GetHealthCheckStatus"},
	{"GET", "hostedzone/{Id}", "GetHostedZone"},
	{"GET", "hostedzonecount", "GetHostedZoneCount"},
	{"GET", "hostedzonelimit/{Id}/{x}", "GetHostedZoneLimit"},
	{"GET", "queryloggingconfig/{x}", "GetQueryLoggingConfig"},
	{"GET", "delegationset/{x}", "GetReusableDelegationSet"},
	{"GET", "reusabledelegationsetlimit/{x}/{x}", "GetReusableDelegationSetLimit"},
	{"GET", "trafficpolicy/{x}/{x}", "GetTrafficPolicy"},
	{"GET", "trafficpolicyinstance/{x}", "GetTrafficPolicyInstance"},
	{"GET", "trafficpolicyinstancecount", "GetTrafficPolicyInstanceCount"},
	{"GET", "cidrcollection/{x}/cidrblocks", "ListCidrBlocks"},
	{"GET", "cidrcollection", "ListCidrCollections"},
	{"GET", "cidrcollection/{x}", "ListCidrLocations"},
	{"GET", "geolocations", "ListGeoLocations"},
	{"GET", "healthcheck", "ListHealthChecks"},
	{"GET", "hostedzone", "ListHostedZones"},
	{"GET", "hostedzonesbyname", "ListHostedZonesByName"},
	{"GET", "hostedzonesbyvpc", "ListHostedZonesByVPC"},
	{"GET", "queryloggingconfig", "ListQueryLoggingConfigs"},
	{"GET", "hostedzone/{Id}/rrset", "ListResourceRecordSets"},
	{"GET", "delegationset", "ListReusableDelegationSets"},
	{"GET", "tags/{x}/{x}", "ListTagsForResource"},
	{"POST", "tags/{x}", "ListTagsForResources"},
	{"GET", "trafficpolicies", "ListTrafficPolicies"},
	{"GET", "trafficpolicyinstances", "ListTrafficPolicyInstances"},
	{"GET", "trafficpolicyinstances/hostedzone", "ListTrafficPolicyInstancesByHostedZone"},
	{"GET", "trafficpolicyinstances/trafficpolicy", "ListTrafficPolicyInstancesByPolicy"},
	{"GET", "trafficpolicies/{x}/versions", "ListTrafficPolicyVersions"},
	{"GET", "hostedzone/{Id}/authorizevpcassociation", "ListVPCAssociationAuthorizations"},
	{"GET", "testdnsanswer", "TestDNSAnswer"},
	{"POST", "healthcheck/{x}", "UpdateHealthCheck"},
	{"POST", "hostedzone/{Id}", "UpdateHostedZoneComment"},
	{"POST", "hostedzone/{Id}/features", "UpdateHostedZoneFeatures"},
	{"POST", "trafficpolicy/{x}/{x}", "UpdateTrafficPolicyComment"},
	{"POST", "trafficpolicyinstance/{x}", "UpdateTrafficPolicyInstance"},
}

// readOnly are the POST operations that change nothing.
var readOnly = map[string]bool{"ListTagsForResources": true}

// match finds the route of a request: rawPath is the escaped path (so an
// id sent as "%2Fhostedzone%2FZ1" stays one segment). It returns the
// operation and the zone id segment ("" when the route has none);
// ok is false when no operation has that method and path.
func match(method, rawPath string) (op, zoneID string, ok bool) {
	rest, found := strings.CutPrefix(rawPath, PathPrefix)
	if !found {
		return "", "", false
	}
	segs := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	for i, s := range segs {
		if u, err := url.PathUnescape(s); err == nil {
			segs[i] = u
		}
	}
	for _, rt := range routes {
		if rt.method != method {
			continue
		}
		if id, ok := matchPath(rt.path, segs); ok {
			return rt.op, id, true
		}
	}
	return "", "", false
}

// matchPath matches path segments against a route's pattern.
func matchPath(pattern string, segs []string) (zoneID string, ok bool) {
	pat := strings.Split(pattern, "/")
	if len(pat) != len(segs) {
		return "", false
	}
	for i, p := range pat {
		switch {
		case p == "{Id}" || p == "{HostedZoneId}":
			if segs[i] == "" {
				return "", false
			}
			zoneID = segs[i]
		case p == "{x}":
			if segs[i] == "" {
				return "", false
			}
		case p != segs[i]:
			return "", false
		}
	}
	return zoneID, true
}

// isWrite reports whether a method changes something.
func isWrite(method, op string) bool {
	return method != "GET" && !readOnly[op]
}

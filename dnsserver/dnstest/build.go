package dnstest

import (
	"fmt"
	"sort"

	cloudmap "github.com/cloudmap/cloudmap"
)

// Namespace returns a DNS namespace with the given ID, name, type and SOA TTL.
func Namespace(id, name string, typ cloudmap.NamespaceType, soaTTL int64) *cloudmap.Namespace {
	return &cloudmap.Namespace{Id: id, Name: name, Type: typ, Properties: cloudmap.NamespaceProperties{
		DnsProperties:  &cloudmap.DnsProperties{HostedZoneId: "Z" + id, SOA: cloudmap.NewSOA(soaTTL)},
		HttpProperties: &cloudmap.HttpProperties{HttpName: name},
	}}
}

// Service returns a DNS service of the namespace with the routing policy and
// records ("A", 60, "SRV", 30, ...: pairs of type and TTL).
func Service(ns *cloudmap.Namespace, name string, policy cloudmap.RoutingPolicy, records ...any) *cloudmap.Service {
	svc := &cloudmap.Service{Id: "srv-" + ns.Id + "-" + name, Name: name, NamespaceId: ns.Id,
		Type: cloudmap.ServiceDNSHTTP, DnsConfig: &cloudmap.DnsConfig{RoutingPolicy: policy}}
	for i := 0; i+1 < len(records); i += 2 {
		svc.DnsConfig.DnsRecords = append(svc.DnsConfig.DnsRecords, cloudmap.DnsRecord{
			Type: cloudmap.RecordType(fmt.Sprint(records[i])), TTL: int64(toInt(records[i+1]))})
	}
	return svc
}

func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	}
	return 0
}

// Instance returns an instance entry with the attributes given as pairs
// ("AWS_INSTANCE_IPV4", "10.0.0.1", ...) and the health status.
func Instance(id string, health cloudmap.HealthStatus, attrs ...string) cloudmap.InstanceEntry {
	m := map[string]string{}
	for i := 0; i+1 < len(attrs); i += 2 {
		m[attrs[i]] = attrs[i+1]
	}
	return cloudmap.InstanceEntry{Instance: &cloudmap.Instance{Id: id, Attributes: m}, Health: health}
}

// Entry returns a service entry with its instances sorted by ID, as the
// view publishes them.
func Entry(ns *cloudmap.Namespace, svc *cloudmap.Service, instances ...cloudmap.InstanceEntry) *cloudmap.ServiceEntry {
	sort.Slice(instances, func(i, j int) bool { return instances[i].Instance.Id < instances[j].Instance.Id })
	return &cloudmap.ServiceEntry{Service: svc, Namespace: ns, Instances: instances}
}

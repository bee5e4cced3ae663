package registry_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/registry"
)

// wantInvalidRule fails unless err is InvalidInput whose message names the
// member and the rule (each a substring of the message).
func wantInvalidRule(t testing.TB, err error, member, rule string) {
	t.Helper()
	var e *cloudmap.Error
	if !errors.As(err, &e) || e.Code != cloudmap.ErrInvalidInput {
		t.Fatalf("got %v, want InvalidInput naming %s and %q", err, member, rule)
	}
	if !strings.Contains(e.Message, member) || !strings.Contains(e.Message, rule) {
		t.Fatalf("message %q does not name member %s and rule %q", e.Message, member, rule)
	}
}

// TestCreateService_RecordCombinations accepts every record combination
// real AWS accepts (any set of distinct types from A, AAAA and SRV, CNAME
// alone with WEIGHTED), each with the routing policy MULTIVALUE when it is
// omitted, and refuses the others naming the rule.
func TestCreateService_RecordCombinations(t *testing.T) {
	e := newIdleEnv(t, registry.Config{})
	priv := e.privateNamespace(t, "combo.local")
	A, AAAA, SRV, CNAME := cloudmap.RecordA, cloudmap.RecordAAAA, cloudmap.RecordSRV, cloudmap.RecordCNAME
	good := [][]cloudmap.RecordType{{A}, {AAAA}, {SRV}, {A, AAAA}, {A, SRV}, {AAAA, SRV}, {A, AAAA, SRV}, {SRV, AAAA, A}}
	for i, types := range good {
		name := "s" + string(rune('a'+i))
		svc := e.service(t, &cloudmap.CreateServiceInput{Name: name, NamespaceId: priv, DnsConfig: dnsConfig("", types...)})
		if svc.DnsConfig.RoutingPolicy != cloudmap.RoutingMultivalue || len(svc.DnsConfig.DnsRecords) != len(types) {
			t.Errorf("%v: DnsConfig = %+v, want the records with MULTIVALUE", types, svc.DnsConfig)
		}
	}
	cname := e.service(t, &cloudmap.CreateServiceInput{Name: "c", NamespaceId: priv, DnsConfig: dnsConfig(cloudmap.RoutingWeighted, CNAME)})
	if cname.DnsConfig.RoutingPolicy != cloudmap.RoutingWeighted {
		t.Errorf("CNAME service = %+v", cname.DnsConfig)
	}
	bad := []struct {
		name         string
		dns          *cloudmap.DnsConfig
		member, rule string
	}{
		{"CNAME with A", dnsConfig(cloudmap.RoutingWeighted, CNAME, A), "DnsConfig.DnsRecords", "CNAME record cannot be combined"},
		{"SRV with CNAME", dnsConfig(cloudmap.RoutingWeighted, SRV, CNAME), "DnsConfig.DnsRecords", "CNAME record cannot be combined"},
		{"CNAME with the default policy", dnsConfig("", CNAME), "DnsConfig.RoutingPolicy", "must be WEIGHTED for a CNAME record, not MULTIVALUE"},
		{"duplicate type", dnsConfig("", A, SRV, A), "DnsConfig.DnsRecords", "record type A appears more than once"},
		{"no records", dnsConfig(""), "DnsConfig.DnsRecords", "needs at least one record"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.reg.CreateService(e.ctx, &cloudmap.CreateServiceInput{Name: "bad", NamespaceId: priv, DnsConfig: c.dns})
			wantInvalidRule(t, err, c.member, c.rule)
		})
	}
	if k := e.keys(t, cloudmap.PrefixService); len(k) != len(good)+1 {
		t.Errorf("stored services %v, want the %d accepted ones", k, len(good)+1)
	}
}

// TestRegisterInstance_RecordRequirements checks what each record type
// needs: A AWS_INSTANCE_IPV4, AAAA AWS_INSTANCE_IPV6, SRV AWS_INSTANCE_PORT
// and an IPv4 or IPv6 address.
func TestRegisterInstance_RecordRequirements(t *testing.T) {
	e := newIdleEnv(t, registry.Config{})
	priv := e.privateNamespace(t, "req.local")
	mk := func(name string, types ...cloudmap.RecordType) string {
		return e.service(t, &cloudmap.CreateServiceInput{Name: name, NamespaceId: priv, DnsConfig: dnsConfig("", types...)}).Id
	}
	aSRV := mk("a-srv", cloudmap.RecordA, cloudmap.RecordSRV)
	aaaaSRV := mk("aaaa-srv", cloudmap.RecordAAAA, cloudmap.RecordSRV)
	all := mk("all", cloudmap.RecordA, cloudmap.RecordAAAA, cloudmap.RecordSRV)
	srv := mk("srv", cloudmap.RecordSRV)
	const v4, v6, port = "AWS_INSTANCE_IPV4", "AWS_INSTANCE_IPV6", "AWS_INSTANCE_PORT"
	bad := []struct {
		name   string
		svc    string
		attrs  map[string]string
		member string
		rule   string
	}{
		{"A+SRV without IPv4", aSRV, attrs(v6, "2001:db8::1", port, "80"), v4, "is required"},
		{"A+SRV without port", aSRV, attrs(v4, "10.0.0.1"), port, "is required"},
		{"AAAA+SRV without IPv6", aaaaSRV, attrs(v4, "10.0.0.1", port, "80"), v6, "is required"},
		{"A+AAAA+SRV without IPv6", all, attrs(v4, "10.0.0.1", port, "80"), v6, "is required"},
		{"SRV without an address", srv, attrs(port, "80"), "AWS_INSTANCE_IPV4 or AWS_INSTANCE_IPV6", "is required"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: c.svc, InstanceId: "i", Attributes: c.attrs})
			wantInvalidRule(t, err, c.member, c.rule)
		})
	}
	e.register(t, aSRV, "i", attrs(v4, "10.0.0.1", port, "80"))
	e.register(t, aaaaSRV, "i", attrs(v6, "2001:db8::1", port, "80"))
	e.register(t, all, "i", attrs(v4, "10.0.0.1", v6, "2001:db8::1", port, "80"))
	e.register(t, srv, "i", attrs(v6, "2001:db8::1", port, "443"))
}

// TestUpdateService_TTLsNotTypes changes the TTLs of an A+SRV service and
// refuses to drop or add a record type.
func TestUpdateService_TTLsNotTypes(t *testing.T) {
	e := newIdleEnv(t, registry.Config{})
	priv := e.privateNamespace(t, "upd.local")
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "web", NamespaceId: priv, DnsConfig: dnsConfig("", cloudmap.RecordA, cloudmap.RecordSRV)})
	change := func(recs ...cloudmap.DnsRecord) *cloudmap.UpdateServiceInput {
		return &cloudmap.UpdateServiceInput{Id: svc.Id, Service: &cloudmap.ServiceChange{DnsConfig: &cloudmap.DnsConfigChange{DnsRecords: recs}}}
	}
	e.succeed(e.reg.UpdateService(e.ctx, change(cloudmap.DnsRecord{Type: "SRV", TTL: 5}, cloudmap.DnsRecord{Type: "A", TTL: 7})))
	got, _ := e.reg.GetService(e.ctx, &cloudmap.IdInput{Id: svc.Id})
	if a, _ := got.Service.Record(cloudmap.RecordA); a.TTL != 7 {
		t.Errorf("A TTL = %d, want 7", a.TTL)
	}
	if s, _ := got.Service.Record(cloudmap.RecordSRV); s.TTL != 5 {
		t.Errorf("SRV TTL = %d, want 5", s.TTL)
	}
	_, err := e.reg.UpdateService(e.ctx, change(cloudmap.DnsRecord{Type: "A", TTL: 1}))
	wantInvalidRule(t, err, "the SRV record of service "+svc.Id, "record types of a service cannot change")
	_, err = e.reg.UpdateService(e.ctx, change(cloudmap.DnsRecord{Type: "A"}, cloudmap.DnsRecord{Type: "SRV"}, cloudmap.DnsRecord{Type: "AAAA"}))
	wantInvalidRule(t, err, "no AAAA record", "record types of a service cannot change")
}

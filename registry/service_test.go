package registry_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/registry"
)

var srvIDPattern = regexp.MustCompile(`^srv-[a-z2-7]{16}$`)

func dnsConfig(policy cloudmap.RoutingPolicy, types ...cloudmap.RecordType) *cloudmap.DnsConfig {
	c := &cloudmap.DnsConfig{RoutingPolicy: policy}
	for _, t := range types {
		c.DnsRecords = append(c.DnsRecords, cloudmap.DnsRecord{Type: t, TTL: 60})
	}
	return c
}

func TestCreateService(t *testing.T) {
	e := newEnv(t, registry.Config{})
	priv := e.privateNamespace(t, "svc.local")
	httpNS := e.httpNamespace(t, "api")
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "web", NamespaceId: priv, Description: "front",
		DnsConfig: dnsConfig("", cloudmap.RecordA, cloudmap.RecordAAAA), CreatorRequestId: "r1",
		Tags: []cloudmap.Tag{{Key: "team", Value: "edge"}}})
	if !srvIDPattern.MatchString(svc.Id) || svc.Arn != "arn:aws:servicediscovery:us-east-1:123456789012:service/"+svc.Id ||
		svc.Type != cloudmap.ServiceDNSHTTP || svc.DnsConfig.RoutingPolicy != cloudmap.RoutingMultivalue ||
		svc.NamespaceId != priv || svc.CreatorRequestId != "r1" || svc.CreateDate.IsZero() || svc.CreatedByAccount != account {
		t.Errorf("service = %+v", svc)
	}
	// Type HTTP (or no DnsConfig) is an API-only service, even in a DNS namespace.
	api := e.service(t, &cloudmap.CreateServiceInput{Name: "api", NamespaceId: priv, Type: "HTTP"})
	if api.Type != cloudmap.ServiceHTTP || api.DnsConfig == nil || len(api.DnsConfig.DnsRecords) != 0 || api.DnsConfig.RoutingPolicy != "" {
		t.Errorf("HTTP service = %+v", api)
	}
	// Names collide case-insensitively in DNS namespaces, not in HTTP ones.
	_, err := e.reg.CreateService(e.ctx, &cloudmap.CreateServiceInput{Name: "WEB", NamespaceId: priv})
	ae := wantCode(t, err, cloudmap.ErrServiceAlreadyExists)
	if ae.Fields["ServiceId"] != svc.Id || ae.Fields["ServiceArn"] != svc.Arn || ae.Fields["CreatorRequestId"] != "r1" {
		t.Errorf("ServiceAlreadyExists fields = %v", ae.Fields)
	}
	e.service(t, &cloudmap.CreateServiceInput{Name: "web", NamespaceId: httpNS})
	e.service(t, &cloudmap.CreateServiceInput{Name: "WEB", NamespaceId: "arn:aws:servicediscovery:us-east-1:123456789012:namespace/" + httpNS})
	// GetService by id and by ARN, with InstanceCount and ServiceCount.
	for _, ref := range []string{svc.Id, svc.Arn} {
		got, err := e.reg.GetService(e.ctx, &cloudmap.IdInput{Id: ref})
		if err != nil || got.Service.Name != "web" || got.Service.InstanceCount != 0 {
			t.Errorf("GetService(%s) = %+v, %v", ref, got, err)
		}
	}
	ns, _ := e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: httpNS})
	if ns.Namespace.ServiceCount != 2 {
		t.Errorf("ServiceCount = %d, want 2", ns.Namespace.ServiceCount)
	}
	_, err = e.reg.GetService(e.ctx, &cloudmap.IdInput{Id: "srv-aaaaaaaaaaaaaaaa"})
	wantCode(t, err, cloudmap.ErrServiceNotFound)
	_, err = e.reg.CreateService(e.ctx, &cloudmap.CreateServiceInput{Name: "x", NamespaceId: "ns-aaaaaaaaaaaaaaaa"})
	wantCode(t, err, cloudmap.ErrNamespaceNotFound)
	_, err = e.reg.CreateService(e.ctx, &cloudmap.CreateServiceInput{Name: "x", NamespaceId: priv, Tags: manyTags(51)})
	wantCode(t, err, cloudmap.ErrTooManyTags)
}

func TestCreateService_Validation(t *testing.T) {
	e := newEnv(t, registry.Config{})
	priv := e.privateNamespace(t, "v.local")
	pub := e.publicNamespace(t, "v.example.com")
	httpNS := e.httpNamespace(t, "v")
	hc := func(typ cloudmap.HealthCheckType, path string, thr int32) *cloudmap.HealthCheckConfig {
		return &cloudmap.HealthCheckConfig{Type: typ, ResourcePath: path, FailureThreshold: thr}
	}
	cases := []struct {
		name string
		in   cloudmap.CreateServiceInput
	}{
		{"no name", cloudmap.CreateServiceInput{NamespaceId: priv}},
		{"no namespace", cloudmap.CreateServiceInput{Name: "a"}},
		{"unknown type", cloudmap.CreateServiceInput{Name: "a", NamespaceId: priv, Type: "DNS"}},
		{"type HTTP with DnsConfig", cloudmap.CreateServiceInput{Name: "a", NamespaceId: priv, Type: "HTTP", DnsConfig: dnsConfig("", cloudmap.RecordA)}},
		{"DnsConfig in HTTP namespace", cloudmap.CreateServiceInput{Name: "a", NamespaceId: httpNS, DnsConfig: dnsConfig("", cloudmap.RecordA)}},
		{"no records", cloudmap.CreateServiceInput{Name: "a", NamespaceId: priv, DnsConfig: dnsConfig("")}},
		{"duplicate type", cloudmap.CreateServiceInput{Name: "a", NamespaceId: priv, DnsConfig: dnsConfig("", cloudmap.RecordA, cloudmap.RecordA)}},
		{"SRV and CNAME", cloudmap.CreateServiceInput{Name: "a", NamespaceId: priv, DnsConfig: dnsConfig("", cloudmap.RecordSRV, cloudmap.RecordCNAME)}},
		{"unknown record type", cloudmap.CreateServiceInput{Name: "a", NamespaceId: priv, DnsConfig: dnsConfig("", "MX")}},
		{"CNAME multivalue", cloudmap.CreateServiceInput{Name: "a", NamespaceId: priv, DnsConfig: dnsConfig(cloudmap.RoutingMultivalue, cloudmap.RecordCNAME)}},
		{"unknown policy", cloudmap.CreateServiceInput{Name: "a", NamespaceId: priv, DnsConfig: dnsConfig("RANDOM", cloudmap.RecordA)}},
		{"negative TTL", cloudmap.CreateServiceInput{Name: "a", NamespaceId: priv, DnsConfig: &cloudmap.DnsConfig{DnsRecords: []cloudmap.DnsRecord{{Type: "A", TTL: -1}}}}},
		{"both health configs", cloudmap.CreateServiceInput{Name: "a", NamespaceId: pub, HealthCheckConfig: hc("TCP", "", 1), HealthCheckCustomConfig: &cloudmap.HealthCheckCustomConfig{}}},
		{"health check in private namespace", cloudmap.CreateServiceInput{Name: "a", NamespaceId: priv, HealthCheckConfig: hc("HTTP", "", 1)}},
		{"health check with CNAME", cloudmap.CreateServiceInput{Name: "a", NamespaceId: pub, DnsConfig: dnsConfig(cloudmap.RoutingWeighted, cloudmap.RecordCNAME), HealthCheckConfig: hc("HTTP", "", 1)}},
		{"TCP with path", cloudmap.CreateServiceInput{Name: "a", NamespaceId: pub, HealthCheckConfig: hc("TCP", "/x", 1)}},
		{"health check type missing", cloudmap.CreateServiceInput{Name: "a", NamespaceId: pub, HealthCheckConfig: hc("", "", 1)}},
		{"failure threshold 11", cloudmap.CreateServiceInput{Name: "a", NamespaceId: pub, HealthCheckConfig: hc("HTTP", "", 11)}},
		{"custom failure threshold 11", cloudmap.CreateServiceInput{Name: "a", NamespaceId: priv, HealthCheckCustomConfig: &cloudmap.HealthCheckCustomConfig{FailureThreshold: 11}}},
		{"namespace ids differ", cloudmap.CreateServiceInput{Name: "a", NamespaceId: priv, DnsConfig: &cloudmap.DnsConfig{NamespaceId: pub, DnsRecords: []cloudmap.DnsRecord{{Type: "A"}}}}},
		{"reserved tag", cloudmap.CreateServiceInput{Name: "a", NamespaceId: priv, Tags: []cloudmap.Tag{{Key: "AWS:k"}}}},
		{"name too long", cloudmap.CreateServiceInput{Name: strings.Repeat("a", 128), NamespaceId: priv}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.reg.CreateService(e.ctx, &c.in)
			wantCode(t, err, cloudmap.ErrInvalidInput)
		})
	}
	if k := e.keys(t, cloudmap.PrefixService); len(k) != 0 {
		t.Errorf("rejected requests stored services %v", k)
	}
	// What is accepted, with defaults filled in.
	good := []struct {
		name string
		in   cloudmap.CreateServiceInput
		want func(*cloudmap.Service) bool
	}{
		{"HTTP health check in public namespace defaults", cloudmap.CreateServiceInput{Name: "h1", NamespaceId: pub,
			DnsConfig: dnsConfig("", cloudmap.RecordA), HealthCheckConfig: hc("HTTP", "", 0)},
			func(s *cloudmap.Service) bool {
				return s.HealthCheckConfig.ResourcePath == "/" && s.HealthCheckConfig.FailureThreshold == 1
			}},
		{"health check in HTTP namespace", cloudmap.CreateServiceInput{Name: "h2", NamespaceId: httpNS, HealthCheckConfig: hc("TCP", "", 3)},
			func(s *cloudmap.Service) bool { return s.HealthCheckConfig.FailureThreshold == 3 }},
		{"custom health threshold is always 1", cloudmap.CreateServiceInput{Name: "h3", NamespaceId: priv,
			HealthCheckCustomConfig: &cloudmap.HealthCheckCustomConfig{FailureThreshold: 5}},
			func(s *cloudmap.Service) bool { return s.HealthCheckCustomConfig.FailureThreshold == 1 }},
		{"SRV", cloudmap.CreateServiceInput{Name: "_h4._tcp", NamespaceId: priv, DnsConfig: dnsConfig(cloudmap.RoutingMultivalue, cloudmap.RecordSRV)},
			func(s *cloudmap.Service) bool { return s.DnsConfig.RoutingPolicy == cloudmap.RoutingMultivalue }},
		{"CNAME weighted", cloudmap.CreateServiceInput{Name: "h5", NamespaceId: priv, DnsConfig: dnsConfig(cloudmap.RoutingWeighted, cloudmap.RecordCNAME)},
			func(s *cloudmap.Service) bool { return s.Type == cloudmap.ServiceDNSHTTP }},
		{"deprecated DnsConfig.NamespaceId", cloudmap.CreateServiceInput{Name: "h6", DnsConfig: &cloudmap.DnsConfig{NamespaceId: priv,
			DnsRecords: []cloudmap.DnsRecord{{Type: "A", TTL: 1}}}},
			func(s *cloudmap.Service) bool { return s.NamespaceId == priv }},
	}
	for _, c := range good {
		t.Run(c.name, func(t *testing.T) {
			out, err := e.reg.CreateService(e.ctx, &c.in)
			if err != nil {
				t.Fatal(err)
			}
			if !c.want(out.Service) {
				t.Errorf("service = %+v", out.Service)
			}
		})
	}
}

func TestUpdateService(t *testing.T) {
	e := newEnv(t, registry.Config{})
	pub := e.publicNamespace(t, "u.example.com")
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "web", NamespaceId: pub,
		DnsConfig: dnsConfig(cloudmap.RoutingMultivalue, cloudmap.RecordA, cloudmap.RecordAAAA)})
	e.register(t, svc.Id, "i-1", attrs("AWS_INSTANCE_IPV4", "10.0.0.1", "AWS_INSTANCE_IPV6", "::1"))
	if h := e.health(t, svc.Id, "i-1"); h != "" {
		t.Errorf("instance of a service without health check has health %q", h)
	}
	desc := "new"
	op := e.succeed(e.reg.UpdateService(e.ctx, &cloudmap.UpdateServiceInput{Id: svc.Id, Service: &cloudmap.ServiceChange{
		Description:       &desc,
		DnsConfig:         &cloudmap.DnsConfigChange{DnsRecords: []cloudmap.DnsRecord{{Type: "AAAA", TTL: 7}, {Type: "A", TTL: 5}}},
		HealthCheckConfig: &cloudmap.HealthCheckConfig{Type: "TCP"}}}))
	if op.Type != cloudmap.OpUpdateService || op.Targets[cloudmap.TargetService] != svc.Id {
		t.Errorf("operation = %+v", op)
	}
	got, _ := e.reg.GetService(e.ctx, &cloudmap.IdInput{Id: svc.Id})
	a, _ := got.Service.Record(cloudmap.RecordA)
	aaaa, _ := got.Service.Record(cloudmap.RecordAAAA)
	if got.Service.Description != "new" || a.TTL != 5 || aaaa.TTL != 7 || got.Service.HealthCheckConfig == nil ||
		got.Service.HealthCheckConfig.FailureThreshold != 1 || got.Service.InstanceCount != 1 {
		t.Errorf("service after update = %+v", got.Service)
	}
	if h := e.health(t, svc.Id, "i-1"); h != cloudmap.Healthy {
		t.Errorf("health after adding a health check = %q, want HEALTHY", h)
	}
	// Omitting HealthCheckConfig deletes it and the health records.
	e.succeed(e.reg.UpdateService(e.ctx, &cloudmap.UpdateServiceInput{Id: svc.Id, Service: &cloudmap.ServiceChange{}}))
	got, _ = e.reg.GetService(e.ctx, &cloudmap.IdInput{Id: svc.Id})
	if got.Service.HealthCheckConfig != nil || got.Service.Description != "new" {
		t.Errorf("service after second update = %+v", got.Service)
	}
	if h := e.health(t, svc.Id, "i-1"); h != "" {
		t.Errorf("health after removing the health check = %q", h)
	}

	priv := e.privateNamespace(t, "u.local")
	custom := e.service(t, &cloudmap.CreateServiceInput{Name: "c", NamespaceId: priv, DnsConfig: dnsConfig("", cloudmap.RecordA),
		HealthCheckCustomConfig: &cloudmap.HealthCheckCustomConfig{}})
	httpSvc := e.service(t, &cloudmap.CreateServiceInput{Name: "h", NamespaceId: e.httpNamespace(t, "u")})
	bad := []struct {
		name string
		in   cloudmap.UpdateServiceInput
	}{
		{"no change", cloudmap.UpdateServiceInput{Id: svc.Id}},
		{"record type changes", cloudmap.UpdateServiceInput{Id: svc.Id, Service: &cloudmap.ServiceChange{
			DnsConfig: &cloudmap.DnsConfigChange{DnsRecords: []cloudmap.DnsRecord{{Type: "A", TTL: 1}}}}}},
		{"record type added", cloudmap.UpdateServiceInput{Id: svc.Id, Service: &cloudmap.ServiceChange{
			DnsConfig: &cloudmap.DnsConfigChange{DnsRecords: []cloudmap.DnsRecord{{Type: "A"}, {Type: "AAAA"}, {Type: "SRV"}}}}}},
		{"HTTP namespace", cloudmap.UpdateServiceInput{Id: httpSvc.Id, Service: &cloudmap.ServiceChange{}}},
		{"health check in private namespace", cloudmap.UpdateServiceInput{Id: custom.Id, Service: &cloudmap.ServiceChange{
			HealthCheckConfig: &cloudmap.HealthCheckConfig{Type: "HTTP"}}}},
		{"bad threshold", cloudmap.UpdateServiceInput{Id: svc.Id, Service: &cloudmap.ServiceChange{
			HealthCheckConfig: &cloudmap.HealthCheckConfig{Type: "HTTP", FailureThreshold: 20}}}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.reg.UpdateService(e.ctx, &c.in)
			wantCode(t, err, cloudmap.ErrInvalidInput)
		})
	}
	_, err := e.reg.UpdateService(e.ctx, &cloudmap.UpdateServiceInput{Id: "srv-aaaaaaaaaaaaaaaa", Service: &cloudmap.ServiceChange{}})
	wantCode(t, err, cloudmap.ErrServiceNotFound)
}

func TestUpdateService_DuplicateRequest(t *testing.T) {
	e := newQueueingEnv(t, registry.Config{})
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "a", NamespaceId: seedNamespace(t, e, "dup.local")})
	first, err := e.reg.UpdateService(e.ctx, &cloudmap.UpdateServiceInput{Id: svc.Id, Service: &cloudmap.ServiceChange{}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.reg.UpdateService(e.ctx, &cloudmap.UpdateServiceInput{Id: svc.Id, Service: &cloudmap.ServiceChange{}})
	if de := wantCode(t, err, cloudmap.ErrDuplicateRequest); de.Fields["DuplicateOperationId"] != first.OperationId {
		t.Errorf("DuplicateOperationId = %q, want %q", de.Fields["DuplicateOperationId"], first.OperationId)
	}
	_, err = e.reg.DeleteService(e.ctx, &cloudmap.IdInput{Id: svc.Id})
	wantCode(t, err, cloudmap.ErrResourceInUse)
	e.startWorker(t)
	e.wait(t, first.OperationId)
	e.succeed(e.reg.UpdateService(e.ctx, &cloudmap.UpdateServiceInput{Id: svc.Id, Service: &cloudmap.ServiceChange{}}))
}

func TestDeleteService(t *testing.T) {
	e := newEnv(t, registry.Config{})
	nsID := e.httpNamespace(t, "del")
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "web", NamespaceId: nsID, CreatorRequestId: "req",
		Tags: []cloudmap.Tag{{Key: "a", Value: "b"}}})
	if _, err := e.reg.UpdateServiceAttributes(e.ctx, &cloudmap.UpdateServiceAttributesInput{ServiceId: svc.Id, Attributes: attrs("k", "v")}); err != nil {
		t.Fatal(err)
	}
	_, err := e.reg.DeleteNamespace(e.ctx, &cloudmap.IdInput{Id: nsID})
	wantCode(t, err, cloudmap.ErrResourceInUse)
	e.register(t, svc.Id, "i-1", attrs("k", "v"))
	_, err = e.reg.DeleteService(e.ctx, &cloudmap.IdInput{Id: svc.Id})
	wantCode(t, err, cloudmap.ErrResourceInUse)
	e.succeed(e.reg.DeregisterInstance(e.ctx, &cloudmap.InstanceInput{ServiceId: svc.Id, InstanceId: "i-1"}))
	if _, err := e.reg.DeleteService(e.ctx, &cloudmap.IdInput{Id: svc.Arn}); err != nil {
		t.Fatal(err)
	}
	_, err = e.reg.DeleteService(e.ctx, &cloudmap.IdInput{Id: svc.Id})
	wantCode(t, err, cloudmap.ErrServiceNotFound)
	for _, p := range []string{"tag/", "attr/", "idx/svcname/", "idem/svc/", "svc/", "inst/", "health/"} {
		if k := e.keys(t, p); len(k) != 0 {
			t.Errorf("after DeleteService keys %v remain", k)
		}
	}
	// The name and the CreatorRequestId are free again.
	again := e.service(t, &cloudmap.CreateServiceInput{Name: "web", NamespaceId: nsID, CreatorRequestId: "req"})
	if again.Id == svc.Id {
		t.Error("a new service got the deleted service's id")
	}
	_, err = e.reg.DeleteService(e.ctx, &cloudmap.IdInput{Id: again.Id})
	if err != nil {
		t.Fatal(err)
	}
	e.succeed(e.reg.DeleteNamespace(e.ctx, &cloudmap.IdInput{Id: nsID}))
}

func TestServiceAttributes(t *testing.T) {
	e := newEnv(t, registry.Config{})
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "a", NamespaceId: e.httpNamespace(t, "attrs")})
	update := func(m map[string]string) error {
		_, err := e.reg.UpdateServiceAttributes(e.ctx, &cloudmap.UpdateServiceAttributesInput{ServiceId: svc.Id, Attributes: m})
		return err
	}
	if err := update(attrs("color", "blue", "size", "xl")); err != nil {
		t.Fatal(err)
	}
	if err := update(attrs("size", "s")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.reg.DeleteServiceAttributes(e.ctx, &cloudmap.DeleteServiceAttributesInput{ServiceId: svc.Id, Attributes: []string{"color", "nope"}}); err != nil {
		t.Fatal(err)
	}
	got, err := e.reg.GetServiceAttributes(e.ctx, &cloudmap.ServiceIdInput{ServiceId: svc.Arn})
	if err != nil {
		t.Fatal(err)
	}
	if g, w := fmt.Sprint(got.ServiceAttributes.Attributes), "map[size:s]"; g != w || got.ServiceAttributes.ServiceArn != svc.Arn ||
		got.ServiceAttributes.ResourceOwner != account {
		t.Errorf("attributes = %s %+v, want %s", g, got.ServiceAttributes, w)
	}
	many := map[string]string{}
	for _, k := range seq("k", 30) {
		many[k] = "v"
	}
	wantCode(t, update(many), cloudmap.ErrServiceAttributesLimitExceeded)
	wantCode(t, update(nil), cloudmap.ErrInvalidInput)
	wantCode(t, update(attrs("k", strings.Repeat("v", 1025))), cloudmap.ErrInvalidInput)
	delete(many, "k000")
	if err := update(many); err != nil {
		t.Errorf("30 attributes in total: %v", err)
	}
	_, err = e.reg.GetServiceAttributes(e.ctx, &cloudmap.ServiceIdInput{ServiceId: "srv-aaaaaaaaaaaaaaaa"})
	wantCode(t, err, cloudmap.ErrServiceNotFound)
	_, err = e.reg.DeleteServiceAttributes(e.ctx, &cloudmap.DeleteServiceAttributesInput{ServiceId: svc.Id})
	wantCode(t, err, cloudmap.ErrInvalidInput)
}

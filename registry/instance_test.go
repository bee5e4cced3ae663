package registry_test

import (
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/registry"
)

func TestRegisterInstance_Lifecycle(t *testing.T) {
	e := newEnv(t, registry.Config{})
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "api", NamespaceId: e.httpNamespace(t, "inst")})
	out, err := e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: "i-1",
		CreatorRequestId: "c1", Attributes: attrs("AWS_INSTANCE_IPV4", "10.0.0.1", "v", "1")})
	if err != nil {
		t.Fatal(err)
	}
	op := e.wait(t, out.OperationId)
	if op.Status != cloudmap.OpSuccess || op.Type != cloudmap.OpRegisterInstance ||
		op.Targets[cloudmap.TargetInstance] != "i-1" || op.Targets[cloudmap.TargetService] != svc.Id {
		t.Fatalf("operation = %+v", op)
	}
	got, err := e.reg.GetInstance(e.ctx, &cloudmap.InstanceInput{ServiceId: svc.Id, InstanceId: "i-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got.ResourceOwner != account || got.Instance.Id != "i-1" || got.Instance.CreatorRequestId != "c1" ||
		got.Instance.Attributes["v"] != "1" || got.Instance.CreatedByAccount != account {
		t.Errorf("instance = %+v", got.Instance)
	}
	// Re-registering replaces the attributes (upsert).
	e.register(t, svc.Id, "i-1", attrs("AWS_INSTANCE_IPV4", "10.9.9.9"))
	got, _ = e.reg.GetInstance(e.ctx, &cloudmap.InstanceInput{ServiceId: svc.Id, InstanceId: "i-1"})
	if len(got.Instance.Attributes) != 1 || got.Instance.Attributes["AWS_INSTANCE_IPV4"] != "10.9.9.9" {
		t.Errorf("after re-register attributes = %v", got.Instance.Attributes)
	}
	op = e.succeed(e.reg.DeregisterInstance(e.ctx, &cloudmap.InstanceInput{ServiceId: svc.Id, InstanceId: "i-1"}))
	if op.Type != cloudmap.OpDeregisterInstance || op.Targets[cloudmap.TargetInstance] != "i-1" {
		t.Errorf("deregister operation = %+v", op)
	}
	_, err = e.reg.GetInstance(e.ctx, &cloudmap.InstanceInput{ServiceId: svc.Id, InstanceId: "i-1"})
	wantCode(t, err, cloudmap.ErrInstanceNotFound)
	_, err = e.reg.DeregisterInstance(e.ctx, &cloudmap.InstanceInput{ServiceId: svc.Id, InstanceId: "i-1"})
	wantCode(t, err, cloudmap.ErrInstanceNotFound)
	_, err = e.reg.GetInstance(e.ctx, &cloudmap.InstanceInput{ServiceId: "srv-aaaaaaaaaaaaaaaa", InstanceId: "i-1"})
	wantCode(t, err, cloudmap.ErrServiceNotFound)
	_, err = e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: "srv-aaaaaaaaaaaaaaaa", InstanceId: "x", Attributes: attrs("a", "b")})
	wantCode(t, err, cloudmap.ErrServiceNotFound)
	_, err = e.reg.DeregisterInstance(e.ctx, &cloudmap.InstanceInput{ServiceId: "srv-aaaaaaaaaaaaaaaa", InstanceId: "x"})
	wantCode(t, err, cloudmap.ErrServiceNotFound)
}

func TestRegisterInstance_Attributes(t *testing.T) {
	e := newIdleEnv(t, registry.Config{})
	priv := seedNamespace(t, e, "attr.local")
	mk := func(name string, dns *cloudmap.DnsConfig, custom bool) string {
		in := &cloudmap.CreateServiceInput{Name: name, NamespaceId: priv, DnsConfig: dns}
		if custom {
			in.HealthCheckCustomConfig = &cloudmap.HealthCheckCustomConfig{}
		}
		return e.service(t, in).Id
	}
	a := mk("a", dnsConfig(cloudmap.RoutingWeighted, cloudmap.RecordA), false)
	aaaa := mk("aaaa", dnsConfig("", cloudmap.RecordAAAA), false)
	srv := mk("srv", dnsConfig("", cloudmap.RecordSRV), false)
	cname := mk("cname", dnsConfig(cloudmap.RoutingWeighted, cloudmap.RecordCNAME), false)
	custom := mk("custom", dnsConfig("", cloudmap.RecordA), true)
	multi := mk("multi", dnsConfig(cloudmap.RoutingMultivalue, cloudmap.RecordA), false)
	api := mk("api", nil, false)
	tooMany := map[string]string{}
	for _, k := range seq("k", 31) {
		tooMany[k] = "v"
	}
	cases := []struct {
		name    string
		svc, id string
		attrs   map[string]string
		ok      bool
	}{
		{"A ok", a, "i", attrs("AWS_INSTANCE_IPV4", "192.0.2.1"), true},
		{"A missing IPv4", a, "i", attrs("x", "y"), false},
		{"A bad IPv4", a, "i", attrs("AWS_INSTANCE_IPV4", "300.1.1.1"), false},
		{"A IPv6 as IPv4", a, "i", attrs("AWS_INSTANCE_IPV4", "::1"), false},
		{"AAAA ok", aaaa, "i", attrs("AWS_INSTANCE_IPV6", "2001:db8::1"), true},
		{"AAAA missing", aaaa, "i", attrs("AWS_INSTANCE_IPV4", "192.0.2.1"), false},
		{"AAAA bad", aaaa, "i", attrs("AWS_INSTANCE_IPV6", "10.0.0.1"), false},
		{"SRV ok", srv, "i", attrs("AWS_INSTANCE_IPV6", "2001:db8::1", "AWS_INSTANCE_PORT", "443"), true},
		{"SRV no port", srv, "i", attrs("AWS_INSTANCE_IPV4", "192.0.2.1"), false},
		{"SRV no address", srv, "i", attrs("AWS_INSTANCE_PORT", "80"), false},
		{"SRV port 0", srv, "i", attrs("AWS_INSTANCE_IPV4", "192.0.2.1", "AWS_INSTANCE_PORT", "0"), false},
		{"SRV port 65536", srv, "i", attrs("AWS_INSTANCE_IPV4", "192.0.2.1", "AWS_INSTANCE_PORT", "65536"), false},
		{"CNAME ok", cname, "i", attrs("AWS_INSTANCE_CNAME", "example.com"), true},
		{"CNAME missing", cname, "i", attrs("AWS_INSTANCE_IPV4", "192.0.2.1"), false},
		{"init health on custom", custom, "i", attrs("AWS_INSTANCE_IPV4", "192.0.2.1", "AWS_INIT_HEALTH_STATUS", "UNHEALTHY"), true},
		{"init health bad value", custom, "i", attrs("AWS_INSTANCE_IPV4", "192.0.2.1", "AWS_INIT_HEALTH_STATUS", "UNKNOWN"), false},
		{"init health without custom", a, "i", attrs("AWS_INSTANCE_IPV4", "192.0.2.1", "AWS_INIT_HEALTH_STATUS", "HEALTHY"), false},
		{"alias ok", a, "i", attrs("AWS_ALIAS_DNS_NAME", "lb.example.com"), true},
		{"alias with IPv4", a, "i", attrs("AWS_ALIAS_DNS_NAME", "lb.example.com", "AWS_INSTANCE_IPV4", "192.0.2.1"), false},
		{"alias multivalue", multi, "i", attrs("AWS_ALIAS_DNS_NAME", "lb.example.com"), false},
		{"alias SRV", srv, "i", attrs("AWS_ALIAS_DNS_NAME", "lb.example.com"), false},
		{"EC2 id in DNS namespace", api, "i", attrs("AWS_EC2_INSTANCE_ID", "i-0123"), false},
		{"custom attributes only", api, "i", attrs("color", "blue"), true},
		{"no attributes", api, "i", nil, false},
		{"31 custom attributes", api, "i", tooMany, false},
		{"too large", api, "i", attrs("a", strings.Repeat("v", 1024), "b", strings.Repeat("v", 1024), "c", strings.Repeat("v", 1024),
			"d", strings.Repeat("v", 1024), "e", strings.Repeat("v", 1024)), false},
		{"value too long", api, "i", attrs("a", strings.Repeat("v", 1025)), false},
		{"instance id with space", api, "a b", attrs("a", "b"), false},
		{"instance id too long", api, strings.Repeat("i", 65), attrs("a", "b"), false},
		{"instance id empty", api, "", attrs("a", "b"), false},
		{"instance id symbols", api, "a_b/c:d.e@f-g", attrs("a", "b"), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: c.svc, InstanceId: c.id + "-" + strings.ReplaceAll(c.name, " ", "-"), Attributes: c.attrs})
			if c.id == "" {
				_, err = e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: c.svc, Attributes: c.attrs})
			}
			if c.ok && err != nil {
				t.Errorf("got %v, want success", err)
			}
			if !c.ok {
				wantCode(t, err, cloudmap.ErrInvalidInput)
			}
		})
	}
}

func TestRegisterInstance_EC2InHTTPNamespace(t *testing.T) {
	e := newEnv(t, registry.Config{})
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "a", NamespaceId: e.httpNamespace(t, "ec2")})
	e.register(t, svc.Id, "i-1", attrs("AWS_EC2_INSTANCE_ID", "i-0123456789"))
	_, err := e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: "i-2",
		Attributes: attrs("AWS_EC2_INSTANCE_ID", "i-0123456789", "color", "blue")})
	wantCode(t, err, cloudmap.ErrInvalidInput)
}

func TestRegisterInstance_Health(t *testing.T) {
	e := newEnv(t, registry.Config{})
	pub := e.publicNamespace(t, "h.example.com")
	priv := e.privateNamespace(t, "h.local")
	checked := e.service(t, &cloudmap.CreateServiceInput{Name: "checked", NamespaceId: pub, DnsConfig: dnsConfig("", cloudmap.RecordA),
		HealthCheckConfig: &cloudmap.HealthCheckConfig{Type: "HTTP"}})
	custom := e.service(t, &cloudmap.CreateServiceInput{Name: "custom", NamespaceId: priv, DnsConfig: dnsConfig("", cloudmap.RecordA),
		HealthCheckCustomConfig: &cloudmap.HealthCheckCustomConfig{}})
	plain := e.service(t, &cloudmap.CreateServiceInput{Name: "plain", NamespaceId: priv, DnsConfig: dnsConfig("", cloudmap.RecordA)})

	_, err := e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: checked.Id, InstanceId: "x",
		Attributes: attrs("AWS_INSTANCE_IPV4", "192.0.2.1")})
	wantCode(t, err, cloudmap.ErrInvalidInput) // a health-checked instance needs a port
	e.register(t, checked.Id, "c-1", attrs("AWS_INSTANCE_IPV4", "192.0.2.1", "AWS_INSTANCE_PORT", "80"))
	e.register(t, custom.Id, "u-1", attrs("AWS_INSTANCE_IPV4", "192.0.2.2"))
	e.register(t, custom.Id, "u-2", attrs("AWS_INSTANCE_IPV4", "192.0.2.3", "AWS_INIT_HEALTH_STATUS", "UNHEALTHY"))
	e.register(t, plain.Id, "p-1", attrs("AWS_INSTANCE_IPV4", "192.0.2.4"))
	for _, c := range []struct {
		svc, inst string
		want      cloudmap.HealthStatus
	}{
		{checked.Id, "c-1", cloudmap.Healthy},
		{custom.Id, "u-1", cloudmap.Healthy},
		{custom.Id, "u-2", cloudmap.Unhealthy},
		{plain.Id, "p-1", ""},
	} {
		if got := e.health(t, c.svc, c.inst); got != c.want {
			t.Errorf("initial health of %s = %q, want %q", c.inst, got, c.want)
		}
	}
	// Custom health: changes are written only when they change something.
	update := func(svc, inst string, st cloudmap.HealthStatus) error {
		_, err := e.reg.UpdateInstanceCustomHealthStatus(e.ctx, &cloudmap.UpdateInstanceCustomHealthStatusInput{ServiceId: svc, InstanceId: inst, Status: st})
		return err
	}
	if err := update(custom.Id, "u-1", cloudmap.Unhealthy); err != nil {
		t.Fatal(err)
	}
	if got := e.health(t, custom.Id, "u-1"); got != cloudmap.Unhealthy {
		t.Errorf("health after update = %q", got)
	}
	rev, _ := e.store.Revision(e.ctx)
	if err := update(custom.Id, "u-1", cloudmap.Unhealthy); err != nil {
		t.Fatal(err)
	}
	if rev2, _ := e.store.Revision(e.ctx); rev2 != rev {
		t.Errorf("an unchanged status was written: revision %d -> %d", rev, rev2)
	}
	wantCode(t, update(checked.Id, "c-1", cloudmap.Healthy), cloudmap.ErrCustomHealthNotFound)
	wantCode(t, update(plain.Id, "p-1", cloudmap.Healthy), cloudmap.ErrCustomHealthNotFound)
	wantCode(t, update(custom.Id, "nope", cloudmap.Healthy), cloudmap.ErrInstanceNotFound)
	wantCode(t, update("srv-aaaaaaaaaaaaaaaa", "u-1", cloudmap.Healthy), cloudmap.ErrServiceNotFound)
	wantCode(t, update(custom.Id, "u-1", cloudmap.Unknown), cloudmap.ErrInvalidInput)

	// SetHealth, the health checker's entry.
	for _, c := range []struct {
		st   cloudmap.HealthStatus
		want bool
	}{{cloudmap.Unhealthy, true}, {cloudmap.Unhealthy, false}, {cloudmap.Healthy, true}} {
		changed, err := e.reg.SetHealth(e.ctx, checked.Id, "c-1", c.st)
		if err != nil || changed != c.want {
			t.Errorf("SetHealth(%s) = %v, %v; want %v", c.st, changed, err, c.want)
		}
	}
	_, err = e.reg.SetHealth(e.ctx, checked.Id, "nope", cloudmap.Healthy)
	wantCode(t, err, cloudmap.ErrInstanceNotFound)
	_, err = e.reg.SetHealth(e.ctx, checked.Id, "c-1", "SICK")
	wantCode(t, err, cloudmap.ErrInvalidInput)
	// Deregistering deletes the health record.
	e.succeed(e.reg.DeregisterInstance(e.ctx, &cloudmap.InstanceInput{ServiceId: custom.Id, InstanceId: "u-1"}))
	if got := e.health(t, custom.Id, "u-1"); got != "" {
		t.Errorf("health after deregister = %q", got)
	}
}

func TestRegisterInstance_DuplicateRequest(t *testing.T) {
	e := newQueueingEnv(t, registry.Config{})
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "a", NamespaceId: seedNamespace(t, e, "dup.local")})
	in := &cloudmap.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: "i-1", Attributes: attrs("a", "b")}
	first, err := e.reg.RegisterInstance(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.reg.RegisterInstance(e.ctx, in)
	if de := wantCode(t, err, cloudmap.ErrDuplicateRequest); de.Fields["DuplicateOperationId"] != first.OperationId {
		t.Errorf("DuplicateOperationId = %q, want %q", de.Fields["DuplicateOperationId"], first.OperationId)
	}
	_, err = e.reg.DeregisterInstance(e.ctx, &cloudmap.InstanceInput{ServiceId: svc.Id, InstanceId: "i-1"})
	wantCode(t, err, cloudmap.ErrDuplicateRequest)
	_, err = e.reg.DeleteService(e.ctx, &cloudmap.IdInput{Id: svc.Id})
	wantCode(t, err, cloudmap.ErrResourceInUse)
	// Another instance is another target.
	if _, err := e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: "i-2", Attributes: attrs("a", "b")}); err != nil {
		t.Fatal(err)
	}
	e.startWorker(t)
	e.wait(t, first.OperationId)
	e.succeed(e.reg.DeregisterInstance(e.ctx, &cloudmap.InstanceInput{ServiceId: svc.Id, InstanceId: "i-1"}))
}

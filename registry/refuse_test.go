package registry_test

import (
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/registry"
)

// TestNamespace_DNSNames refuses private and public DNS namespace names
// that are not DNS names; HTTP namespace names are not DNS names.
func TestNamespace_DNSNames(t *testing.T) {
	e := newIdleEnv(t, registry.Config{})
	label63 := strings.Repeat("a", 63)
	bad := []struct{ name, rule string }{
		{"a..local", "empty label"},
		{".local", "empty label"},
		{label63 + "a.local", "at most 63"},
		{strings.Repeat(label63+".", 4)[:254], "longer than 253"},
		{".", "no label"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.reg.CreatePrivateDnsNamespace(e.ctx, &cloudmap.CreatePrivateDnsNamespaceInput{Name: c.name, Vpc: "vpc-1"})
			wantInvalidRule(t, err, "Name", c.rule)
		})
	}
	_, err := e.reg.CreatePublicDnsNamespace(e.ctx, &cloudmap.CreatePublicDnsNamespaceInput{Name: label63 + "a.com"})
	wantInvalidRule(t, err, "Name", "not a valid domain name")
	if k := e.keys(t, cloudmap.PrefixNamespace); len(k) != 0 {
		t.Errorf("refused namespaces stored: %v", k)
	}
	e.privateNamespace(t, label63+".local.")
	e.privateNamespace(t, strings.Repeat(label63+".", 4)[:253])
	e.httpNamespace(t, "a..b")
}

// TestRegisterInstance_Port takes AWS_INSTANCE_PORT only in the canonical
// decimal form of 1-65535.
func TestRegisterInstance_Port(t *testing.T) {
	e := newIdleEnv(t, registry.Config{})
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "p", NamespaceId: e.httpNamespace(t, "port")})
	for _, p := range []string{"+80", "0080", "0", "65536", "80.0", " 80", "", "1e3", "99999999999999999999"} {
		t.Run(p, func(t *testing.T) {
			_, err := e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: "i",
				Attributes: attrs("AWS_INSTANCE_PORT", p)})
			wantInvalidRule(t, err, "AWS_INSTANCE_PORT", "a decimal number 1-65535 without sign or leading zeros")
		})
	}
	for _, p := range []string{"1", "80", "65535"} {
		e.register(t, svc.Id, "i-"+p, attrs("AWS_INSTANCE_PORT", p))
	}
}

// TestSRVTargets_Collide refuses an instance whose SRV target
// <instance>.<service> is another service's record name, and a service
// whose record name is an existing SRV target, naming both, without regard
// to case; services without DNS records have no record name.
func TestSRVTargets_Collide(t *testing.T) {
	e := newIdleEnv(t, registry.Config{})
	priv := e.privateNamespace(t, "srv.local")
	web := e.service(t, &cloudmap.CreateServiceInput{Name: "web", NamespaceId: priv, DnsConfig: dnsConfig("", cloudmap.RecordSRV, cloudmap.RecordA)})
	e.register(t, web.Id, "api", attrs("AWS_INSTANCE_IPV4", "10.0.0.1", "AWS_INSTANCE_PORT", "80"))
	for _, name := range []string{"api.web", "API.Web"} {
		_, err := e.reg.CreateService(e.ctx, &cloudmap.CreateServiceInput{Name: name, NamespaceId: priv, DnsConfig: dnsConfig("", cloudmap.RecordA)})
		wantInvalidRule(t, err, "Name \""+name+"\"", "SRV target of instance api of service web ("+web.Id+")")
	}
	// Instance ids may hold dots: the target of v1.api is v1.api.web.
	e.register(t, web.Id, "v1.api", attrs("AWS_INSTANCE_IPV4", "10.0.0.4", "AWS_INSTANCE_PORT", "80"))
	_, err := e.reg.CreateService(e.ctx, &cloudmap.CreateServiceInput{Name: "v1.api.web", NamespaceId: priv, DnsConfig: dnsConfig("", cloudmap.RecordA)})
	wantInvalidRule(t, err, `Name "v1.api.web"`, "SRV target of instance v1.api of service web")
	e.service(t, &cloudmap.CreateServiceInput{Name: "api.web", NamespaceId: priv}) // no DNS records: no name
	other := e.service(t, &cloudmap.CreateServiceInput{Name: "db.web", NamespaceId: priv, DnsConfig: dnsConfig("", cloudmap.RecordA)})
	for _, id := range []string{"db", "DB"} {
		_, err := e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: web.Id, InstanceId: id,
			Attributes: attrs("AWS_INSTANCE_IPV4", "10.0.0.2", "AWS_INSTANCE_PORT", "80")})
		wantInvalidRule(t, err, "InstanceId \""+id+"\"", "is the record name of service db.web ("+other.Id+")")
	}
	if k := e.keys(t, cloudmap.InstancePrefix(web.Id)); len(k) != 2 {
		t.Errorf("instances of web: %v, want api and v1.api only", k)
	}
	// Services without SRV records make no targets.
	plain := e.service(t, &cloudmap.CreateServiceInput{Name: "plain", NamespaceId: priv, DnsConfig: dnsConfig("", cloudmap.RecordA)})
	e.register(t, plain.Id, "x", attrs("AWS_INSTANCE_IPV4", "10.0.0.3"))
	e.service(t, &cloudmap.CreateServiceInput{Name: "x.plain", NamespaceId: priv, DnsConfig: dnsConfig("", cloudmap.RecordA)})
}

// TestARN_Partition finds nothing by an ARN whose partition is not aws.
func TestARN_Partition(t *testing.T) {
	e := newIdleEnv(t, registry.Config{})
	nsID := e.httpNamespace(t, "part")
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "s", NamespaceId: nsID})
	for _, part := range []string{"aws-cn", "aws-us-gov", "AWS"} {
		svcArn := strings.Replace(svc.Arn, "arn:aws:", "arn:"+part+":", 1)
		nsArn := "arn:" + part + ":servicediscovery:us-east-1:123456789012:namespace/" + nsID
		_, err := e.reg.GetService(e.ctx, &cloudmap.IdInput{Id: svcArn})
		wantMessage(t, err, cloudmap.ErrServiceNotFound, `service "`+svcArn+`" not found`)
		_, err = e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: nsArn})
		wantMessage(t, err, cloudmap.ErrNamespaceNotFound, `namespace "`+nsArn+`" not found`)
		_, err = e.reg.ListTagsForResource(e.ctx, &cloudmap.ResourceARNInput{ResourceARN: svcArn})
		wantMessage(t, err, cloudmap.ErrResourceNotFound, `resource "`+svcArn+`" not found`)
	}
	if _, err := e.reg.GetService(e.ctx, &cloudmap.IdInput{Id: svc.Arn}); err != nil {
		t.Errorf("GetService by its aws ARN: %v", err)
	}
}

// TestNotFound_Wording: every NotFound names the id in one wording.
func TestNotFound_Wording(t *testing.T) {
	e := newIdleEnv(t, registry.Config{})
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "s", NamespaceId: e.httpNamespace(t, "nf")})
	_, err := e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: "ns-missing"})
	wantMessage(t, err, cloudmap.ErrNamespaceNotFound, `namespace "ns-missing" not found`)
	_, err = e.reg.GetService(e.ctx, &cloudmap.IdInput{Id: "srv-missing"})
	wantMessage(t, err, cloudmap.ErrServiceNotFound, `service "srv-missing" not found`)
	_, err = e.reg.GetInstance(e.ctx, &cloudmap.InstanceInput{ServiceId: svc.Id, InstanceId: "i-missing"})
	wantMessage(t, err, cloudmap.ErrInstanceNotFound, `instance "i-missing" not found in service `+svc.Id)
	_, err = e.reg.GetOperation(e.ctx, &cloudmap.GetOperationInput{OperationId: "op-missing"})
	wantMessage(t, err, cloudmap.ErrOperationNotFound, `operation "op-missing" not found`)
}

// wantMessage fails unless err has the code and exactly the message.
func wantMessage(t testing.TB, err error, code, msg string) {
	t.Helper()
	if e := wantCode(t, err, code); e.Message != msg {
		t.Errorf("message %q, want %q", e.Message, msg)
	}
}

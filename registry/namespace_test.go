package registry_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/registry"
)

var (
	nsIDPattern   = regexp.MustCompile(`^ns-[a-z2-7]{16}$`)
	opIDPattern   = regexp.MustCompile(`^[a-z0-9]{32}-[a-z0-9]{8}$`)
	zoneIDPattern = regexp.MustCompile(`^Z[A-Z0-9]{20}$`)
)

func TestNamespace_Lifecycle(t *testing.T) {
	e := newEnv(t, registry.Config{})
	out, err := e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "demo", Description: "d", CreatorRequestId: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	if !opIDPattern.MatchString(out.OperationId) {
		t.Errorf("operation id %q does not look like AWS's", out.OperationId)
	}
	op := e.wait(t, out.OperationId)
	id := op.Targets[cloudmap.TargetNamespace]
	if op.Status != cloudmap.OpSuccess || op.Type != cloudmap.OpCreateNamespace || !nsIDPattern.MatchString(id) {
		t.Fatalf("create operation = %+v", op)
	}
	if op.OwnerAccount != account || op.CreateDate.IsZero() || op.UpdateDate.Before(op.CreateDate) {
		t.Errorf("operation dates/owner = %+v", op)
	}
	for _, ref := range []string{id, "arn:aws:servicediscovery:us-east-1:123456789012:namespace/" + id} {
		got, err := e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: ref})
		if err != nil {
			t.Fatalf("GetNamespace(%s): %v", ref, err)
		}
		ns := got.Namespace
		if ns.Arn != "arn:aws:servicediscovery:us-east-1:123456789012:namespace/"+id || ns.Name != "demo" ||
			ns.Type != cloudmap.NamespaceHTTP || ns.Description != "d" || ns.CreatorRequestId != "c1" ||
			ns.ResourceOwner != account || ns.CreateDate.IsZero() || ns.HttpName() != "demo" ||
			ns.Properties.DnsProperties == nil || ns.Properties.DnsProperties.SOA == nil || ns.Properties.DnsProperties.SOA.TTL != nil ||
			ns.Properties.DnsProperties.HostedZoneId != "" {
			t.Errorf("GetNamespace(%s) = %+v", ref, ns)
		}
	}
	// The same name again.
	_, err = e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "demo", CreatorRequestId: "c2"})
	ae := wantCode(t, err, cloudmap.ErrNamespaceAlreadyExists)
	if ae.Fields["NamespaceId"] != id || ae.Fields["CreatorRequestId"] != "c1" {
		t.Errorf("NamespaceAlreadyExists fields = %v", ae.Fields)
	}
	// Update.
	desc := "new words"
	op = e.succeed(e.reg.UpdateHttpNamespace(e.ctx, &cloudmap.UpdateHttpNamespaceInput{Id: id,
		Namespace: &cloudmap.NamespaceChange{Description: &desc}}))
	if op.Type != cloudmap.OpUpdateNamespace || op.Targets[cloudmap.TargetNamespace] != id {
		t.Errorf("update operation = %+v", op)
	}
	got, _ := e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: id})
	if got.Namespace.Description != desc {
		t.Errorf("description = %q, want %q", got.Namespace.Description, desc)
	}
	// Delete, then everything of it is gone and the name is free again.
	if _, err := e.reg.TagResource(e.ctx, &cloudmap.TagResourceInput{ResourceARN: got.Namespace.Arn,
		Tags: []cloudmap.Tag{{Key: "k", Value: "v"}}}); err != nil {
		t.Fatal(err)
	}
	op = e.succeed(e.reg.DeleteNamespace(e.ctx, &cloudmap.IdInput{Id: id}))
	if op.Type != cloudmap.OpDeleteNamespace {
		t.Errorf("delete operation type = %s", op.Type)
	}
	_, err = e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: id})
	wantCode(t, err, cloudmap.ErrNamespaceNotFound)
	for _, p := range []string{"tag/", "idx/", "busy/", "opq/", "ns/"} {
		if k := e.keys(t, p); len(k) != 0 {
			t.Errorf("after delete, keys %v remain", k)
		}
	}
	e.httpNamespace(t, "demo")
	_, err = e.reg.DeleteNamespace(e.ctx, &cloudmap.IdInput{Id: id})
	wantCode(t, err, cloudmap.ErrNamespaceNotFound)
}

func TestNamespace_DNSProperties(t *testing.T) {
	e := newEnv(t, registry.Config{})
	ttl := int64(60)
	op := e.succeed(e.reg.CreatePrivateDnsNamespace(e.ctx, &cloudmap.CreatePrivateDnsNamespaceInput{
		Name: "example.local", Vpc: "vpc-1",
		Properties: &cloudmap.DnsNamespaceProperties{DnsProperties: &cloudmap.DnsPropertiesMutable{SOA: cloudmap.NewSOA(ttl)}}}))
	priv := op.Targets[cloudmap.TargetNamespace]
	got, _ := e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: priv})
	p := got.Namespace.Properties
	if got.Namespace.Type != cloudmap.NamespaceDNSPrivate || p.DnsProperties == nil || got.Namespace.SOATTL(-1) != 60 ||
		!zoneIDPattern.MatchString(p.DnsProperties.HostedZoneId) || got.Namespace.HttpName() != "example.local" {
		t.Errorf("private namespace = %+v %+v", got.Namespace, p.DnsProperties)
	}
	// Without Properties the SOA TTL is the default.
	pub := e.publicNamespace(t, "example.com")
	got, _ = e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: pub})
	if got.Namespace.Type != cloudmap.NamespaceDNSPublic || got.Namespace.SOATTL(-1) != registry.DefaultSOATTL {
		t.Errorf("public namespace = %+v", got.Namespace)
	}
	// The SOA TTL can change; the wrong Update* is InvalidInput.
	e.succeed(e.reg.UpdatePrivateDnsNamespace(e.ctx, &cloudmap.UpdateDnsNamespaceInput{Id: priv, Namespace: &cloudmap.NamespaceChange{
		Properties: &cloudmap.DnsNamespaceProperties{DnsProperties: &cloudmap.DnsPropertiesMutable{SOA: cloudmap.NewSOA(120)}}}}))
	got, _ = e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: priv})
	if ttl := got.Namespace.SOATTL(-1); ttl != 120 {
		t.Errorf("SOA TTL after update = %d, want 120", ttl)
	}
	_, err := e.reg.UpdatePublicDnsNamespace(e.ctx, &cloudmap.UpdateDnsNamespaceInput{Id: priv, Namespace: &cloudmap.NamespaceChange{}})
	wantCode(t, err, cloudmap.ErrInvalidInput)
	d := "x"
	_, err = e.reg.UpdateHttpNamespace(e.ctx, &cloudmap.UpdateHttpNamespaceInput{Id: priv, Namespace: &cloudmap.NamespaceChange{Description: &d}})
	wantCode(t, err, cloudmap.ErrInvalidInput)
}

func TestNamespace_NameUniqueness(t *testing.T) {
	e := newEnv(t, registry.Config{})
	priv := e.privateNamespace(t, "shared.example")
	// A public DNS namespace may share the name of a private one; its
	// HttpName gets a generated suffix.
	pub := e.publicNamespace(t, "shared.example")
	got, _ := e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: pub})
	if h := got.Namespace.HttpName(); h == "shared.example" || !strings.HasPrefix(h, "shared.example-") {
		t.Errorf("HttpName of the second namespace = %q, want a suffixed name", h)
	}
	// Another private one of the same name (any case) is taken.
	_, err := e.reg.CreatePrivateDnsNamespace(e.ctx, &cloudmap.CreatePrivateDnsNamespaceInput{Name: "SHARED.example", Vpc: "vpc-2"})
	if ae := wantCode(t, err, cloudmap.ErrNamespaceAlreadyExists); ae.Fields["NamespaceId"] != priv {
		t.Errorf("NamespaceId = %q, want %q", ae.Fields["NamespaceId"], priv)
	}
	// An HTTP namespace must not take an existing HttpName.
	_, err = e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "shared.example"})
	wantCode(t, err, cloudmap.ErrNamespaceAlreadyExists)
	// HTTP names are case-sensitive.
	e.httpNamespace(t, "Shared.example")
}

func TestNamespace_Validation(t *testing.T) {
	e := newIdleEnv(t, registry.Config{})
	cases := []struct {
		name string
		call func() error
	}{
		{"http name missing", func() error {
			_, err := e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{})
			return err
		}},
		{"http name too long", func() error {
			_, err := e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: strings.Repeat("a", 1025)})
			return err
		}},
		{"arn: prefix", func() error {
			_, err := e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "arn:x"})
			return err
		}},
		{"space in name", func() error {
			_, err := e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "a b"})
			return err
		}},
		{"private without vpc", func() error {
			_, err := e.reg.CreatePrivateDnsNamespace(e.ctx, &cloudmap.CreatePrivateDnsNamespaceInput{Name: "a.local"})
			return err
		}},
		{"private name too long", func() error {
			_, err := e.reg.CreatePrivateDnsNamespace(e.ctx, &cloudmap.CreatePrivateDnsNamespaceInput{Name: strings.Repeat("a", 254), Vpc: "v"})
			return err
		}},
		{"public not a hostname", func() error {
			_, err := e.reg.CreatePublicDnsNamespace(e.ctx, &cloudmap.CreatePublicDnsNamespaceInput{Name: "not a name!"})
			return err
		}},
		{"public single label", func() error {
			_, err := e.reg.CreatePublicDnsNamespace(e.ctx, &cloudmap.CreatePublicDnsNamespaceInput{Name: "localhost"})
			return err
		}},
		{"properties without SOA", func() error {
			_, err := e.reg.CreatePublicDnsNamespace(e.ctx, &cloudmap.CreatePublicDnsNamespaceInput{Name: "a.com",
				Properties: &cloudmap.DnsNamespaceProperties{}})
			return err
		}},
		{"negative SOA TTL", func() error {
			_, err := e.reg.CreatePublicDnsNamespace(e.ctx, &cloudmap.CreatePublicDnsNamespaceInput{Name: "a.com",
				Properties: &cloudmap.DnsNamespaceProperties{DnsProperties: &cloudmap.DnsPropertiesMutable{SOA: cloudmap.NewSOA(-1)}}})
			return err
		}},
		{"description too long", func() error {
			_, err := e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "a", Description: strings.Repeat("d", 1025)})
			return err
		}},
		{"reserved tag key", func() error {
			_, err := e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "a", Tags: []cloudmap.Tag{{Key: "aws:x"}}})
			return err
		}},
		{"update without change", func() error {
			_, err := e.reg.UpdateHttpNamespace(e.ctx, &cloudmap.UpdateHttpNamespaceInput{Id: "ns-x"})
			return err
		}},
		{"update http without description", func() error {
			_, err := e.reg.UpdateHttpNamespace(e.ctx, &cloudmap.UpdateHttpNamespaceInput{Id: "ns-x", Namespace: &cloudmap.NamespaceChange{}})
			return err
		}},
		{"get without id", func() error {
			_, err := e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{})
			return err
		}},
		{"delete without id", func() error {
			_, err := e.reg.DeleteNamespace(e.ctx, &cloudmap.IdInput{})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantCode(t, c.call(), cloudmap.ErrInvalidInput) })
	}
	_, err := e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "a", Tags: manyTags(51)})
	if te := wantCode(t, err, cloudmap.ErrTooManyTags); !strings.HasPrefix(te.Fields["ResourceName"], "arn:aws:servicediscovery:") {
		t.Errorf("ResourceName = %q", te.Fields["ResourceName"])
	}
	_, err = e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-x"})
	wantCode(t, err, cloudmap.ErrNamespaceNotFound)
}

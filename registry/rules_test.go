package registry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/registry"
)

// The tests of this file prove rules that a mutation run
// (scripts/mutation.sh) found no other test observing.

// TestUpdateNamespace_SOAKeepsTheZone: changing the SOA TTL keeps the
// namespace's hosted zone id.
func TestUpdateNamespace_SOAKeepsTheZone(t *testing.T) {
	e := newEnv(t, registry.Config{})
	id := e.privateNamespace(t, "zone.local")
	before, err := e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	e.succeed(e.reg.UpdatePrivateDnsNamespace(e.ctx, &cloudmap.UpdateDnsNamespaceInput{Id: id, Namespace: &cloudmap.NamespaceChange{
		Properties: &cloudmap.DnsNamespaceProperties{DnsProperties: &cloudmap.DnsPropertiesMutable{SOA: cloudmap.NewSOA(300)}}}}))
	after, err := e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	zone := before.Namespace.Properties.DnsProperties.HostedZoneId
	if got := after.Namespace.Properties.DnsProperties; got == nil || got.HostedZoneId != zone || after.Namespace.SOATTL(-1) != 300 {
		t.Errorf("after the SOA update: DnsProperties %+v, want zone %s and TTL 300", got, zone)
	}
}

// TestDeleteNamespace_FreesItsCreatorRequestId: once a namespace is
// deleted, its CreatorRequestId creates a new namespace instead of
// answering with the deleted one's operation.
func TestDeleteNamespace_FreesItsCreatorRequestId(t *testing.T) {
	e := newEnv(t, registry.Config{})
	in := &cloudmap.CreateHttpNamespaceInput{Name: "again", CreatorRequestId: "req-1"}
	first := e.succeed(e.reg.CreateHttpNamespace(e.ctx, in)).Targets[cloudmap.TargetNamespace]
	e.succeed(e.reg.DeleteNamespace(e.ctx, &cloudmap.IdInput{Id: first}))
	second := e.succeed(e.reg.CreateHttpNamespace(e.ctx, in)).Targets[cloudmap.TargetNamespace]
	if second == first {
		t.Fatalf("the second create answered with the deleted namespace %s", first)
	}
	if _, err := e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: second}); err != nil {
		t.Errorf("GetNamespace of the new namespace: %v", err)
	}
}

// TestUpdateService_HealthCheckCoversEveryInstance: adding a health check
// gives every registered instance its initial HEALTHY record.
func TestUpdateService_HealthCheckCoversEveryInstance(t *testing.T) {
	e := newEnv(t, registry.Config{})
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "web", NamespaceId: e.publicNamespace(t, "every.example.com"),
		DnsConfig: dnsConfig(cloudmap.RoutingMultivalue, cloudmap.RecordA)})
	ids := seq("i-", 3)
	for i, id := range ids {
		e.register(t, svc.Id, id, attrs("AWS_INSTANCE_IPV4", "192.0.2."+string(rune('1'+i)), "AWS_INSTANCE_PORT", "80"))
	}
	e.succeed(e.reg.UpdateService(e.ctx, &cloudmap.UpdateServiceInput{Id: svc.Id, Service: &cloudmap.ServiceChange{
		HealthCheckConfig: &cloudmap.HealthCheckConfig{Type: "TCP"}}}))
	for _, id := range ids {
		if got := e.health(t, svc.Id, id); got != cloudmap.Healthy {
			t.Errorf("health of %s after adding a health check = %q, want HEALTHY", id, got)
		}
	}
	// Removing it deletes every instance's health record.
	e.succeed(e.reg.UpdateService(e.ctx, &cloudmap.UpdateServiceInput{Id: svc.Id, Service: &cloudmap.ServiceChange{}}))
	if k := e.keys(t, cloudmap.HealthPrefix(svc.Id)); len(k) != 0 {
		t.Errorf("health records after removing the health check: %v", k)
	}
}

// TestDelete_RemovesEveryTag: deleting a service or a namespace deletes
// all of its tags.
func TestDelete_RemovesEveryTag(t *testing.T) {
	e := newEnv(t, registry.Config{})
	ns := e.succeed(e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "tagged", Tags: manyTags(3)})).Targets[cloudmap.TargetNamespace]
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "tagged", NamespaceId: ns, Tags: manyTags(3)})
	for _, arn := range []string{svc.Arn, "arn:aws:servicediscovery:us-east-1:123456789012:namespace/" + ns} {
		if out, err := e.reg.ListTagsForResource(e.ctx, &cloudmap.ResourceARNInput{ResourceARN: arn}); err != nil || len(out.Tags) != 3 {
			t.Errorf("tags of %s when created with 3 = %+v, %v", arn, out, err)
		}
	}
	before := len(e.keys(t, ""))
	if _, err := e.reg.DeleteService(e.ctx, &cloudmap.IdInput{Id: svc.Id}); err != nil {
		t.Fatal(err)
	}
	e.succeed(e.reg.DeleteNamespace(e.ctx, &cloudmap.IdInput{Id: ns}))
	for _, k := range e.keys(t, "") {
		if strings.Contains(k, svc.Id) && !strings.HasPrefix(k, "op") || strings.Contains(k, ns) && !strings.HasPrefix(k, "op") {
			t.Errorf("key %s left after deleting the service and the namespace (of %d keys before)", k, before)
		}
	}
}

// TestUpdateServiceAttributes_AtTheLimits: a key of 255 characters and a
// value of 1024 are accepted; one more of either is refused.
func TestUpdateServiceAttributes_AtTheLimits(t *testing.T) {
	e := newEnv(t, registry.Config{})
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "lim", NamespaceId: e.httpNamespace(t, "lim")})
	update := func(k, v string) error {
		_, err := e.reg.UpdateServiceAttributes(e.ctx, &cloudmap.UpdateServiceAttributesInput{ServiceId: svc.Id, Attributes: map[string]string{k: v}})
		return err
	}
	if err := update(strings.Repeat("k", 255), strings.Repeat("v", 1024)); err != nil {
		t.Errorf("a 255-character key with a 1024-character value: %v", err)
	}
	wantInvalid(t, update(strings.Repeat("k", 256), "v"), "service attribute key", "must be 1-255 characters")
	wantInvalid(t, update("k", strings.Repeat("v", 1025)), `service attribute "k"`, "longer than 1024 characters")
}

// TestDeleteServiceAttributes_AtTheLimit: 30 keys may be deleted in one
// call, 31 may not.
func TestDeleteServiceAttributes_AtTheLimit(t *testing.T) {
	e := newEnv(t, registry.Config{})
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "del", NamespaceId: e.httpNamespace(t, "del")})
	if _, err := e.reg.DeleteServiceAttributes(e.ctx, &cloudmap.DeleteServiceAttributesInput{ServiceId: svc.Id, Attributes: seq("d", 30)}); err != nil {
		t.Errorf("deleting 30 keys: %v", err)
	}
	_, err := e.reg.DeleteServiceAttributes(e.ctx, &cloudmap.DeleteServiceAttributesInput{ServiceId: svc.Id, Attributes: seq("d", 31)})
	wantInvalid(t, err, "Attributes", "must list 1-30 keys")
}

// TestCreateService_SRVTargetCollisions: a new service name that is the
// SRV target <instance>.<service> of a registered instance is refused,
// whatever the case of the instance id and wherever it sorts among the
// service's instances, and also when the instance id ends in a dot.
func TestCreateService_SRVTargetCollisions(t *testing.T) {
	e := newEnv(t, registry.Config{})
	ns := e.privateNamespace(t, "targets.local")
	srv := e.service(t, &cloudmap.CreateServiceInput{Name: "y", NamespaceId: ns, DnsConfig: dnsConfig(cloudmap.RoutingMultivalue, cloudmap.RecordSRV)})
	for _, id := range []string{"a-1", "b-2", "x."} {
		e.register(t, srv.Id, id, attrs("AWS_INSTANCE_IPV4", "192.0.2.1", "AWS_INSTANCE_PORT", "80"))
	}
	for _, name := range []string{"B-2.y", "x..y"} {
		_, err := e.reg.CreateService(e.ctx, &cloudmap.CreateServiceInput{Name: name, NamespaceId: ns, DnsConfig: dnsConfig("", cloudmap.RecordA)})
		wantInvalid(t, err, "Name", "collides with an SRV target")
	}
}

// TestRegisterInstance_QueuedChecksTargetName: with an operation delay, a
// registration whose SRV target is the name of another service is refused
// by the request, not later by the worker.
func TestRegisterInstance_QueuedChecksTargetName(t *testing.T) {
	e := newQueueingEnv(t, registry.Config{})
	ns := seedNamespace(t, e, "queued.local")
	srv := e.service(t, &cloudmap.CreateServiceInput{Name: "y", NamespaceId: ns, DnsConfig: dnsConfig(cloudmap.RoutingMultivalue, cloudmap.RecordSRV)})
	e.service(t, &cloudmap.CreateServiceInput{Name: "i1.y", NamespaceId: ns, DnsConfig: dnsConfig("", cloudmap.RecordA)})
	_, err := e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: srv.Id, InstanceId: "i1",
		Attributes: attrs("AWS_INSTANCE_IPV4", "192.0.2.1", "AWS_INSTANCE_PORT", "80")})
	wantInvalid(t, err, `InstanceId "i1"`, "collides with a service name")
}

// TestRegisterInstance_AtTheLimits: every size rule of RegisterInstance
// accepts its limit and refuses one more.
func TestRegisterInstance_AtTheLimits(t *testing.T) {
	e := newEnv(t, registry.Config{})
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "lim", NamespaceId: e.httpNamespace(t, "lim")})
	register := func(id string, a map[string]string) error {
		_, err := e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: id, Attributes: a})
		return err
	}
	custom := func(n int) map[string]string {
		m := map[string]string{}
		for _, k := range seq("c", n) {
			m[k] = "v"
		}
		return m
	}
	// Total size: five values of 1000 around short keys.
	sized := func(total int) map[string]string {
		m := map[string]string{}
		for i, k := range []string{"a", "b", "c", "d", "e"} {
			n := 999
			if i == 4 {
				n = total - 4*1000 - 1
			}
			m[k] = strings.Repeat("v", n)
		}
		return m
	}
	ok := []struct {
		name string
		id   string
		a    map[string]string
	}{
		{"64-character id", strings.Repeat("i", 64), attrs("a", "b")},
		{"id of the first and last letters and digits", "azAZ09_/:.@-", attrs("a", "b")},
		{"255-character key", "key", attrs(strings.Repeat("k", 255), "v")},
		{"1024-character value", "value", attrs("a", strings.Repeat("v", 1024))},
		{"30 custom attributes", "custom", custom(30)},
		{"5000 characters in all", "size", sized(5000)},
	}
	for _, c := range ok {
		if err := register(c.id, c.a); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	wantInvalid(t, register(strings.Repeat("i", 65), attrs("a", "b")), "InstanceId", "longer than 64 characters")
	for _, id := range []string{"a`", "a{", "A[", "a^", "a!", "a,", "a;"} {
		wantInvalid(t, register(id, attrs("a", "b")), "InstanceId", "may only contain letters, digits and _/:.@-")
	}
	wantInvalid(t, register("key", attrs(strings.Repeat("k", 256), "v")), "attribute key", "must be 1-255 characters")
	wantInvalid(t, register("value", attrs("a", strings.Repeat("v", 1025))), "attribute a", "longer than 1024 characters")
	wantInvalid(t, register("custom", custom(31)), "Attributes", "has 31 custom attributes, at most 30")
	wantInvalid(t, register("size", sized(5001)), "Attributes", "total 5001 characters, at most 5000")
}

// TestLimits_AcceptTheLimit: every range rule of the control plane accepts
// the values at its ends (the refusals one past them are in the validation
// tables).
func TestLimits_AcceptTheLimit(t *testing.T) {
	e := newEnv(t, registry.Config{})
	pub := e.publicNamespace(t, "limits.example.com")
	priv := e.privateNamespace(t, "limits.local")
	desc := strings.Repeat("d", 1024)
	hc := func(typ cloudmap.HealthCheckType, path string, thr int32) *cloudmap.HealthCheckConfig {
		return &cloudmap.HealthCheckConfig{Type: typ, ResourcePath: path, FailureThreshold: thr}
	}
	ttl := func(ttl int64) *cloudmap.DnsConfig {
		return &cloudmap.DnsConfig{RoutingPolicy: cloudmap.RoutingMultivalue, DnsRecords: []cloudmap.DnsRecord{{Type: cloudmap.RecordA, TTL: ttl}}}
	}
	services := []struct {
		name string
		in   cloudmap.CreateServiceInput
	}{
		{"127-character name", cloudmap.CreateServiceInput{Name: strings.Repeat("n", 127), NamespaceId: priv}},
		{"1024-character description", cloudmap.CreateServiceInput{Name: "desc", NamespaceId: priv, Description: desc}},
		{"TTL 0", cloudmap.CreateServiceInput{Name: "ttl0", NamespaceId: priv, DnsConfig: ttl(0)}},
		{"TTL 2147483647", cloudmap.CreateServiceInput{Name: "ttlmax", NamespaceId: priv, DnsConfig: ttl(2147483647)}},
		{"255-character resource path", cloudmap.CreateServiceInput{Name: "path", NamespaceId: pub, HealthCheckConfig: hc("HTTP", "/"+strings.Repeat("p", 254), 1)}},
		{"failure threshold 1", cloudmap.CreateServiceInput{Name: "thr1", NamespaceId: pub, HealthCheckConfig: hc("HTTPS", "", 1)}},
		{"failure threshold 10", cloudmap.CreateServiceInput{Name: "thr10", NamespaceId: pub, HealthCheckConfig: hc("TCP", "", 10)}},
		{"custom failure threshold 0", cloudmap.CreateServiceInput{Name: "c0", NamespaceId: priv, HealthCheckCustomConfig: &cloudmap.HealthCheckCustomConfig{}}},
		{"custom failure threshold 10", cloudmap.CreateServiceInput{Name: "c10", NamespaceId: priv, HealthCheckCustomConfig: &cloudmap.HealthCheckCustomConfig{FailureThreshold: 10}}},
		{"128-character tag key, 256-character value", cloudmap.CreateServiceInput{Name: "tags", NamespaceId: priv,
			Tags: []cloudmap.Tag{{Key: strings.Repeat("k", 128), Value: strings.Repeat("v", 256)}}}},
		{"50 tags", cloudmap.CreateServiceInput{Name: "tags50", NamespaceId: priv, Tags: manyTags(50)}},
	}
	ids := map[string]string{}
	for _, c := range services {
		out, err := e.reg.CreateService(e.ctx, &c.in)
		if err != nil {
			t.Errorf("CreateService with a %s: %v", c.name, err)
			continue
		}
		ids[c.in.Name] = out.Service.Id
	}
	e.succeed(e.reg.UpdateService(e.ctx, &cloudmap.UpdateServiceInput{Id: ids["ttl0"], Service: &cloudmap.ServiceChange{Description: &desc}}))
	wantInvalid(t, func() error {
		_, err := e.reg.CreateService(e.ctx, &cloudmap.CreateServiceInput{Name: "tags2", NamespaceId: priv,
			Tags: []cloudmap.Tag{{Key: "k", Value: strings.Repeat("v", 257)}}})
		return err
	}(), `tag "k"`, "longer than 256 characters")
	wantInvalid(t, func() error {
		_, err := e.reg.CreateService(e.ctx, &cloudmap.CreateServiceInput{Name: "tags3", NamespaceId: priv,
			Tags: []cloudmap.Tag{{Key: strings.Repeat("k", 129)}}})
		return err
	}(), "tag key", "must be 1-128 characters")
	if _, err := e.reg.UntagResource(e.ctx, &cloudmap.UntagResourceInput{ResourceARN: "arn:aws:servicediscovery:us-east-1:123456789012:service/" + ids["tags"],
		TagKeys: []string{strings.Repeat("k", 128)}}); err != nil {
		t.Errorf("UntagResource of a 128-character key: %v", err)
	}
	_, err := e.reg.UntagResource(e.ctx, &cloudmap.UntagResourceInput{ResourceARN: "arn:aws:servicediscovery:us-east-1:123456789012:service/" + ids["tags"],
		TagKeys: []string{strings.Repeat("k", 129)}})
	wantInvalid(t, err, "tag key", "must be 1-128 characters")
	// Namespaces: names at their length limits, a 1024-character
	// description, SOA TTL 0, and the same in updates.
	e.succeed(e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: strings.Repeat("h", 1024), Description: desc}))
	e.succeed(e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "!printable~"}))
	// A public name of two labels, one of 63 characters, with the first and
	// last letters and digits and an inner hyphen.
	e.succeed(e.reg.CreatePublicDnsNamespace(e.ctx, &cloudmap.CreatePublicDnsNamespaceInput{Name: strings.Repeat("p", 63) + ".azAZ0-9"}))
	_, err = e.reg.CreatePublicDnsNamespace(e.ctx, &cloudmap.CreatePublicDnsNamespaceInput{Name: "a_b.example.com"})
	wantInvalid(t, err, `Name "a_b.example.com"`, "of a public DNS namespace is not a valid domain name")
	long := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61)
	if len(long) != 253 {
		t.Fatalf("test name of %d characters", len(long))
	}
	e.succeed(e.reg.CreatePrivateDnsNamespace(e.ctx, &cloudmap.CreatePrivateDnsNamespaceInput{Name: long, Vpc: "vpc-1",
		Properties: &cloudmap.DnsNamespaceProperties{DnsProperties: &cloudmap.DnsPropertiesMutable{SOA: cloudmap.NewSOA(0)}}}))
	e.succeed(e.reg.UpdatePrivateDnsNamespace(e.ctx, &cloudmap.UpdateDnsNamespaceInput{Id: priv, Namespace: &cloudmap.NamespaceChange{
		Description: &desc, Properties: &cloudmap.DnsNamespaceProperties{DnsProperties: &cloudmap.DnsPropertiesMutable{SOA: cloudmap.NewSOA(2147483647)}}}}))
	// Lists: a page of 1 and of 100.
	for _, n := range []int32{1, 100} {
		out, err := e.reg.ListNamespaces(e.ctx, &cloudmap.ListInput{MaxResults: n})
		if err != nil || len(out.Namespaces) != min(int(n), 6) {
			t.Errorf("ListNamespaces(MaxResults %d) = %d namespaces, %v", n, len(out.Namespaces), err)
		}
	}
}

// cancelOnRange is a store whose read transactions cancel a context when
// a Range starts: a client that gives up while its list is scanned.
type cancelOnRange struct {
	cloudmap.Store
	cancel context.CancelFunc
}

func (s *cancelOnRange) View(ctx context.Context, fn func(tx cloudmap.ReadTx) error) error {
	return s.Store.View(ctx, func(tx cloudmap.ReadTx) error { return fn(&cancelingTx{ReadTx: tx, cancel: s.cancel}) })
}

type cancelingTx struct {
	cloudmap.ReadTx
	cancel context.CancelFunc
}

func (tx *cancelingTx) Range(prefix, startAfter string, fn func(string, []byte) bool) error {
	tx.cancel()
	return tx.ReadTx.Range(prefix, startAfter, fn)
}

// TestList_LongScans: a filtered list scans past hundreds of records that
// do not match and finds every one that does; a client that gives up
// during such a scan gets its context's error, not a partial page.
func TestList_LongScans(t *testing.T) {
	e := newEnv(t, registry.Config{})
	a, b := e.httpNamespace(t, "scan-a"), e.httpNamespace(t, "scan-b")
	for _, name := range seq("a", 300) {
		e.service(t, &cloudmap.CreateServiceInput{Name: name, NamespaceId: a})
	}
	for _, name := range seq("b", 40) {
		e.service(t, &cloudmap.CreateServiceInput{Name: name, NamespaceId: b})
	}
	in := &cloudmap.ListInput{Filters: []cloudmap.Filter{{Name: "NAMESPACE_ID", Condition: "EQ", Values: []string{b}}}}
	out, err := e.reg.ListServices(e.ctx, in)
	if err != nil || len(out.Services) != 40 || out.NextToken != "" {
		t.Fatalf("ListServices of namespace b = %d services (token %q), %v; want 40", len(out.Services), out.NextToken, err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	reg := registry.New(&cancelOnRange{Store: e.store, cancel: cancel}, e.cfg)
	if out, err := reg.ListServices(ctx, in); !errors.Is(err, context.Canceled) {
		t.Errorf("ListServices while the client gave up = %v, %v; want context.Canceled", out, err)
	}
}

// TestList_FilterNamesClipped: an unsupported filter name is echoed whole
// up to 64 characters, and clipped beyond.
func TestList_FilterNamesClipped(t *testing.T) {
	e := newEnv(t, registry.Config{})
	for _, c := range []struct{ name, echoed string }{
		{strings.Repeat("F", 64), `"` + strings.Repeat("F", 64) + `"`},
		{strings.Repeat("G", 65), `"` + strings.Repeat("G", 64) + `..."`},
	} {
		_, err := e.reg.ListNamespaces(e.ctx, &cloudmap.ListInput{Filters: []cloudmap.Filter{{Name: c.name, Values: []string{"x"}}}})
		wantInvalid(t, err, "filter name "+c.echoed, "is not supported here")
	}
}

// TestRegisterInstance_Ports: AWS_INSTANCE_PORT takes the canonical
// decimal 1-65535, every digit included.
func TestRegisterInstance_Ports(t *testing.T) {
	e := newEnv(t, registry.Config{})
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "ports", NamespaceId: e.privateNamespace(t, "ports.local"),
		DnsConfig: dnsConfig(cloudmap.RoutingMultivalue, cloudmap.RecordSRV)})
	n := 0
	register := func(port string) error {
		n++
		_, err := e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: fmt.Sprint("p", n),
			Attributes: attrs("AWS_INSTANCE_IPV4", "192.0.2.1", "AWS_INSTANCE_PORT", port)})
		return err
	}
	for _, p := range []string{"1", "9", "10", "65535", "12345", "6789"} {
		if err := register(p); err != nil {
			t.Errorf("port %s: %v", p, err)
		}
	}
	for _, p := range []string{"0", "09", "65536", "123456", "+80", "8/", "8:", ""} {
		wantInvalid(t, register(p), "AWS_INSTANCE_PORT", "is not a port")
	}
}

// TestListOperations_FractionalDates: UPDATE_DATE bounds keep their
// fraction of a second.
func TestListOperations_FractionalDates(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 500_000_000, time.UTC) // ….5 s
	e := newEnv(t, registry.Config{Now: func() time.Time { return at }})
	e.httpNamespace(t, "frac")
	for _, c := range []struct {
		start, end string
		want       int
	}{
		{"1767323045.4", "1767323045.6", 1},
		{"1767323045.6", "1767323046", 0},
		{"1767323045", "1767323045.4", 0},
	} {
		out, err := e.reg.ListOperations(e.ctx, &cloudmap.ListInput{Filters: []cloudmap.Filter{
			{Name: "UPDATE_DATE", Condition: "BETWEEN", Values: []string{c.start, c.end}}}})
		if err != nil || len(out.Operations) != c.want {
			t.Errorf("BETWEEN %s and %s: %d operations, %v; want %d", c.start, c.end, len(out.Operations), err, c.want)
		}
	}
}

// TestCreateNamespace_AlreadyExistsNamesItsCreator: NamespaceAlreadyExists
// carries the id and CreatorRequestId of the namespace holding the name,
// whether it exists or is still being created.
func TestCreateNamespace_AlreadyExistsNamesItsCreator(t *testing.T) {
	check := func(t *testing.T, e *env, id string) {
		t.Helper()
		_, err := e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "taken", CreatorRequestId: "second"})
		ae := wantCode(t, err, cloudmap.ErrNamespaceAlreadyExists)
		if ae.Fields["NamespaceId"] != id || ae.Fields["CreatorRequestId"] != "first" {
			t.Errorf("fields = %v, want NamespaceId %s and CreatorRequestId first", ae.Fields, id)
		}
	}
	t.Run("created", func(t *testing.T) {
		e := newEnv(t, registry.Config{})
		op := e.succeed(e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "taken", CreatorRequestId: "first"}))
		check(t, e, op.Targets[cloudmap.TargetNamespace])
	})
	t.Run("being created", func(t *testing.T) {
		e := newQueueingEnv(t, registry.Config{})
		out, err := e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "taken", CreatorRequestId: "first"})
		if err != nil {
			t.Fatal(err)
		}
		op, err := e.reg.GetOperation(e.ctx, &cloudmap.GetOperationInput{OperationId: out.OperationId})
		if err != nil || op.Operation.Status != cloudmap.OpSubmitted {
			t.Fatalf("operation = %+v, %v; want SUBMITTED", op, err)
		}
		check(t, e, op.Operation.Targets[cloudmap.TargetNamespace])
	})
}

// TestDeleteService_FreesItsName: a deleted service's name can be used
// again, in an HTTP namespace (names compared as given) and in a DNS one
// (names compared without regard to case).
func TestDeleteService_FreesItsName(t *testing.T) {
	e := newEnv(t, registry.Config{})
	for _, ns := range []string{e.httpNamespace(t, "free-http"), e.privateNamespace(t, "free.local")} {
		svc := e.service(t, &cloudmap.CreateServiceInput{Name: "Web", NamespaceId: ns})
		if _, err := e.reg.DeleteService(e.ctx, &cloudmap.IdInput{Id: svc.Id}); err != nil {
			t.Fatal(err)
		}
		if again := e.service(t, &cloudmap.CreateServiceInput{Name: "Web", NamespaceId: ns}); again.Id == svc.Id {
			t.Errorf("the new service has the deleted one's id %s", svc.Id)
		}
	}
}

// TestUntagResource_EveryKey: every key listed is removed.
func TestUntagResource_EveryKey(t *testing.T) {
	e := newEnv(t, registry.Config{})
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "untag", NamespaceId: e.httpNamespace(t, "untag"), Tags: manyTags(3)})
	if _, err := e.reg.UntagResource(e.ctx, &cloudmap.UntagResourceInput{ResourceARN: svc.Arn, TagKeys: []string{"k000", "k002"}}); err != nil {
		t.Fatal(err)
	}
	out, err := e.reg.ListTagsForResource(e.ctx, &cloudmap.ResourceARNInput{ResourceARN: svc.Arn})
	if err != nil || len(out.Tags) != 1 || out.Tags[0].Key != "k001" {
		t.Errorf("tags after removing k000 and k002 = %+v, %v; want k001 only", out, err)
	}
}

// TestBatchForTxnOps_AtMultiples: n operations of OperationKeys writes
// and the fence fit in n*OperationKeys+1 transaction operations, not in
// one fewer.
func TestBatchForTxnOps_AtMultiples(t *testing.T) {
	for n := 1; n <= 4; n++ {
		fits := n*registry.OperationKeys + 1
		if got := registry.BatchForTxnOps(fits); got != n {
			t.Errorf("BatchForTxnOps(%d) = %d, want %d", fits, got, n)
		}
		if got := registry.BatchForTxnOps(fits - 1); got != max(1, n-1) {
			t.Errorf("BatchForTxnOps(%d) = %d, want %d", fits-1, got, max(1, n-1))
		}
	}
}

// TestWorker_ReportsFinished: the worker reports every operation it
// finishes to Config.Finished, with its type and final status.
func TestWorker_ReportsFinished(t *testing.T) {
	var mu sync.Mutex
	var got []string
	e := newQueueingEnv(t, registry.Config{Finished: func(typ cloudmap.OperationType, st cloudmap.OperationStatus) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, string(typ)+" "+string(st))
	}})
	drainWith(t, e, []string{e.opID(e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "finished"}))})
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != "CREATE_NAMESPACE SUCCESS" {
		t.Errorf("Finished calls = %v, want one CREATE_NAMESPACE SUCCESS", got)
	}
}

// TestWorker_SplitsABatchOfTwo: a refused batch of two operations is split
// into two batches of one, which the store takes.
func TestWorker_SplitsABatchOfTwo(t *testing.T) {
	e, _ := limitedEnv(t, registry.OperationKeys+1, 2)
	wantSuccess(t, drainWith(t, e, queueRegistrations(t, e, 2)))
}

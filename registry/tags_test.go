package registry_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/registry"
	"github.com/cloudmap/cloudmap/storetest/memstore"
)

func TestTags(t *testing.T) {
	e := newEnv(t, registry.Config{})
	op := e.succeed(e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "tags",
		Tags: []cloudmap.Tag{{Key: "a", Value: "0"}, {Key: "a", Value: "1"}}}))
	ns, _ := e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: op.Targets[cloudmap.TargetNamespace]})
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "s", NamespaceId: ns.Namespace.Id})
	list := func(arn string) string {
		out, err := e.reg.ListTagsForResource(e.ctx, &cloudmap.ResourceARNInput{ResourceARN: arn})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(out.Tags)
	}
	if got, want := list(ns.Namespace.Arn), "[{a 1}]"; got != want {
		t.Errorf("tags on create = %s, want %s", got, want)
	}
	for _, arn := range []string{ns.Namespace.Arn, svc.Arn} {
		if _, err := e.reg.TagResource(e.ctx, &cloudmap.TagResourceInput{ResourceARN: arn,
			Tags: []cloudmap.Tag{{Key: "b", Value: "2"}, {Key: "a", Value: "3"}, {Key: "e", Value: ""}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.reg.UntagResource(e.ctx, &cloudmap.UntagResourceInput{ResourceARN: arn, TagKeys: []string{"b", "missing"}}); err != nil {
			t.Fatal(err)
		}
		if got, want := list(arn), "[{a 3} {e }]"; got != want {
			t.Errorf("tags of %s = %s, want %s", arn, got, want)
		}
		// 48 more make 50; one more is too many and changes nothing.
		if _, err := e.reg.TagResource(e.ctx, &cloudmap.TagResourceInput{ResourceARN: arn, Tags: manyTags(48)}); err != nil {
			t.Fatalf("50 tags: %v", err)
		}
		_, err := e.reg.TagResource(e.ctx, &cloudmap.TagResourceInput{ResourceARN: arn, Tags: []cloudmap.Tag{{Key: "one-more"}}})
		if te := wantCode(t, err, cloudmap.ErrTooManyTags); te.Fields["ResourceName"] != arn {
			t.Errorf("ResourceName = %q, want %q", te.Fields["ResourceName"], arn)
		}
		// Overwriting keeps the count.
		if _, err := e.reg.TagResource(e.ctx, &cloudmap.TagResourceInput{ResourceARN: arn, Tags: []cloudmap.Tag{{Key: "a", Value: "4"}}}); err != nil {
			t.Errorf("overwrite at 50 tags: %v", err)
		}
	}
	_, err := e.reg.TagResource(e.ctx, &cloudmap.TagResourceInput{ResourceARN: svc.Arn, Tags: []cloudmap.Tag{{Key: "aws:x"}}})
	wantInvalid(t, err, `tag key "aws:x"`, "reserved prefix aws:")
	for _, arn := range []string{
		"arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-aaaaaaaaaaaaaaaa",
		"arn:aws:servicediscovery:us-east-1:123456789012:service/srv-aaaaaaaaaaaaaaaa",
		"arn:aws:servicediscovery:eu-west-1:123456789012:service/" + svc.Id,
		"arn:aws:servicediscovery:us-east-1:123456789012:instance/x",
	} {
		_, err := e.reg.ListTagsForResource(e.ctx, &cloudmap.ResourceARNInput{ResourceARN: arn})
		wantCode(t, err, cloudmap.ErrResourceNotFound)
	}
	_, err = e.reg.ListTagsForResource(e.ctx, &cloudmap.ResourceARNInput{ResourceARN: svc.Id})
	wantInvalid(t, err, "ResourceARN", "is not an ARN")
	_, err = e.reg.UntagResource(e.ctx, &cloudmap.UntagResourceInput{ResourceARN: svc.Arn, TagKeys: []string{""}})
	wantInvalid(t, err, `tag key ""`, "must be 1-128 characters")
}

func TestIdempotency(t *testing.T) {
	e := newEnv(t, registry.Config{})
	in := &cloudmap.CreateHttpNamespaceInput{Name: "idem", CreatorRequestId: "req-1"}
	first, err := e.reg.CreateHttpNamespace(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.reg.CreateHttpNamespace(e.ctx, in)
	if err != nil || again.OperationId != first.OperationId {
		t.Fatalf("retry = %+v, %v; want operation %s", again, err, first.OperationId)
	}
	op := e.wait(t, first.OperationId)
	// After success too, the retry returns the first operation, not NamespaceAlreadyExists.
	if again, err = e.reg.CreateHttpNamespace(e.ctx, in); err != nil || again.OperationId != first.OperationId {
		t.Fatalf("retry after success = %+v, %v", again, err)
	}
	_, err = e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "other", CreatorRequestId: "req-1"})
	if de := wantCode(t, err, cloudmap.ErrDuplicateRequest); de.Fields["DuplicateOperationId"] != first.OperationId {
		t.Errorf("DuplicateOperationId = %q", de.Fields["DuplicateOperationId"])
	}
	nsID := op.Targets[cloudmap.TargetNamespace]
	// UpdaterRequestId.
	d := "x"
	up := &cloudmap.UpdateHttpNamespaceInput{Id: nsID, UpdaterRequestId: "u-1", Namespace: &cloudmap.NamespaceChange{Description: &d}}
	u1, err := e.reg.UpdateHttpNamespace(e.ctx, up)
	if err != nil {
		t.Fatal(err)
	}
	if u2, err := e.reg.UpdateHttpNamespace(e.ctx, up); err != nil || u2.OperationId != u1.OperationId {
		t.Errorf("update retry = %+v, %v", u2, err)
	}
	e.wait(t, u1.OperationId)
	// Services.
	sin := &cloudmap.CreateServiceInput{Name: "web", NamespaceId: nsID, CreatorRequestId: "svc-req"}
	s1 := e.service(t, sin)
	if s2 := e.service(t, sin); s2.Id != s1.Id {
		t.Errorf("CreateService retry made %s and %s", s1.Id, s2.Id)
	}
	_, err = e.reg.CreateService(e.ctx, &cloudmap.CreateServiceInput{Name: "web2", NamespaceId: nsID, CreatorRequestId: "svc-req"})
	wantCode(t, err, cloudmap.ErrDuplicateRequest)
	// Registrations.
	rin := &cloudmap.RegisterInstanceInput{ServiceId: s1.Id, InstanceId: "i-1", CreatorRequestId: "reg-1", Attributes: attrs("a", "b")}
	r1, err := e.reg.RegisterInstance(e.ctx, rin)
	if err != nil {
		t.Fatal(err)
	}
	if r2, err := e.reg.RegisterInstance(e.ctx, rin); err != nil || r2.OperationId != r1.OperationId {
		t.Errorf("register retry = %+v, %v (want no DuplicateRequest while in flight)", r2, err)
	}
	e.wait(t, r1.OperationId)
	_, err = e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: s1.Id, InstanceId: "i-1",
		CreatorRequestId: "reg-1", Attributes: attrs("a", "c")})
	wantCode(t, err, cloudmap.ErrDuplicateRequest)
}

func TestQuotas(t *testing.T) {
	e := newEnv(t, registry.Config{MaxNamespaces: 2, MaxServices: 2, MaxInstancesPerService: 2})
	a := e.httpNamespace(t, "a")
	e.privateNamespace(t, "b.local")
	_, err := e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "c"})
	wantCode(t, err, cloudmap.ErrResourceLimitExceeded)
	s := e.service(t, &cloudmap.CreateServiceInput{Name: "s1", NamespaceId: a})
	e.service(t, &cloudmap.CreateServiceInput{Name: "s2", NamespaceId: a})
	_, err = e.reg.CreateService(e.ctx, &cloudmap.CreateServiceInput{Name: "s3", NamespaceId: a})
	wantCode(t, err, cloudmap.ErrResourceLimitExceeded)
	e.register(t, s.Id, "i-1", attrs("a", "b"))
	e.register(t, s.Id, "i-2", attrs("a", "b"))
	_, err = e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: s.Id, InstanceId: "i-3", Attributes: attrs("a", "b")})
	wantCode(t, err, cloudmap.ErrResourceLimitExceeded)
	e.register(t, s.Id, "i-2", attrs("a", "updated")) // an update is no new instance
}

func TestStoreFailure_IsWrappedNotAnAWSError(t *testing.T) {
	s := memstore.New()
	t.Cleanup(func() { s.Close() })
	reg := registry.New(s, registry.Config{Region: region, AccountID: account})
	boom := errors.New("disk on fire")
	s.FailUpdate = boom
	_, err := reg.CreateHttpNamespace(t.Context(), &cloudmap.CreateHttpNamespaceInput{Name: "x"})
	if !errors.Is(err, boom) || cloudmap.ErrorCode(err) != "" || err.Error() != "registry: CreateNamespace: disk on fire" {
		t.Errorf("got %v (code %q), want the store error wrapped with the operation", err, cloudmap.ErrorCode(err))
	}
}

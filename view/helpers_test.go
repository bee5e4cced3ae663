package view_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/view"
	"github.com/cloudmap/cloudmap/view/internal/fakestore"
)

// op is one write of a commit.
type op func(tx cloudmap.Tx) error

func put(key string, v any) op {
	return func(tx cloudmap.Tx) error { return tx.Put(key, cloudmap.Encode(v)) }
}

func del(key string) op { return func(tx cloudmap.Tx) error { return tx.Delete(key) } }

func httpNS(id, name string) op {
	return put(cloudmap.NamespaceKey(id), &cloudmap.Namespace{Id: id, Name: name, Type: cloudmap.NamespaceHTTP,
		ResourceOwner: "123456789012", Properties: cloudmap.NamespaceProperties{HttpProperties: &cloudmap.HttpProperties{HttpName: name}}})
}

func dnsNS(id, name string, t cloudmap.NamespaceType) op {
	return put(cloudmap.NamespaceKey(id), &cloudmap.Namespace{Id: id, Name: name, Type: t,
		Properties: cloudmap.NamespaceProperties{HttpProperties: &cloudmap.HttpProperties{HttpName: name},
			DnsProperties: &cloudmap.DnsProperties{HostedZoneId: "Z1", SOA: cloudmap.NewSOA(60)}}})
}

// service returns a service record; check is "", "custom" or "http".
func service(id, nsID, name, check string) *cloudmap.Service {
	s := &cloudmap.Service{Id: id, NamespaceId: nsID, Name: name, Type: cloudmap.ServiceHTTP,
		Arn: "arn:aws:servicediscovery:us-east-1:123456789012:service/" + id}
	switch check {
	case "custom":
		s.HealthCheckCustomConfig = &cloudmap.HealthCheckCustomConfig{FailureThreshold: 1}
	case "http":
		s.HealthCheckConfig = &cloudmap.HealthCheckConfig{Type: cloudmap.HealthCheckHTTP, ResourcePath: "/", FailureThreshold: 1}
	}
	return s
}

func svc(id, nsID, name, check string) op {
	return put(cloudmap.ServiceKey(id), service(id, nsID, name, check))
}

// inst registers an instance with attributes given as "k=v" strings.
func inst(svcID, id string, kv ...string) op {
	attrs := map[string]string{}
	for _, p := range kv {
		k, v, _ := strings.Cut(p, "=")
		attrs[k] = v
	}
	return put(cloudmap.InstanceKey(svcID, id), &cloudmap.Instance{Id: id, ServiceId: svcID, Attributes: attrs, CreatorRequestId: "req-" + id})
}

func health(svcID, id string, s cloudmap.HealthStatus) op {
	return put(cloudmap.HealthKey(svcID, id), &cloudmap.Health{Status: s})
}

func deregister(svcID, id string) []op {
	return []op{del(cloudmap.InstanceKey(svcID, id)), del(cloudmap.HealthKey(svcID, id))}
}

type fixture struct {
	t     testing.TB
	store *fakestore.Store
	view  *view.View
}

// newFixture commits setup (one commit per element) before the view
// starts, so the view reads it from the snapshot, then starts the view.
func newFixture(t testing.TB, setup ...[]op) *fixture {
	t.Helper()
	f := &fixture{t: t, store: fakestore.New()}
	for _, ops := range setup {
		f.write(ops...)
	}
	f.view = view.New(f.store, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.view.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		f.view.Close()
		f.store.Close()
	})
	return f
}

func (f *fixture) write(ops ...op) int64 {
	f.t.Helper()
	rev, err := f.store.Update(context.Background(), func(tx cloudmap.Tx) error {
		for _, o := range ops {
			if err := o(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		f.t.Fatalf("Update: %v", err)
	}
	return rev
}

// commit writes ops in one commit and waits until the view applied it.
func (f *fixture) commit(ops ...op) int64 {
	f.t.Helper()
	rev := f.write(ops...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.view.WaitFor(ctx, rev); err != nil {
		f.t.Fatalf("WaitFor(%d): %v", rev, err)
	}
	return rev
}

func (f *fixture) discover(in *cloudmap.DiscoverInstancesInput) (*cloudmap.DiscoverInstancesOutput, error) {
	return f.view.DiscoverInstances(context.Background(), in)
}

// ids returns the sorted instance IDs of out, joined by commas.
func ids(out *cloudmap.DiscoverInstancesOutput) string {
	var s []string
	for _, i := range out.Instances {
		s = append(s, i.InstanceId)
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

func revision(t testing.TB, v *view.View, ns, svc string) int64 {
	t.Helper()
	out, err := v.DiscoverInstancesRevision(context.Background(), &cloudmap.DiscoverInstancesRevisionInput{NamespaceName: ns, ServiceName: svc})
	if err != nil {
		t.Fatalf("DiscoverInstancesRevision(%s, %s): %v", ns, svc, err)
	}
	return out.InstancesRevision
}

func code(err error) string {
	if err == nil {
		return "<nil>"
	}
	if c := cloudmap.ErrorCode(err); c != "" {
		return c
	}
	return fmt.Sprintf("non-AWS error %v", err)
}

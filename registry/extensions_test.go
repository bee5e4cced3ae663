package registry_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/registry"
)

func TestRegistry_UpdateServiceAttributes_Extensions(t *testing.T) {
	e := newEnv(t, registry.Config{})
	nsID := e.httpNamespace(t, "ext")
	custom := e.service(t, &cloudmap.CreateServiceInput{Name: "custom", NamespaceId: nsID,
		HealthCheckCustomConfig: &cloudmap.HealthCheckCustomConfig{FailureThreshold: 1}})
	plain := e.service(t, &cloudmap.CreateServiceInput{Name: "plain", NamespaceId: nsID})
	update := func(id string, kv ...string) error {
		_, err := e.reg.UpdateServiceAttributes(e.ctx, &cloudmap.UpdateServiceAttributesInput{ServiceId: id, Attributes: attrs(kv...)})
		return err
	}
	stored := func(id string) *cloudmap.ServiceExtensions {
		out, err := e.reg.GetService(e.ctx, &cloudmap.IdInput{Id: id})
		if err != nil {
			t.Fatal(err)
		}
		return out.Service.Extensions
	}

	bad := []struct {
		name, svc, key, value, rule string
	}{
		{"lease zero", custom.Id, cloudmap.AttrLeaseSeconds, "0", "from 1 to 86400"},
		{"lease over a day", custom.Id, cloudmap.AttrLeaseSeconds, "86401", "from 1 to 86400"},
		{"lease not a number", custom.Id, cloudmap.AttrLeaseSeconds, "10s", "from 1 to 86400"},
		{"deregister negative", custom.Id, cloudmap.AttrDeregisterAfterSeconds, "-1", "from 0 to 604800"},
		{"deregister over a week", custom.Id, cloudmap.AttrDeregisterAfterSeconds, "604801", "from 0 to 604800"},
		{"answers zero", plain.Id, cloudmap.AttrDNSMaxAnswers, "0", "from 1 to 100"},
		{"answers over 100", plain.Id, cloudmap.AttrDNSMaxAnswers, "101", "from 1 to 100"},
		{"lease without custom health", plain.Id, cloudmap.AttrLeaseSeconds, "30", "HealthCheckCustomConfig"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			err := wantCode(t, update(c.svc, c.key, c.value), cloudmap.ErrInvalidInput)
			if !strings.Contains(err.Message, c.key) || !strings.Contains(err.Message, c.rule) {
				t.Fatalf("message %q, want it to name %s and %q", err.Message, c.key, c.rule)
			}
			if x := stored(c.svc); x != nil {
				t.Fatalf("a refused update left extensions %+v", x)
			}
		})
	}

	if err := update(custom.Id, cloudmap.AttrLeaseSeconds, "30", cloudmap.AttrDeregisterAfterSeconds, "0", "color", "blue"); err != nil {
		t.Fatal(err)
	}
	if got, want := stored(custom.Id), (&cloudmap.ServiceExtensions{LeaseSeconds: 30, Deregister: true}); *got != *want {
		t.Fatalf("extensions %+v, want %+v", got, want)
	}
	if err := update(plain.Id, cloudmap.AttrDNSMaxAnswers, "20"); err != nil {
		t.Fatal(err)
	}
	out, _ := e.reg.GetService(e.ctx, &cloudmap.IdInput{Id: plain.Id})
	if got := out.Service.MaxAnswers(); got != 20 {
		t.Fatalf("MaxAnswers = %d, want 20", got)
	}
	// Deleting the attributes turns the extensions off again.
	_, err := e.reg.DeleteServiceAttributes(e.ctx, &cloudmap.DeleteServiceAttributesInput{ServiceId: custom.Id,
		Attributes: []string{cloudmap.AttrLeaseSeconds, cloudmap.AttrDeregisterAfterSeconds}})
	if err != nil {
		t.Fatal(err)
	}
	if x := stored(custom.Id); x != nil {
		t.Fatalf("extensions %+v after deleting the attributes, want none", x)
	}
}

// countingStore counts write transactions.
type countingStore struct {
	cloudmap.Store
	updates atomic.Int64
}

func (s *countingStore) Update(ctx context.Context, fn func(tx cloudmap.Tx) error) (int64, error) {
	s.updates.Add(1)
	return s.Store.Update(ctx, fn)
}

// A heartbeat (lease renewal) that changes nothing must not cost a write
// transaction: with fsync, that is what 10,000 renewing instances would pay.
func TestRegistry_UpdateInstanceCustomHealthStatus_UnchangedWritesNothing(t *testing.T) {
	store := &countingStore{Store: newStore(t)}
	e := &env{t: t, reg: registry.New(store, registry.Config{Region: region, AccountID: account}), store: store, ctx: context.Background()}
	e.startWorker(t)
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "custom", NamespaceId: e.httpNamespace(t, "hb"),
		HealthCheckCustomConfig: &cloudmap.HealthCheckCustomConfig{FailureThreshold: 1}})
	e.register(t, svc.Id, "i-1", attrs("k", "v"))
	report := func(st cloudmap.HealthStatus) {
		t.Helper()
		if _, err := e.reg.UpdateInstanceCustomHealthStatus(e.ctx, &cloudmap.UpdateInstanceCustomHealthStatusInput{
			ServiceId: svc.Id, InstanceId: "i-1", Status: st}); err != nil {
			t.Fatal(err)
		}
	}
	before := store.updates.Load()
	for range 10 {
		report(cloudmap.Healthy) // already HEALTHY
	}
	if n := store.updates.Load() - before; n != 0 {
		t.Fatalf("10 unchanged reports made %d write transactions, want 0", n)
	}
	report(cloudmap.Unhealthy)
	if got := e.health(t, svc.Id, "i-1"); got != cloudmap.Unhealthy || store.updates.Load()-before != 1 {
		t.Fatalf("a change: health %s after %d writes, want UNHEALTHY after 1", got, store.updates.Load()-before)
	}
	// The errors are still the write path's.
	_, err := e.reg.UpdateInstanceCustomHealthStatus(e.ctx, &cloudmap.UpdateInstanceCustomHealthStatusInput{
		ServiceId: svc.Id, InstanceId: "nope", Status: cloudmap.Healthy})
	wantCode(t, err, cloudmap.ErrInstanceNotFound)
}

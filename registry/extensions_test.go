package registry_test

import (
	"strings"
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

package registry_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/registry"
)

// TestRegistry_NilAndEmptyInputs calls every operation of the registry
// (found by reflection, so new ones are covered too) with a nil and with an
// empty input: none panics, and each gets InvalidInput naming the required
// member it checks first, or succeeds where every member is optional.
func TestRegistry_NilAndEmptyInputs(t *testing.T) {
	e := newEnv(t, registry.Config{})
	// The member each operation names; "" means every member is optional.
	required := map[string]string{
		"CreateHttpNamespace": "Name", "CreatePrivateDnsNamespace": "Name", "CreatePublicDnsNamespace": "Name",
		"CreateService": "Name", "DeleteNamespace": "Id", "DeleteService": "Id",
		"DeleteServiceAttributes": "ServiceId", "DeregisterInstance": "ServiceId", "GetInstance": "ServiceId",
		"GetNamespace": "Id", "GetOperation": "OperationId", "GetService": "Id", "GetServiceAttributes": "ServiceId",
		"ListInstances": "ServiceId", "ListNamespaces": "", "ListOperations": "", "ListServices": "",
		"ListTagsForResource": "ResourceARN", "RegisterInstance": "ServiceId", "TagResource": "ResourceARN",
		"UntagResource": "ResourceARN", "UpdateHttpNamespace": "Id", "UpdateInstanceCustomHealthStatus": "ServiceId",
		"UpdatePrivateDnsNamespace": "Id", "UpdatePublicDnsNamespace": "Id", "UpdateService": "Id",
		"UpdateServiceAttributes": "ServiceId",
	}
	// An empty private DNS namespace input misses its Vpc first.
	emptyRequired := map[string]string{"CreatePrivateDnsNamespace": "Vpc"}
	v := reflect.ValueOf(e.reg)
	ctxType := reflect.TypeFor[context.Context]()
	seen := 0
	for i := range v.NumMethod() {
		m := v.Type().Method(i)
		if m.Type.NumIn() != 3 || m.Type.In(1) != ctxType || m.Type.In(2).Kind() != reflect.Pointer || m.Type.NumOut() != 2 {
			continue
		}
		member, known := required[m.Name]
		if known {
			seen++
		}
		for _, nilInput := range []bool{true, false} {
			in := reflect.New(m.Type.In(2).Elem())
			if nilInput {
				in = reflect.Zero(m.Type.In(2))
			}
			name := m.Name + map[bool]string{true: "/nil", false: "/empty"}[nilInput]
			t.Run(name, func(t *testing.T) {
				out := v.Method(i).Call([]reflect.Value{reflect.ValueOf(e.ctx), in})
				err, _ := out[1].Interface().(error)
				want := member
				if w, ok := emptyRequired[m.Name]; ok && !nilInput {
					want = w
				}
				switch {
				case !known:
					if err != nil && cloudmap.ErrorCode(err) != cloudmap.ErrInvalidInput {
						t.Errorf("err = %v, want InvalidInput or success", err)
					}
				case want == "":
					if err != nil {
						t.Errorf("err = %v, want success: every member is optional", err)
					}
				default:
					wantInvalid(t, err, want, want+" is required")
				}
			})
		}
	}
	if seen != len(required) {
		t.Errorf("found %d of the %d operations of the table: the registry's methods changed", seen, len(required))
	}
}

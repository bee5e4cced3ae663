package view

import (
	"testing"
	"unsafe"

	"github.com/cloudmap/cloudmap"
)

// TestDecode_InstanceKeepsNoneOfItsRecordOrKey: a decoded instance holds
// its own copies: the record and the store key can be overwritten (as a
// reused buffer would be) without changing it, and attribute names are
// shared between instances.
func TestDecode_InstanceKeepsNoneOfItsRecordOrKey(t *testing.T) {
	in := &cloudmap.Instance{Id: "i-1", CreatorRequestId: "token-1", CreatedByAccount: "123456789012", ServiceId: "srv-1",
		Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1", "zone": "a"}}
	value := cloudmap.Encode(in)
	key := []byte(cloudmap.InstanceKey("srv-1", "i-1"))
	r := decode(cloudmap.Event{Key: string(key), Value: value})
	other := decode(cloudmap.Event{Key: cloudmap.InstanceKey("srv-1", "i-2"), Value: cloudmap.Encode(in)})
	for i := range value {
		value[i] = 'X'
	}
	if r.err != nil || r.kind != 'i' {
		t.Fatalf("decode: %+v", r)
	}
	got := r.in
	if got.Id != "i-1" || r.inst != "i-1" || got.CreatorRequestId != "token-1" || got.CreatedByAccount != "123456789012" ||
		got.Attributes["AWS_INSTANCE_IPV4"] != "10.0.0.1" || got.Attributes["zone"] != "a" || len(got.Attributes) != 2 {
		t.Errorf("after the record was overwritten: %+v", got)
	}
	for k := range got.Attributes {
		for k2 := range other.in.Attributes {
			if k == k2 && unsafeData(k) != unsafeData(k2) {
				t.Errorf("attribute name %q not shared between instances", k)
			}
		}
	}
}

func unsafeData(s string) *byte { return unsafe.StringData(s) }

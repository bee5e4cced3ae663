package awsapi_test

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/awsapi"
)

// TestHandler_DuplicateMembers sends members given twice: the last value
// wins, as in encoding/json and botocore; lists and maps are not merged,
// and an earlier value's constraint violations are dropped with it.
func TestHandler_DuplicateMembers(t *testing.T) {
	var mu sync.Mutex
	var got any
	url := start(t, func(_ context.Context, _ string, in any) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		got = in
		return nil, nil
	}, awsapi.Config{})
	long := strings.Repeat("a", 1025)
	tests := []struct {
		name, op, body string
		want           any
	}{
		{"string", "GetService", `{"Id":"srv-first","Id":"srv-last"}`, &cloudmap.IdInput{Id: "srv-last"}},
		{"map not merged", "RegisterInstance", `{"ServiceId":"s","InstanceId":"i","Attributes":{"a":"1","b":"2"},"Attributes":{"c":"3"}}`,
			&cloudmap.RegisterInstanceInput{ServiceId: "s", InstanceId: "i", Attributes: map[string]string{"c": "3"}}},
		{"map key twice", "RegisterInstance", `{"ServiceId":"s","InstanceId":"i","Attributes":{"a":"1","a":"2"}}`,
			&cloudmap.RegisterInstanceInput{ServiceId: "s", InstanceId: "i", Attributes: map[string]string{"a": "2"}}},
		{"list not merged", "DeleteServiceAttributes", `{"ServiceId":"s","Attributes":["a","b"],"Attributes":["c"]}`,
			&cloudmap.DeleteServiceAttributesInput{ServiceId: "s", Attributes: []string{"c"}}},
		{"structure not merged", "UpdatePrivateDnsNamespace",
			`{"Id":"ns","Namespace":{"Description":"d"},"Namespace":{"Properties":{"DnsProperties":{"SOA":{"TTL":5}}}}}`,
			&cloudmap.UpdateDnsNamespaceInput{Id: "ns", Namespace: &cloudmap.NamespaceChange{
				Properties: &cloudmap.DnsNamespaceProperties{DnsProperties: &cloudmap.DnsPropertiesMutable{SOA: cloudmap.NewSOA(5)}}}}},
		{"violation of the earlier value dropped", "CreateHttpNamespace", `{"Name":"` + long + `","Description":"` + long + `","Name":"ok"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post(t, url, targetPrefix+tt.op, tt.body)
			if tt.want == nil {
				checkAnswer(t, resp, "InvalidInput", []string{"1 validation error detected", "'Description'"})
				return
			}
			checkAnswer(t, resp, "", nil)
			mu.Lock()
			defer mu.Unlock()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("input = %#v, want %#v", got, tt.want)
			}
		})
	}
	// A null given last makes a required member absent.
	checkAnswer(t, post(t, url, targetPrefix+"CreateHttpNamespace", `{"Name":"x","Name":null}`),
		"InvalidInput", []string{"Value at 'Name' failed to satisfy constraint: Member must not be null"})
}

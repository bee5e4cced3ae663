package awsapi

import (
	"context"
	"fmt"
	"reflect"
	"sort"

	"github.com/cloudmap/cloudmap"
)

// operation is one entry of the dispatch table.
type operation struct {
	name      string
	inType    reflect.Type
	outType   reflect.Type
	newInput  func() any
	call      func(ctx context.Context, api cloudmap.API, in any) (any, error)
	input     *node   // decoding plan of the input
	encode    encFunc // encoder of *Out
	emptyBody bool    // success answers 200 with no body
}

// op makes the table entry of one method of cloudmap.API.
func op[In, Out any](name string, f func(cloudmap.API, context.Context, *In) (*Out, error)) *operation {
	return &operation{
		name:     name,
		inType:   reflect.TypeFor[In](),
		outType:  reflect.TypeFor[*Out](),
		newInput: func() any { return new(In) },
		call: func(ctx context.Context, api cloudmap.API, in any) (any, error) {
			out, err := f(api, ctx, in.(*In))
			if err != nil {
				return nil, err
			}
			return out, nil
		},
	}
}

// allOperations lists the 30 operations of the model with the API methods
// serving them.
func allOperations() []*operation {
	type A = cloudmap.API
	ops := []*operation{
		op("CreateHttpNamespace", A.CreateHttpNamespace),
		op("CreatePrivateDnsNamespace", A.CreatePrivateDnsNamespace),
		op("CreatePublicDnsNamespace", A.CreatePublicDnsNamespace),
		op("UpdateHttpNamespace", A.UpdateHttpNamespace),
		op("UpdatePrivateDnsNamespace", A.UpdatePrivateDnsNamespace),
		op("UpdatePublicDnsNamespace", A.UpdatePublicDnsNamespace),
		op("GetNamespace", A.GetNamespace),
		op("ListNamespaces", A.ListNamespaces),
		op("DeleteNamespace", A.DeleteNamespace),
		op("CreateService", A.CreateService),
		op("GetService", A.GetService),
		op("ListServices", A.ListServices),
		op("UpdateService", A.UpdateService),
		op("DeleteService", A.DeleteService),
		op("GetServiceAttributes", A.GetServiceAttributes),
		op("UpdateServiceAttributes", A.UpdateServiceAttributes),
		op("DeleteServiceAttributes", A.DeleteServiceAttributes),
		op("RegisterInstance", A.RegisterInstance),
		op("DeregisterInstance", A.DeregisterInstance),
		op("GetInstance", A.GetInstance),
		op("ListInstances", A.ListInstances),
		op("GetOperation", A.GetOperation),
		op("ListOperations", A.ListOperations),
		op("TagResource", A.TagResource),
		op("UntagResource", A.UntagResource),
		op("ListTagsForResource", A.ListTagsForResource),
		op("UpdateInstanceCustomHealthStatus", A.UpdateInstanceCustomHealthStatus),
		op("DiscoverInstances", A.DiscoverInstances),
		op("DiscoverInstancesRevision", A.DiscoverInstancesRevision),
		op("GetInstancesHealthStatus", A.GetInstancesHealthStatus),
	}
	return ops
}

// table is the dispatch table keyed by the full X-Amz-Target value.
type table struct {
	prefix string
	ops    map[string]*operation
}

// buildTable binds every operation to the model; any mismatch between the
// model and the Go types is an error.
func buildTable(m *model) (*table, error) {
	t := &table{prefix: m.targetPrefix + ".", ops: map[string]*operation{}}
	b := &binder{nodes: map[bindKey]*node{}}
	for _, o := range allOperations() {
		mo, ok := m.ops[o.name]
		if !ok {
			return nil, fmt.Errorf("awsapi: operation %s is not in the model", o.name)
		}
		if mo.input == nil {
			return nil, fmt.Errorf("awsapi: operation %s has no input shape", o.name)
		}
		var err error
		if o.input, err = b.bind(mo.input, o.inType); err != nil {
			return nil, fmt.Errorf("awsapi: %s input: %w", o.name, err)
		}
		if o.encode, err = encoderFor(o.outType); err != nil {
			return nil, fmt.Errorf("awsapi: %s output: %w", o.name, err)
		}
		o.emptyBody = mo.output == nil
		t.ops[t.prefix+o.name] = o
	}
	var missing []string
	for name := range m.ops {
		if _, ok := t.ops[t.prefix+name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("awsapi: model operations without a handler: %v", missing)
	}
	return t, nil
}

var (
	defaultModel    *model
	defaultTable    *table
	defaultTableErr error
)

func init() {
	defaultModel, defaultTableErr = parseModel(modelJSON)
	if defaultTableErr == nil {
		defaultTable, defaultTableErr = buildTable(defaultModel)
	}
}

// Operations returns the names of the operations the handler serves, sorted,
// or an error when the embedded model and the Go types disagree.
func Operations() ([]string, error) {
	if defaultTableErr != nil {
		return nil, defaultTableErr
	}
	names := make([]string, 0, len(defaultTable.ops))
	for _, o := range defaultTable.ops {
		names = append(names, o.name)
	}
	sort.Strings(names)
	return names, nil
}

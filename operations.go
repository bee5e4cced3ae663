package cloudmap

import (
	"reflect"
	"sort"
)

// OperationNames returns the names of the operations of the Cloud Map model,
// sorted: the methods of API, which is the one list of them. awsapi serves
// exactly these (its dispatch table is checked against the embedded model
// and against this list), and auth matches action patterns against them.
func OperationNames() []string {
	api := reflect.TypeFor[API]()
	names := make([]string, api.NumMethod())
	for i := range names {
		names[i] = api.Method(i).Name
	}
	sort.Strings(names)
	return names
}

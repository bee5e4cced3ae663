package cloudmap_test

import (
	"slices"
	"testing"

	"github.com/cloudmap/cloudmap"
)

func TestOperationNames(t *testing.T) {
	names := cloudmap.OperationNames()
	if len(names) != 30 {
		t.Errorf("%d operations, want the 30 of the model: %v", len(names), names)
	}
	if !slices.IsSorted(names) {
		t.Errorf("not sorted: %v", names)
	}
	for _, n := range []string{"CreateHttpNamespace", "DiscoverInstancesRevision", "UpdateInstanceCustomHealthStatus"} {
		if !slices.Contains(names, n) {
			t.Errorf("%s missing from %v", n, names)
		}
	}
}

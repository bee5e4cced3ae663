package acceptance_test

import (
	"testing"

	"github.com/cloudmap/cloudmap/storetest/teststore"
)

// TestMain runs the tests on the store CLOUDMAP_TEST_STORE chooses: bolt
// (also for mem: a server has no in-memory store), etcd, or both with all.
// The cluster tests run on etcd members of their own either way.
func TestMain(m *testing.M) { teststore.MainOn(m, "bolt", "etcd") }

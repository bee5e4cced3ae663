package acceptance_test

import (
	"testing"

	"github.com/cloudmap/cloudmap/storetest/teststore"
)

// TestMain runs the tests on the stores CLOUDMAP_TEST_STORE chooses among
// the two a server has: bolt (a data dir in t.TempDir()) and etcd (a
// prefix of one embedded member, acceptance.TestConfig). A server has no
// in-memory store, so mem, the quick default, runs them on bolt. Three
// tests need what only bolt has and pin it (acceptance.OnBolt: a release's
// data dir, the commit counter, /backup); the cluster tests start etcd
// members of their own. Neither takes the chosen store: with several
// chosen, they run in the first store's run only (teststore.Once).
func TestMain(m *testing.M) { teststore.MainOn(m, "bolt", "etcd") }

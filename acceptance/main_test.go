package acceptance_test

import (
	"testing"

	"github.com/cloudmap/cloudmap/storetest/teststore"
)

// TestMain runs the tests on bolt whatever CLOUDMAP_TEST_STORE says (a
// server has no in-memory store). acceptance.TestConfig puts single nodes
// on etcd when a run chooses it, and every test passes there except three
// that need the embedded store (TestCells_ReleaseDataDirServesUnchanged
// reads a bolt data dir, TestAdmin_MetricsCountWhatTheServerDid counts
// bolt commits, TestAdmin_Token backs up over /backup): once they pin bolt,
// MainOn(m, "bolt", "etcd") runs the suite on both. The cluster tests run
// on etcd members of their own either way.
func TestMain(m *testing.M) { teststore.MainOn(m, "bolt") }

// Package teststore gives tests a fresh cloudmap.Store of the backend
// chosen by CLOUDMAP_TEST_STORE, so that one test body runs on every store:
//
//	CLOUDMAP_TEST_STORE=mem   the in-memory store, each Update closure run twice (default)
//	CLOUDMAP_TEST_STORE=bolt  the bbolt store in t.TempDir()
//	CLOUDMAP_TEST_STORE=etcd  the etcd store, under a fresh prefix of one embedded member
//	CLOUDMAP_TEST_STORE=all   every one of them in turn
//
// A package whose tests take a store calls Main from its TestMain and New
// wherever a test needs a store; a package whose tests start servers calls
// MainOn with the stores a server has (bolt, etcd) and Etcd for a server
// on etcd. With several stores chosen, Main runs the
// package's test binary once per store, with the same flags, and fails
// when any run fails; its output names the store before each run. A test
// that does not take the chosen store (it makes its own) calls Once, so
// that it runs in one of those runs only.
package teststore

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/bolt"
	"github.com/cloudmap/cloudmap/etcd"
	"github.com/cloudmap/cloudmap/etcd/etcdtest"
	"github.com/cloudmap/cloudmap/storetest/memstore"
)

// Env is the environment variable that chooses the stores.
const Env = "CLOUDMAP_TEST_STORE"

// firstEnv tells the runs of a binary run once per store which store runs
// first: the run that runs the tests calling Once.
const firstEnv = "CLOUDMAP_TEST_STORE_FIRST"

// Stores are the names Env takes besides "all", in the order "all" runs them.
var Stores = []string{"mem", "bolt", "etcd"}

// Names returns the stores Env chooses: mem when it is empty.
func Names() ([]string, error) {
	switch v := os.Getenv(Env); v {
	case "":
		return []string{"mem"}, nil
	case "all":
		return Stores, nil
	default:
		for _, s := range Stores {
			if v == s {
				return []string{v}, nil
			}
		}
		return nil, fmt.Errorf("%s=%q: want one of %s or all", Env, v, strings.Join(Stores, ", "))
	}
}

// Name returns the store this test process runs on.
func Name() string {
	if current != "" {
		return current
	}
	names, err := Names()
	if err != nil || len(names) != 1 {
		panic(fmt.Sprintf("teststore: %s chooses %v (%v): call teststore.Main from TestMain", Env, names, err))
	}
	return names[0]
}

// Current returns the store Main or MainOn runs this process's tests on,
// or "" in a package that calls neither (which then runs its defaults).
func Current() string { return current }

var (
	current string // the store of this process, set by MainOn
	inMain  bool   // Main runs the tests: the etcd member is shared
	etcdMu  sync.Mutex
	shared  *etcdtest.Cluster
	prefixN atomic.Int64
)

// Main runs the package's tests (m.Run) on the store Env chooses, or, with
// several chosen, runs this test binary once per store. It stops the
// shared etcd member when the tests end. Call it from TestMain:
//
//	func TestMain(m *testing.M) { teststore.Main(m) }
func Main(m *testing.M) { MainOn(m, Stores...) }

// MainOn is Main for a package whose tests run on some of the stores only
// (a server has no in-memory store): each chosen store it does not support
// is replaced by the first it does, and every store runs once.
func MainOn(m *testing.M, supported ...string) {
	chosen, err := Names()
	if err != nil {
		fmt.Fprintln(os.Stderr, "teststore:", err)
		os.Exit(2)
	}
	var names []string
	for _, n := range chosen {
		if !slices.Contains(supported, n) {
			n = supported[0]
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) > 1 {
		os.Exit(runEach(names))
	}
	current = names[0]
	inMain = true
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	os.Exit(code)
}

// runEach runs this binary once per store and returns the worst exit code.
// The flags that name output files (test log, profiles) stay with the
// parent: several runs would overwrite each other's.
func runEach(names []string) int {
	var args []string
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-test.testlogfile") || strings.HasSuffix(strings.SplitN(a, "=", 2)[0], "profile") {
			continue
		}
		args = append(args, a)
	}
	code := 0
	for _, n := range names {
		fmt.Printf("=== %s=%s\n", Env, n)
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), Env+"="+n, firstEnv+"="+names[0])
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Printf("--- FAIL: %s=%s: %v\n", Env, n, err)
			code = 1
		}
	}
	return code
}

// Once marks a test that does not run on the chosen store: it starts a
// store of its own (etcd members for a cluster, the bolt file a test needs
// to read), so running it once per chosen store would only repeat it.
// With several stores chosen it runs in the first store's run and is
// skipped, saying where it ran, in the others; with one store it runs.
func Once(t testing.TB) {
	t.Helper()
	if first := os.Getenv(firstEnv); first != "" && first != current {
		t.Skipf("does not take the chosen store: run once, in the %s=%s run", Env, first)
	}
}

// New returns a fresh, empty store of the chosen backend, closed when the
// test ends. The in-memory store runs every Update closure twice, as etcd
// does on a conflict, so that a closure with effects outside its
// transaction fails the tests on every backend.
func New(t testing.TB) cloudmap.Store {
	t.Helper()
	return NewNamed(t, Name())
}

// NewNamed is New for the named backend.
func NewNamed(t testing.TB, name string) cloudmap.Store {
	t.Helper()
	var s cloudmap.Store
	switch name {
	case "mem":
		m := memstore.New()
		m.RerunUpdates(1)
		s = m
	case "bolt":
		b, err := bolt.Open(t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatalf("teststore: %v", err)
		}
		s = b
	case "etcd":
		s = openEtcd(t)
	default:
		t.Fatalf("teststore: no store %q", name)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Etcd returns the client endpoints of an embedded etcd and a fresh key
// prefix under it, for tests that start a server on etcd: the process's
// member (started at the first call) when Main runs the tests, else a
// member of the test's own.
func Etcd(t testing.TB) (endpoints []string, prefix string) {
	t.Helper()
	prefix = fmt.Sprintf("/t%d/", prefixN.Add(1))
	if !inMain {
		return etcdtest.Start(t), prefix
	}
	etcdMu.Lock()
	defer etcdMu.Unlock()
	if shared == nil {
		c, err := etcdtest.Launch(1)
		if err != nil {
			t.Fatalf("teststore: %v", err)
		}
		shared = c
	}
	return shared.Endpoints(), prefix
}

// openEtcd opens an etcd store under a fresh prefix (Etcd).
func openEtcd(t testing.TB) cloudmap.Store {
	t.Helper()
	endpoints, prefix := Etcd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := etcd.Open(ctx, etcd.Config{
		Endpoints: endpoints,
		Prefix:    prefix,
		MaxTxnOps: etcdtest.MaxTxnOps,
	})
	if err != nil {
		t.Fatalf("teststore: %v", err)
	}
	return s
}

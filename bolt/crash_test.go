package bolt_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/bolt"
)

// crashDirEnv tells the test binary to run as the child of TestStore_Kill9.
const crashDirEnv = "CLOUDMAP_BOLT_CRASH_DIR"

// Every commit acknowledged before a SIGKILL survives it.
func TestStore_Kill9(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashChild(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStore_Kill9$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]int64{}
	var last int64
	lines := bufio.NewScanner(out)
	for len(acked) < 300 && lines.Scan() {
		rev, key, ok := strings.Cut(lines.Text(), " ")
		if n, err := strconv.ParseInt(rev, 10, 64); ok && err == nil {
			acked[key], last = n, max(last, n)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(acked) < 300 {
		t.Fatalf("child acknowledged %d commits before it stopped (scan error %v)", len(acked), lines.Err())
	}

	s, err := bolt.Open(dir, nil)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	rev, err := s.Revision(context.Background())
	if err != nil || rev < last {
		t.Fatalf("Revision after kill = %d, %v, want >= %d", rev, err, last)
	}
	err = s.View(context.Background(), func(tx cloudmap.ReadTx) error {
		for key := range acked {
			if _, err := tx.Get(key); err != nil {
				return fmt.Errorf("acknowledged key %s: %w", key, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := s.Watch(ctx, last-10)
	if err != nil {
		t.Fatal(err)
	}
	if c := recv(t, ch); c.Revision != last-9 || c.Snapshot {
		t.Errorf("Watch(%d) after kill starts at %d snapshot %v", last-10, c.Revision, c.Snapshot)
	}
	if got := commit(t, s, "after", "kill"); got != rev+1 {
		t.Errorf("commit after kill = revision %d, want %d", got, rev+1)
	}
}

// crashChild commits from four goroutines and prints "rev key" for each
// acknowledged commit until it is killed (or a bound is reached).
func crashChild(dir string) {
	s, err := bolt.Open(dir, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	deadline := time.Now().Add(30 * time.Second)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; i < 100_000 && time.Now().Before(deadline); i++ {
				key := fmt.Sprintf("crash/%d/%d", w, i)
				rev, err := s.Update(context.Background(), func(tx cloudmap.Tx) error {
					return tx.Put(key, []byte(strings.Repeat("v", 300)))
				})
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Printf("%d %s\n", rev, key)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	os.Exit(0)
}

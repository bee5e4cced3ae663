package etcd_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/etcd"
	"github.com/cloudmap/cloudmap/etcd/etcdtest"
)

// TestCluster_MemberLoss stops one member of three under write load: every
// acknowledged write is there afterwards and writes keep succeeding.
func TestCluster_MemberLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("3-member cluster: skipped with -short")
	}
	c := etcdtest.StartCluster(t, 3)
	s := openCfg(t, etcd.Config{
		Endpoints: c.Endpoints(), Prefix: "/loss/", MaxTxnOps: etcdtest.MaxTxnOps,
		RequestTimeout: 2 * time.Second,
	})
	const writers, each = 4, 60
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	stopAt := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if w == 0 && i == each/3 {
					close(stopAt)
				}
				key := fmt.Sprintf("k/%d/%03d", w, i)
				_, err := s.Update(context.Background(), func(tx cloudmap.Tx) error { return tx.Put(key, []byte("v")) })
				if err == nil {
					mu.Lock()
					acked = append(acked, key)
					mu.Unlock()
				}
			}
		}()
	}
	<-stopAt
	c.Stop(1)
	wg.Wait()
	if len(acked) < writers*each/2 {
		t.Errorf("only %d of %d writes acknowledged with two of three members up", len(acked), writers*each)
	}
	err := s.View(context.Background(), func(tx cloudmap.ReadTx) error {
		for _, k := range acked {
			if _, err := tx.Get(k); err != nil {
				return fmt.Errorf("acknowledged %s: %w", k, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c.Restart(1)
	put(t, s, "after", "restart")
}

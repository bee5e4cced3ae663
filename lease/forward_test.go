package lease

import (
	"context"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/storetest/teststore"
)

// A follower's renewals reach the leader's keeper through the store, once,
// and leave nothing behind.
func TestMain(m *testing.M) { teststore.Main(m) }

func TestKeeper_ForwardedRenewals(t *testing.T) {
	store := teststore.New(t)
	ctx := context.Background()
	follower := New(nil, nil, Config{Store: store})
	leader := New(nil, nil, Config{Store: store})
	leader.running.Store(true)

	follower.Renew("arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1", "i-1")
	follower.Renew("srv-1", "i-2")
	leader.Renew("srv-1", "i-3") // the leader keeps its own in memory
	follower.flush(ctx)
	follower.flush(ctx) // nothing pending: no record
	if n := countRenewalRecords(t, store); n != 1 {
		t.Fatalf("%d renewal records after two flushes, want 1", n)
	}
	at := time.Now().Add(time.Hour)
	leader.collect(ctx, at)
	for _, id := range []string{"i-1", "i-2"} {
		if l := leader.insts[key{"srv-1", id}]; l == nil || !l.renewed.Equal(at) {
			t.Fatalf("%s: lease %+v, want renewed at the collection", id, l)
		}
	}
	if l := leader.insts[key{"srv-1", "i-3"}]; l == nil || l.renewed.Equal(at) {
		t.Fatalf("i-3: %+v, want the leader's own renewal", l)
	}
	if n := countRenewalRecords(t, store); n != 0 {
		t.Fatalf("%d renewal records left after the collection", n)
	}
}

func countRenewalRecords(t *testing.T, store cloudmap.Store) int {
	t.Helper()
	n := 0
	err := store.View(context.Background(), func(tx cloudmap.ReadTx) error {
		var err error
		n, err = tx.Count(PrefixRenewals)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

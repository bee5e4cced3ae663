package registry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/registry"
)

// errTooManyOps is what txLimit returns for a transaction it refuses.
var errTooManyOps = errors.New("txlimit: too many writes in one transaction")

// txLimit is a store that, like etcd with --max-txn-ops, refuses every
// transaction that writes more than limit keys. It records how many it
// refused and, for each one it committed, how many operation records
// (op/<id>, or the status key opst/<id> of a success) it wrote.
type txLimit struct {
	cloudmap.Store
	limit int

	mu      sync.Mutex
	refused int
	opsByTx []int
}

// Update runs fn and refuses the commit when it writes more than limit keys.
func (s *txLimit) Update(ctx context.Context, fn func(tx cloudmap.Tx) error) (int64, error) {
	var ops int
	rev, err := s.Store.Update(ctx, func(tx cloudmap.Tx) error {
		c := &countingTx{Tx: tx, keys: map[string]bool{}}
		if err := fn(c); err != nil {
			return err
		}
		if len(c.keys) > s.limit {
			return fmt.Errorf("%w: %d keys, at most %d", errTooManyOps, len(c.keys), s.limit)
		}
		ops = 0
		for k := range c.keys {
			if strings.HasPrefix(k, "op/") || strings.HasPrefix(k, "opst/") {
				ops++
			}
		}
		return nil
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case errors.Is(err, errTooManyOps):
		s.refused++
	case err == nil:
		s.opsByTx = append(s.opsByTx, ops)
	}
	return rev, err
}

// stats returns the refused count and the largest number of operation
// records one committed transaction wrote.
func (s *txLimit) stats() (refused, maxOps int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.opsByTx {
		maxOps = max(maxOps, n)
	}
	return s.refused, maxOps
}

// countingTx records the distinct keys a transaction writes.
type countingTx struct {
	cloudmap.Tx
	keys map[string]bool
}

func (t *countingTx) Put(key string, v []byte) error {
	t.keys[key] = true
	return t.Tx.Put(key, v)
}

func (t *countingTx) Delete(key string) error {
	t.keys[key] = true
	return t.Tx.Delete(key)
}

// limitedEnv returns a queueing registry (see newQueueingEnv) on a txLimit
// store, without its worker.
func limitedEnv(t *testing.T, limit, maxBatch int) (*env, *txLimit) {
	t.Helper()
	store := &txLimit{Store: newStore(t), limit: limit}
	cfg := registry.Config{Region: region, AccountID: account, MaxBatch: maxBatch, OperationDelay: time.Hour}
	return &env{t: t, reg: registry.New(store, cfg), cfg: cfg, store: store, ctx: context.Background()}, store
}

// drainWith runs the worker of resumer until the operations ids are final
// and returns them.
func drainWith(t *testing.T, e *env, ids []string) []*cloudmap.Operation {
	t.Helper()
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	w := e.resumer()
	go func() { done <- w.RunWorker(ctx) }()
	ops := make([]*cloudmap.Operation, len(ids))
	for i, id := range ids {
		ops[i] = e.wait(t, id)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return ops
}

// opID returns the operation id of a request, failing the test on error.
func (e *env) opID(out *cloudmap.OperationOutput, err error) string {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
	return out.OperationId
}

// queueRegistrations sets up a namespace and a custom-health service (so
// that each registration writes OperationKeys keys) and queues n
// registrations while no worker runs. It returns the operation ids.
func queueRegistrations(t *testing.T, e *env, n int) []string {
	t.Helper()
	ns := drainWith(t, e, []string{e.opID(e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "batch"}))})
	svc := e.service(t, &cloudmap.CreateServiceInput{
		Name: "s", NamespaceId: ns[0].Targets[cloudmap.TargetNamespace],
		HealthCheckCustomConfig: &cloudmap.HealthCheckCustomConfig{},
	})
	ids := make([]string, n)
	for i := range ids {
		ids[i] = e.opID(e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{
			ServiceId: svc.Id, InstanceId: fmt.Sprintf("i-%03d", i), Attributes: attrs("k", "v"),
		}))
	}
	return ids
}

// wantSuccess fails the test unless every operation succeeded.
func wantSuccess(t *testing.T, ops []*cloudmap.Operation) {
	t.Helper()
	for _, op := range ops {
		if op.Status != cloudmap.OpSuccess {
			t.Fatalf("operation %s %s: %s %s %s", op.Id, op.Type, op.Status, op.ErrorCode, op.ErrorMessage)
		}
	}
}

func TestBatchForTxnOps(t *testing.T) {
	tests := []struct{ maxTxnOps, want int }{
		{128, 25}, {2048, 409}, {11, 2}, {6, 1}, {5, 1}, {1, 1}, {0, 1},
	}
	for _, tc := range tests {
		if got := registry.BatchForTxnOps(tc.maxTxnOps); got != tc.want {
			t.Errorf("BatchForTxnOps(%d) = %d, want %d", tc.maxTxnOps, got, tc.want)
		}
	}
}

// TestWorker_MaxBatch queues more registrations than one batch holds on a
// store that refuses transactions of more than 32 writes: with MaxBatch
// from BatchForTxnOps no transaction is refused, none applies more than
// MaxBatch operations, and every registration succeeds.
func TestWorker_MaxBatch(t *testing.T) {
	const limit, n = 32, 40
	maxBatch := registry.BatchForTxnOps(limit)
	e, store := limitedEnv(t, limit, maxBatch)
	ops := drainWith(t, e, queueRegistrations(t, e, n))
	wantSuccess(t, ops)
	refused, maxOps := store.stats()
	if refused != 0 {
		t.Errorf("%d transactions refused, want none with MaxBatch %d", refused, maxBatch)
	}
	if maxOps != maxBatch {
		t.Errorf("at most %d operations applied per transaction, want %d (MaxBatch)", maxOps, maxBatch)
	}
	for _, id := range seq("i-", n) {
		if got := e.health(t, ops[0].Targets[cloudmap.TargetService], id); got != cloudmap.Healthy {
			t.Fatalf("health of %s = %q, want HEALTHY", id, got)
		}
	}
}

// TestWorker_SplitsRefusedBatch queues registrations and a namespace with
// 50 tags with the default MaxBatch on a store that refuses transactions of
// more than 64 writes: the worker splits refused batches until every
// operation goes through, in submission order.
func TestWorker_SplitsRefusedBatch(t *testing.T) {
	const limit, n = 64, 40
	e, store := limitedEnv(t, limit, 0)
	ids := queueRegistrations(t, e, n)
	tagged := e.opID(e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "tagged", Tags: manyTags(50)}))
	ops := drainWith(t, e, append(ids, tagged))
	wantSuccess(t, ops)
	refused, maxOps := store.stats()
	if refused == 0 {
		t.Errorf("no transaction refused: the test did not exercise splitting")
	}
	if maxOps > limit/registry.OperationKeys {
		t.Errorf("%d operations applied in one transaction, more than fit in %d writes", maxOps, limit)
	}
	ns, err := e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: ops[n].Targets[cloudmap.TargetNamespace]})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.reg.ListTagsForResource(e.ctx, &cloudmap.ResourceARNInput{ResourceARN: ns.Namespace.Arn})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tags) != 50 {
		t.Errorf("namespace has %d tags, want 50", len(out.Tags))
	}
}

package etcd

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/cloudmap/cloudmap"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// maxAttempts bounds how often Update runs fn when commits conflict.
const maxAttempts = 64

// errConflict says that something the transaction read changed before it
// committed.
var errConflict = errors.New("etcd: transaction conflict")

// View runs fn on etcd at one pinned revision.
func (s *Store) View(ctx context.Context, fn func(tx cloudmap.ReadTx) error) error {
	ctx, cancel, err := s.callCtx(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	for attempt := 1; ; attempt++ {
		t := newReadTx(s, ctx)
		err := fn(t)
		if t.err != nil && errors.Is(t.err, rpctypes.ErrCompacted) && attempt < maxAttempts {
			continue // the pinned revision was compacted under a long read
		}
		return err
	}
}

// Update runs fn in an optimistic transaction: reads are recorded with the
// revisions they saw, writes are buffered, and the commit compares that
// nothing read changed; on conflict fn runs again. A fence carried by ctx
// (cloudmap.WithFence) is compared too; when it no longer holds the error
// wraps cloudmap.ErrFenced.
func (s *Store) Update(ctx context.Context, fn func(tx cloudmap.Tx) error) (int64, error) {
	fence, fenced := cloudmap.FenceFrom(ctx)
	ctx, cancel, err := s.callCtx(ctx)
	if err != nil {
		return 0, err
	}
	defer cancel()
	for attempt := 1; ; attempt++ {
		rev, err := s.attempt(ctx, fn, fence, fenced)
		if err == nil {
			s.want(rev)
			return rev, nil
		}
		retry := errors.Is(err, errConflict) || errors.Is(err, rpctypes.ErrCompacted)
		if !retry {
			return 0, err
		}
		if attempt >= maxAttempts {
			return 0, fmt.Errorf("etcd: update: gave up after %d attempts: %w", attempt, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return 0, fmt.Errorf("etcd: update: %w (after %d conflicts)", err, attempt)
		}
	}
}

// backoff sleeps a jittered, growing delay before conflict retry attempt.
func backoff(ctx context.Context, attempt int) error {
	max := time.Millisecond << min(attempt, 6) // 2 ms .. 64 ms
	t := time.NewTimer(time.Duration(rand.Int64N(int64(max))))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// attempt runs fn once and commits it. fn's own error is returned unchanged
// unless a read failed with a compaction (then the attempt is retried).
func (s *Store) attempt(ctx context.Context, fn func(tx cloudmap.Tx) error, fence cloudmap.Fence, fenced bool) (int64, error) {
	t := newTx(s, ctx)
	if err := fn(t); err != nil {
		if t.err != nil && errors.Is(t.err, rpctypes.ErrCompacted) {
			return 0, t.err
		}
		return 0, err
	}
	if len(t.writes) == 0 && len(t.dels) == 0 && !fenced {
		if t.rev > 0 {
			return t.rev, nil
		}
		return s.currentRevision(ctx)
	}
	return s.commit(ctx, t, fence, fenced)
}

func (s *Store) currentRevision(ctx context.Context) (int64, error) {
	resp, err := s.cli.Get(ctx, s.prefix, clientv3.WithCountOnly())
	if err != nil {
		return 0, fmt.Errorf("etcd: revision: %w", err)
	}
	return resp.Header.Revision, nil
}

// commit sends the buffered writes guarded by the read set (and the fence).
func (s *Store) commit(ctx context.Context, t *tx, fence cloudmap.Fence, fenced bool) (int64, error) {
	budget := s.maxOps
	if fenced {
		budget-- // the outer level of the nested transaction holds one op
	}
	cmps := s.compares(t.readTx, budget)
	ops := writeOps(s, t)
	var resp *clientv3.TxnResponse
	var err error
	if fenced {
		fenceCmp := clientv3.Compare(clientv3.CreateRevision(fence.Key), "=", fence.Revision)
		inner := clientv3.OpTxn(cmps, ops, nil)
		resp, err = s.cli.Txn(ctx).If(fenceCmp).Then(inner).Commit()
	} else {
		resp, err = s.cli.Txn(ctx).If(cmps...).Then(ops...).Commit()
	}
	if err != nil {
		if errors.Is(err, rpctypes.ErrTooManyOps) {
			return 0, fmt.Errorf("etcd: commit %d writes and %d compares: more than etcd's --max-txn-ops (%d configured): %w",
				len(ops), len(cmps), s.maxOps, err)
		}
		return 0, fmt.Errorf("etcd: commit %d writes: %w", len(ops), err)
	}
	if !resp.Succeeded {
		if fenced {
			return 0, fmt.Errorf("etcd: commit: fence %s@%d: %w", fence.Key, fence.Revision, cloudmap.ErrFenced)
		}
		return 0, errConflict
	}
	if fenced && !resp.Responses[0].GetResponseTxn().Succeeded {
		return 0, errConflict
	}
	return resp.Header.Revision, nil
}

// compares returns the guards of what t read: no key under a ranged prefix
// changed after the pinned revision, and every key read still has the mod
// revision it had (which also catches deletions). Keys seen by Get come
// before keys seen by Range; keys that do not fit in budget go unguarded
// against deletion only (a count then errs on the high side). When even the
// prefixes and Gets do not fit, one compare over the whole store prefix
// replaces them all.
func (s *Store) compares(t *readTx, budget int) []clientv3.Cmp {
	if t.rev == 0 {
		return nil
	}
	if len(t.points)+len(t.prefixes) > budget {
		s.log.Debug("etcd: read set larger than a transaction allows, comparing the whole prefix",
			"keys", len(t.points), "prefixes", len(t.prefixes))
		return []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(s.prefix).WithPrefix(), "<", t.rev+1)}
	}
	cmps := make([]clientv3.Cmp, 0, min(budget, len(t.points)+len(t.prefixes)+len(t.seen)))
	for p := range t.prefixes {
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(p).WithPrefix(), "<", t.rev+1))
	}
	for k, rev := range t.points {
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(k), "=", rev))
	}
	for k, rev := range t.seen {
		if len(cmps) >= budget {
			break
		}
		if _, ok := t.points[k]; !ok {
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(k), "=", rev))
		}
	}
	return cmps
}

// writeOps returns the buffered writes as etcd operations, in key order.
func writeOps(s *Store, t *tx) []clientv3.Op {
	ops := make([]clientv3.Op, 0, len(t.writes)+len(t.dels))
	for k, v := range t.writes {
		ops = append(ops, clientv3.OpPut(s.full(k), string(v)))
	}
	for k := range t.dels {
		ops = append(ops, clientv3.OpDelete(s.full(k)))
	}
	sort.Slice(ops, func(i, j int) bool { return string(ops[i].KeyBytes()) < string(ops[j].KeyBytes()) })
	return ops
}

package embed

import (
	"context"
	"time"
)

// pruneInterval is how often the leader prunes expired operations: a
// tenth of the retention, between one second and ten minutes.
func pruneInterval(retention time.Duration) time.Duration {
	return min(max(retention/10, time.Second), 10*time.Minute)
}

// prune deletes, every pruneInterval while this node leads, the operations
// and idempotency records older than cfg.OperationRetention (0: never).
func (s *Server) prune(ctx context.Context) {
	keep := s.cfg.OperationRetention
	if keep <= 0 {
		return
	}
	t := time.NewTicker(pruneInterval(keep))
	defer t.Stop()
	for {
		res, err := s.reg.Prune(ctx, time.Now().Add(-keep))
		if s.metrics != nil {
			s.metrics.Ops.Pruned(res.Operations, res.Idempotency)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("pruning expired operations failed; retrying at the next interval", "err", err)
		case res.Operations+res.Idempotency > 0:
			s.log.Debug("pruned expired operations", "operations", res.Operations, "idempotency_records", res.Idempotency)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PruneOperations deletes now the operations (and their idempotency
// records) that finished before before, as the background pruning does
// with the retention window; it returns how many records it deleted.
func (s *Server) PruneOperations(ctx context.Context, before time.Time) (operations, idempotency int, err error) {
	res, err := s.reg.Prune(ctx, before)
	return res.Operations, res.Idempotency, err
}

package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cloudmap/cloudmap"
)

// Retention of finished operations (see Prune). The batches are small so
// that pruning never holds the store's writer for long: one Update deletes
// at most prunePerUpdate operations with their status keys and
// idempotency records.
const (
	// DefaultOperationRetention is how long a finished operation and its
	// idempotency record are kept: 30 days. (The ListOperations reference
	// documents no retention of its own; 30 days is ours.)
	DefaultOperationRetention = 720 * time.Hour
	pruneScan                 = 512 // keys read per View
	prunePerUpdate            = 128 // operations deleted per Update
)

// PruneResult counts what one Prune deleted.
type PruneResult struct {
	Operations  int // operation records (with their status keys)
	Idempotency int // idempotency records
}

// PendingOperations returns how many operations are not final yet, in
// every cell.
func (r *Registry) PendingOperations(ctx context.Context) (int, error) {
	cells, err := r.allCells(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, c := range cells {
		var n int
		err := r.store.View(cellContext(ctx, c), func(tx cloudmap.ReadTx) (err error) {
			n, err = count(tx, prefixOpQueue)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// Prune deletes the operations that finished (SUCCESS or FAIL) before
// cutoff, their status keys and the idempotency records that name them;
// GetOperation then answers OperationNotFound for them and a repeated
// request token starts a new operation. Unfinished operations are kept
// whatever their age. Operation ids sort by creation time, so the scan
// stops at the first operation created after cutoff. When it deleted any,
// it then deletes the idempotency records whose operation is gone. It works in small batches
// and returns what it deleted, also when ctx ends it early. It prunes every
// cell.
func (r *Registry) Prune(ctx context.Context, cutoff time.Time) (PruneResult, error) {
	var res PruneResult
	cells, err := r.allCells(ctx)
	if err != nil {
		return res, err
	}
	for _, c := range cells {
		n, err := r.pruneCell(cellContext(ctx, c), cutoff)
		res.Operations += n.Operations
		res.Idempotency += n.Idempotency
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// pruneCell is Prune in the cell of ctx.
func (r *Registry) pruneCell(ctx context.Context, cutoff time.Time) (PruneResult, error) {
	var res PruneResult
	after := ""
	for {
		batch, next, done, err := r.expiredOps(ctx, after, cutoff)
		if err != nil {
			return res, err
		}
		if len(batch) > 0 {
			if err := r.deleteOps(ctx, batch, &res); err != nil {
				return res, err
			}
		}
		if done {
			break
		}
		after = next
	}
	if res.Operations == 0 {
		return res, nil // a token is orphaned only when its operation goes
	}
	n, err := r.sweepIdem(ctx)
	res.Idempotency += n
	return res, err
}

// expired is an operation to delete and the idempotency key its request
// token used, if known.
type expired struct {
	id, idem string
}

// prunable is the part of an operation record pruning reads.
type prunable struct {
	Status     cloudmap.OperationStatus
	UpdateDate time.Time
	Instance   *struct{ CreatorRequestId string } `json:",omitempty"`
	Namespace  *struct{ CreatorRequestId string } `json:",omitempty"`
}

// expiredOps reads up to pruneScan operations after the key after and
// returns those finished before cutoff (at most prunePerUpdate), the key to
// continue from, and done when no older operation remains.
func (r *Registry) expiredOps(ctx context.Context, after string, cutoff time.Time) ([]expired, string, bool, error) {
	var out []expired
	next, done := after, true
	err := r.store.View(ctx, func(tx cloudmap.ReadTx) error {
		out, next, done = out[:0], after, true
		seen := 0
		var ferr error
		err := tx.Range(prefixOp, after, func(key string, value []byte) bool {
			id := key[len(prefixOp):]
			if t, ok := opIDTime(id); ok && !t.Before(cutoff) {
				return false // created after cutoff, and so is every later id
			}
			if seen == pruneScan || len(out) == prunePerUpdate {
				done = false
				return false
			}
			seen++
			next = key
			e, ok, err := expiredOp(tx, id, value, cutoff)
			if err != nil {
				ferr = err
				return false
			}
			if ok {
				out = append(out, e)
			}
			return true
		})
		return errors.Join(err, ferr)
	})
	if err != nil {
		return nil, "", false, fmt.Errorf("registry: prune: %w", err)
	}
	return out, next, done, nil
}

// expiredOp reports whether the operation id (its record raw) finished
// before cutoff.
func expiredOp(tx cloudmap.ReadTx, id string, raw []byte, cutoff time.Time) (expired, bool, error) {
	if _, err := tx.Get(opQueueKey(id)); err == nil {
		return expired{}, false, nil // not final
	} else if !errors.Is(err, cloudmap.ErrKeyNotFound) {
		return expired{}, false, err
	}
	var p prunable
	if err := json.Unmarshal(raw, &p); err != nil {
		return expired{}, false, nil // unreadable: leave it for an operator to see
	}
	finished := p.UpdateDate
	if p.Status == cloudmap.OpSubmitted {
		mark, err := getString(tx, opStatusKey(id))
		if err != nil {
			return expired{}, false, err
		}
		ms, ok := strings.CutPrefix(mark, successMark)
		n, perr := strconv.ParseInt(ms, 10, 64)
		if !ok || perr != nil {
			return expired{}, false, nil
		}
		finished = time.UnixMilli(n)
	} else if !p.Status.Done() {
		return expired{}, false, nil
	}
	if !finished.Before(cutoff) {
		return expired{}, false, nil
	}
	e := expired{id: id}
	switch {
	case p.Instance != nil && p.Instance.CreatorRequestId != "":
		e.idem = idemKey("inst", p.Instance.CreatorRequestId)
	case p.Namespace != nil && p.Namespace.CreatorRequestId != "":
		e.idem = idemKey("ns", p.Namespace.CreatorRequestId)
	}
	return e, true, nil
}

// deleteOps deletes a batch of expired operations in one Update. A final
// operation stays final, so nothing read outside the transaction can have
// changed but the idempotency record, which is deleted only while it still
// names the operation.
func (r *Registry) deleteOps(ctx context.Context, batch []expired, res *PruneResult) error {
	var ops, idem int
	_, err := r.store.Update(ctx, func(tx cloudmap.Tx) error {
		ops, idem = 0, 0
		for _, e := range batch {
			if err := errors.Join(del(tx, opKey(e.id)), del(tx, opStatusKey(e.id))); err != nil {
				return err
			}
			ops++
			if e.idem == "" {
				continue
			}
			var rec idemRecord
			found, err := getRecord(tx, e.idem, &rec)
			if err != nil {
				return err
			}
			if found && rec.OperationId == e.id {
				if err := del(tx, e.idem); err != nil {
					return err
				}
				idem++
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("registry: prune: %w", err)
	}
	res.Operations += ops
	res.Idempotency += idem
	return nil
}

// sweepIdem deletes the idempotency records naming an operation that no
// longer exists, reading pruneScan records per View and deleting those of
// one View in one Update. (A final operation record does not keep its
// request token, so the records are found from the token side.)
func (r *Registry) sweepIdem(ctx context.Context) (int, error) {
	deleted := 0
	after := ""
	for {
		gone, next, more, err := r.orphanTokens(ctx, after)
		if err != nil {
			return deleted, err
		}
		if len(gone) > 0 {
			n, err := r.deleteTokens(ctx, gone)
			deleted += n
			if err != nil {
				return deleted, err
			}
		}
		if !more {
			return deleted, nil
		}
		after = next
	}
}

// orphanTokens reads up to pruneScan idempotency records after the key
// after and returns those whose operation is gone, the last key read, and
// whether more records follow.
func (r *Registry) orphanTokens(ctx context.Context, after string) (gone []string, next string, more bool, err error) {
	err = r.store.View(ctx, func(tx cloudmap.ReadTx) error {
		gone, next, more = gone[:0], after, false
		seen := 0
		var ferr error
		err := tx.Range(prefixIdem, after, func(key string, value []byte) bool {
			if seen == pruneScan {
				more = true
				return false
			}
			seen++
			next = key
			var rec idemRecord
			if json.Unmarshal(value, &rec) != nil || rec.OperationId == "" {
				return true // service tokens live as long as their service
			}
			if _, err := tx.Get(opKey(rec.OperationId)); errors.Is(err, cloudmap.ErrKeyNotFound) {
				gone = append(gone, key)
			} else if err != nil {
				ferr = err
				return false
			}
			return true
		})
		return errors.Join(err, ferr)
	})
	if err != nil {
		return nil, "", false, fmt.Errorf("registry: prune idempotency records: %w", err)
	}
	return gone, next, more, nil
}

// deleteTokens deletes the idempotency records keys whose operation is
// still gone, in one Update.
func (r *Registry) deleteTokens(ctx context.Context, keys []string) (int, error) {
	n := 0
	_, err := r.store.Update(ctx, func(tx cloudmap.Tx) error {
		n = 0
		for _, key := range keys {
			var rec idemRecord
			found, err := getRecord(tx, key, &rec)
			if err != nil {
				return err
			}
			if !found || rec.OperationId == "" {
				continue
			}
			if _, err := tx.Get(opKey(rec.OperationId)); errors.Is(err, cloudmap.ErrKeyNotFound) {
				if err := del(tx, key); err != nil {
					return err
				}
				n++
			} else if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("registry: prune idempotency records: %w", err)
	}
	return n, nil
}

// opIDTime is the creation time encoded in the first 13 characters of an
// operation id (see newOperationID), or ok false for an id of another form.
func opIDTime(id string) (time.Time, bool) {
	const sortable = "234567abcdefghijklmnopqrstuvwxyz"
	if len(id) < 13 {
		return time.Time{}, false
	}
	var v uint64
	for i := range 13 {
		d := strings.IndexByte(sortable, id[i])
		if d < 0 {
			return time.Time{}, false
		}
		v = v<<5 | uint64(d)
	}
	return time.Unix(0, int64(v)), true
}

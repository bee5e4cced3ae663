package registry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cloudmap/cloudmap"
)

// The queue of delayed operations (Config.OperationDelay) and of operations
// accepted before a restart. A queued operation is its record op/<id> as
// submitted (with what to do), its queue marker opq/<id> ("" while
// SUBMITTED, "PENDING <unix ms>" once it is pending) and the in-progress
// marker of its target. Finishing it writes its status and removes both
// markers.

// job is a queued operation (or, without a delay, the operation of a
// request), decoded and encoded outside the transaction that applies it,
// so that the store's writer does little more than check and write.
type job struct {
	id      string
	op      *opRecord // nil when the record is missing or already final
	inst    []byte    // the instance of a registration, encoded
	pending bool      // the queue marker says PENDING
	// svc is the service of a registration as its request's transaction
	// read it (nil in the worker, which reads it again).
	svc *cloudmap.Service
}

// readQueue returns up to limit queued operations in submission order (by
// creation date, then id; operations no longer stored first), prepared
// for applyBatch.
func (r *Registry) readQueue(ctx context.Context, limit int) ([]*job, error) {
	var ids []string
	var raws [][]byte
	var pending []bool
	err := r.store.View(ctx, func(tx cloudmap.ReadTx) error {
		ids, raws, pending = ids[:0], raws[:0], pending[:0]
		if err := tx.Range(prefixOpQueue, "", func(k string, v []byte) bool {
			ids = append(ids, strings.TrimPrefix(k, prefixOpQueue))
			pending = append(pending, len(v) != 0)
			return len(ids) < limit
		}); err != nil {
			return fmt.Errorf("registry: range %s: %w", prefixOpQueue, err)
		}
		for _, id := range ids {
			b, err := tx.Get(opKey(id))
			if err != nil && !errors.Is(err, cloudmap.ErrKeyNotFound) {
				return fmt.Errorf("registry: get %s: %w", opKey(id), err)
			}
			raws = append(raws, b)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	jobs := make([]*job, len(ids))
	for i, id := range ids {
		if jobs[i], err = prepare(id, raws[i]); err != nil {
			return nil, err
		}
		jobs[i].pending = pending[i]
	}
	slices.SortFunc(jobs, func(a, b *job) int {
		switch {
		case a.op == nil || b.op == nil:
			return cmp.Compare(b2i(a.op != nil), b2i(b.op != nil))
		}
		return cmp.Or(a.op.CreateDate.Compare(b.op.CreateDate), strings.Compare(a.id, b.id))
	})
	return jobs, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// prepare decodes the stored operation raw (nil when missing) and encodes
// the instance a registration writes.
func prepare(id string, raw []byte) (*job, error) {
	if raw == nil {
		return &job{id: id}, nil
	}
	op := &opRecord{}
	if err := cloudmap.Decode(raw, op); err != nil {
		return nil, fmt.Errorf("registry: %s: %w", opKey(id), err)
	}
	if op.Status.Done() {
		return &job{id: id}, nil
	}
	return newJob(op), nil
}

// newJob returns the job of the unfinished operation op.
func newJob(op *opRecord) *job {
	j := &job{id: op.Id, op: op}
	if op.Type == cloudmap.OpRegisterInstance && op.Instance != nil {
		j.inst = cloudmap.Encode(op.Instance)
	}
	return j
}

// markPending moves the SUBMITTED operations among ids to PENDING. The
// status lives in the small queue marker ("" SUBMITTED, "PENDING <unix ms>")
// so that this step rewrites no operation record; readers overlay it.
func (r *Registry) markPending(tx cloudmap.Tx, ids []string) error {
	mark := pendingMark + strconv.FormatInt(r.now().UnixMilli(), 10)
	for _, id := range ids {
		b, err := tx.Get(opQueueKey(id))
		if errors.Is(err, cloudmap.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("registry: get %s: %w", opQueueKey(id), err)
		}
		if len(b) != 0 {
			continue
		}
		if err := putString(tx, opQueueKey(id), mark); err != nil {
			return err
		}
	}
	return nil
}

const pendingMark = "PENDING "

// overlayStatus reports a stored SUBMITTED operation whose status key says
// SUCCESS as SUCCESS, and one whose queue marker says PENDING as PENDING,
// with the time it became so.
func overlayStatus(tx cloudmap.ReadTx, op *opRecord) error {
	if op.Status != cloudmap.OpSubmitted {
		return nil
	}
	done, err := getString(tx, opStatusKey(op.Id))
	if err != nil {
		return err
	}
	if ms, ok := strings.CutPrefix(done, successMark); ok {
		op.Status = cloudmap.OpSuccess
		if n, err := strconv.ParseInt(ms, 10, 64); err == nil {
			op.UpdateDate = time.UnixMilli(n).UTC()
		}
		return nil
	}
	v, err := getString(tx, opQueueKey(op.Id))
	if err != nil {
		return err
	}
	ms, ok := strings.CutPrefix(v, pendingMark)
	if !ok {
		return nil
	}
	op.Status = cloudmap.OpPending
	if n, err := strconv.ParseInt(ms, 10, 64); err == nil {
		op.UpdateDate = time.UnixMilli(n).UTC()
	}
	return nil
}

// finish stores a final operation without its payload and releases its
// queue and in-progress markers.
func finish(tx cloudmap.Tx, op *opRecord, now time.Time) error {
	op.UpdateDate = now
	op.Namespace, op.Tags, op.Change, op.ServiceChange, op.Instance = nil, nil, nil, nil, nil
	if err := put(tx, opKey(op.Id), op); err != nil {
		return err
	}
	return release(tx, op)
}

// succeed records the success of a queued op in its small status key,
// leaving the stored record as submitted (readers overlay the status, see
// overlayStatus). It releases the queue and in-progress markers.
func succeed(tx cloudmap.Tx, op *opRecord) error {
	v := successMark + strconv.FormatInt(op.UpdateDate.UnixMilli(), 10)
	if err := putString(tx, opStatusKey(op.Id), v); err != nil {
		return err
	}
	return release(tx, op)
}

const successMark = "SUCCESS "

// release deletes the queue and in-progress markers of a finished op.
func release(tx cloudmap.Tx, op *opRecord) error {
	if err := del(tx, opQueueKey(op.Id)); err != nil {
		return err
	}
	if op.Busy == "" {
		return nil
	}
	holder, err := getString(tx, op.Busy)
	if err != nil || holder != op.Id {
		return err
	}
	return del(tx, op.Busy)
}

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

// DefaultMaxBatch is the most operations the worker moves in one
// transaction when Config.MaxBatch is 0.
const DefaultMaxBatch = 1000

// OperationKeys is the most keys the worker writes to apply one
// registration or deregistration: the instance and its health record, the
// final operation record, and the deletion of its queue and in-progress
// markers. UpdateNamespace writes 4; CreateNamespace and DeleteNamespace
// write up to 4 + 3 plus one per tag (at most 50); UpdateService writes 4
// plus one per instance of the service when its HealthCheckConfig is added
// or removed. Moving an operation to PENDING writes 1.
const OperationKeys = 5

// BatchForTxnOps returns the Config.MaxBatch that keeps the transaction
// applying a batch of registrations within maxTxnOps operations (etcd's
// --max-txn-ops, 128 by default, 25 operations then): OperationKeys writes
// per operation, and one operation left for the fence of a fenced write.
// Batches holding heavier operations that a store refuses are split (see
// RunWorker).
func BatchForTxnOps(maxTxnOps int) int {
	return max(1, (maxTxnOps-1)/OperationKeys)
}

// maxBatch returns how many operations the worker moves in one transaction.
func (r *Registry) maxBatch() int {
	if r.cfg.MaxBatch > 0 {
		return r.cfg.MaxBatch
	}
	return DefaultMaxBatch
}

// After a batch of at least coalesceMin operations, the worker waits
// coalesceDelay before it looks at the queue again.
const (
	coalesceMin   = 32
	coalesceDelay = 20 * time.Millisecond
)

// retryDelay is how long the worker waits after a store failure.
const retryDelay = 500 * time.Millisecond

// RunWorker drives operations to SUCCESS or FAIL until ctx is done; it
// resumes every unfinished (SUBMITTED or PENDING) operation first. It learns
// of new operations from the store's change feed, so operations submitted on
// other nodes are seen too, and from an in-process nudge. Each batch of up
// to Config.MaxBatch operations is read and encoded outside the store's
// writer and applied in one Store.Update, each operation succeeding or
// failing on its own; that transaction also moves the operations queued
// behind the batch to PENDING, as many as the rest of the batch leaves
// room for. After a batch of at least coalesceMin operations the worker
// waits coalesceDelay before the next, so that under load it applies
// fewer, larger batches. When the store refuses a batch (other than for a
// canceled context or a lost fence), for instance because it holds more
// writes than etcd's --max-txn-ops, the two halves of the batch go on their
// own (applied in submission order), down to single operations; one that
// still fails is retried after a delay. It returns nil when ctx is done and
// an error when the change feed ends before.
func (r *Registry) RunWorker(ctx context.Context) error {
	rev, err := r.store.Revision(ctx)
	if err != nil {
		return fmt.Errorf("registry: worker: revision: %w", err)
	}
	feed, err := r.store.Watch(ctx, rev)
	if err != nil {
		return fmt.Errorf("registry: worker: watch: %w", err)
	}
	signal := make(chan struct{}, 1)
	feedDone := make(chan struct{})
	go func() {
		defer close(feedDone)
		for c := range feed {
			if queued(c) {
				notify(signal)
			}
		}
	}()
	notify(signal) // resume what a previous run left unfinished
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-feedDone:
			if ctx.Err() != nil {
				return nil
			}
			return errors.New("registry: worker: the change feed ended")
		case <-signal:
		case <-r.nudge:
		}
		n, err := r.drain(ctx)
		if err == nil && n >= coalesceMin {
			// Under load, let operations gather: fewer, larger batches
			// write fewer pages per operation and leave the store's
			// writer to the requests more of the time.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(coalesceDelay):
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.log.Warn("operations worker: batch failed, retrying", "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(retryDelay):
			}
			notify(signal)
		}
	}
}

func notify(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// queued reports whether a commit submitted an operation.
func queued(c cloudmap.Change) bool {
	for _, e := range c.Events {
		if !e.Deleted && strings.HasPrefix(e.Key, prefixOpQueue) {
			return true
		}
	}
	return false
}

// drain processes batches until the queue is empty.
// It returns the size of the last batch.
func (r *Registry) drain(ctx context.Context) (int, error) {
	for ctx.Err() == nil {
		n, err := r.processBatch(ctx)
		if err != nil || n < r.maxBatch() {
			return n, err
		}
	}
	return 0, nil
}

// processBatch applies up to maxBatch queued operations in one
// transaction, which also moves the operations queued behind them to
// PENDING, and returns how many it found.
func (r *Registry) processBatch(ctx context.Context) (int, error) {
	jobs, err := r.readQueue(ctx, r.maxBatch())
	if err != nil || len(jobs) == 0 {
		return 0, wrap("worker: read queue", err)
	}
	done, err := r.applyJobs(ctx, jobs, true)
	if err != nil {
		return 0, wrap("worker: apply", err)
	}
	for _, op := range done {
		if r.cfg.Finished != nil {
			r.cfg.Finished(op.Type, op.Status)
		}
		if op.Status == cloudmap.OpFail {
			r.log.Info("operation failed", "id", op.Id, "type", op.Type, "code", op.ErrorCode, "message", op.ErrorMessage)
		}
	}
	r.log.Debug("operations applied", "count", len(done))
	return len(jobs), nil
}

// job is a queued operation, read, decoded and encoded outside the
// transaction that applies it, so that the store's writer does little more
// than check and write.
type job struct {
	id   string
	op   *opRecord // nil when the record is missing or already final
	inst []byte    // the instance of a registration, encoded
}

// readQueue returns up to limit queued operations in submission order (by
// creation date, then id; operations no longer stored first), prepared
// for applyBatch.
func (r *Registry) readQueue(ctx context.Context, limit int) ([]*job, error) {
	var ids []string
	var raws [][]byte
	var known []*opRecord
	err := r.store.View(ctx, func(tx cloudmap.ReadTx) error {
		ids, raws = ids[:0], raws[:0]
		if err := tx.Range(prefixOpQueue, "", func(k string, _ []byte) bool {
			ids = append(ids, strings.TrimPrefix(k, prefixOpQueue))
			return len(ids) < limit
		}); err != nil {
			return fmt.Errorf("registry: range %s: %w", prefixOpQueue, err)
		}
		known = r.recall(ids)
		for i, id := range ids {
			if known[i] != nil {
				raws = append(raws, nil)
				continue
			}
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
		if known[i] != nil {
			jobs[i] = prepared(id, known[i])
			continue
		}
		if jobs[i], err = prepare(id, raws[i]); err != nil {
			return nil, err
		}
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
	j := &job{id: id}
	if raw == nil {
		return j, nil
	}
	op := &opRecord{}
	if err := cloudmap.Decode(raw, op); err != nil {
		return nil, fmt.Errorf("registry: %s: %w", opKey(id), err)
	}
	if op.Status.Done() {
		return j, nil
	}
	return prepared(id, op), nil
}

// prepared returns the job of the unfinished operation op.
func prepared(id string, op *opRecord) *job {
	j := &job{id: id, op: op}
	if op.Type == cloudmap.OpRegisterInstance && op.Instance != nil {
		j.inst = cloudmap.Encode(op.Instance)
	}
	return j
}

// maxRemembered bounds the operations submitted in this process that the
// worker finds without reading and decoding them; when full it is emptied
// (a node that does not run the worker keeps at most this many).
const maxRemembered = 8192

// remember keeps op, just committed as submitted, for the worker.
func (r *Registry) remember(op *opRecord) {
	r.opMu.Lock()
	defer r.opMu.Unlock()
	if len(r.submittedOps) >= maxRemembered {
		clear(r.submittedOps)
	}
	r.submittedOps[op.Id] = op
}

// recall returns, for each of ids, the operation remember kept (and
// forgets it), or nil. The records are shared: callers must not modify
// them.
func (r *Registry) recall(ids []string) []*opRecord {
	ops := make([]*opRecord, len(ids))
	r.opMu.Lock()
	defer r.opMu.Unlock()
	for i, id := range ids {
		if op, ok := r.submittedOps[id]; ok {
			ops[i] = op
			delete(r.submittedOps, id)
		}
	}
	return ops
}

// splittable reports whether a batch whose transaction failed with err may
// go through in smaller parts: not when ctx ended or the leadership is lost.
func splittable(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) &&
		!errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, cloudmap.ErrFenced)
}

// applyJobs applies jobs (in submission order) in one transaction; with
// markNext, that transaction also moves the operations queued behind them
// to PENDING, as many as the rest of the batch allows. When the store
// refuses the transaction, it applies each half on its own, both halves
// even when the first fails, and returns the first error.
func (r *Registry) applyJobs(ctx context.Context, jobs []*job, markNext bool) ([]*opRecord, error) {
	var done []*opRecord
	budget := 0
	if markNext {
		budget = (r.maxBatch() - len(jobs)) * OperationKeys
	}
	_, err := r.store.Update(ctx, func(tx cloudmap.Tx) error {
		var err error
		if done, err = r.applyBatch(tx, jobs); err != nil {
			return err
		}
		return r.markQueued(tx, budget)
	})
	if len(jobs) < 2 || !splittable(ctx, err) {
		return done, err
	}
	r.log.Debug("operations worker: batch refused, splitting", "operations", len(jobs), "err", err)
	half := len(jobs) / 2
	first, err1 := r.applyJobs(ctx, jobs[:half], false)
	second, err2 := r.applyJobs(ctx, jobs[half:], false)
	return append(first, second...), cmp.Or(err1, err2)
}

// markQueued moves up to n SUBMITTED operations of the queue to PENDING.
func (r *Registry) markQueued(tx cloudmap.Tx, n int) error {
	if n <= 0 {
		return nil
	}
	var ids []string
	if err := tx.Range(prefixOpQueue, "", func(k string, v []byte) bool {
		if len(v) == 0 {
			ids = append(ids, strings.TrimPrefix(k, prefixOpQueue))
		}
		return len(ids) < n
	}); err != nil {
		return fmt.Errorf("registry: range %s: %w", prefixOpQueue, err)
	}
	return r.markPending(tx, ids)
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

// applyBatch applies jobs, in their order, that are still queued. A rule
// that no longer holds fails that operation alone; a store error fails the
// transaction.
func (r *Registry) applyBatch(tx cloudmap.Tx, jobs []*job) ([]*opRecord, error) {
	var ops []*opRecord
	now := r.now()
	for _, j := range jobs {
		if _, err := tx.Get(opQueueKey(j.id)); errors.Is(err, cloudmap.ErrKeyNotFound) {
			continue // finished since it was read
		} else if err != nil {
			return nil, fmt.Errorf("registry: get %s: %w", opQueueKey(j.id), err)
		}
		if j.op == nil {
			if err := del(tx, opQueueKey(j.id)); err != nil {
				return nil, err
			}
			continue
		}
		op := *j.op
		err := r.apply(tx, j)
		var e *cloudmap.Error
		switch {
		case err == nil:
			op.Status, op.UpdateDate = cloudmap.OpSuccess, now
			err = succeed(tx, &op)
		case errors.As(err, &e):
			op.Status, op.ErrorCode, op.ErrorMessage = cloudmap.OpFail, e.Code, e.Message
			err = finish(tx, &op, now)
		}
		if err != nil {
			return nil, err
		}
		ops = append(ops, &op)
	}
	return ops, nil
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

// succeed records the success of op in its small status key, leaving the
// stored record as submitted (readers overlay the status, see
// overlayStatus): a registration then writes its operation record once.
// It releases the queue and in-progress markers.
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

// apply performs one operation: it checks every precondition before it
// writes, so a failing operation writes nothing.
func (r *Registry) apply(tx cloudmap.Tx, j *job) error {
	op := j.op
	switch op.Type {
	case cloudmap.OpCreateNamespace:
		return r.applyCreateNamespace(tx, op)
	case cloudmap.OpUpdateNamespace:
		return applyUpdateNamespace(tx, op)
	case cloudmap.OpDeleteNamespace:
		return applyDeleteNamespace(tx, op)
	case cloudmap.OpUpdateService:
		return applyUpdateService(tx, op)
	case cloudmap.OpRegisterInstance:
		return r.applyRegister(tx, op, j.inst)
	case cloudmap.OpDeregisterInstance:
		return applyDeregister(tx, op)
	}
	return cloudmap.Errorf(cloudmap.ErrInternalFailure, "unknown operation type %q", op.Type)
}

func (r *Registry) applyCreateNamespace(tx cloudmap.Tx, op *opRecord) error {
	ns := op.Namespace
	if ns == nil {
		return cloudmap.Errorf(cloudmap.ErrInternalFailure, "operation %s has no namespace to create", op.Id)
	}
	if exists, err := getRecordRaw(tx, cloudmap.NamespaceKey(ns.Id)); err != nil || exists {
		return err
	}
	if err := put(tx, cloudmap.NamespaceKey(ns.Id), ns); err != nil {
		return err
	}
	return putTags(tx, ns.Id, ns.Arn, op.Tags)
}

func applyUpdateNamespace(tx cloudmap.Tx, op *opRecord) error {
	ns, err := loadNamespace(tx, op.NamespaceId)
	if err != nil {
		return err
	}
	if c := op.Change; c != nil {
		if c.Description != nil {
			ns.Description = *c.Description
		}
		if c.Properties != nil && c.Properties.DnsProperties != nil && c.Properties.DnsProperties.SOA != nil {
			if ns.Properties.DnsProperties == nil {
				ns.Properties.DnsProperties = &cloudmap.DnsProperties{}
			}
			ns.Properties.DnsProperties.SOA = &cloudmap.SOA{TTL: c.Properties.DnsProperties.SOA.TTL}
		}
	}
	return put(tx, cloudmap.NamespaceKey(ns.Id), ns)
}

func applyDeleteNamespace(tx cloudmap.Tx, op *opRecord) error {
	ns, err := loadNamespace(tx, op.NamespaceId)
	if err != nil {
		return err
	}
	if err := checkNoServices(tx, ns.Id); err != nil {
		return err
	}
	keys := []string{cloudmap.NamespaceKey(ns.Id), nsNameKey(ns.Type, ns.Name), httpNameKey(ns.HttpName())}
	if ns.CreatorRequestId != "" {
		keys = append(keys, idemKey("ns", ns.CreatorRequestId))
	}
	for _, k := range keys {
		if err := del(tx, k); err != nil {
			return err
		}
	}
	return deletePrefix(tx, tagPrefix(ns.Id))
}

func applyUpdateService(tx cloudmap.Tx, op *opRecord) error {
	svc, err := loadService(tx, op.ServiceId)
	if err != nil {
		return err
	}
	c := op.ServiceChange
	if c == nil {
		return cloudmap.Errorf(cloudmap.ErrInternalFailure, "operation %s has no service change", op.Id)
	}
	if c.Description != nil {
		svc.Description = *c.Description
	}
	if c.DnsConfig != nil && svc.DnsConfig != nil {
		ttl := map[cloudmap.RecordType]int64{}
		for _, rec := range c.DnsConfig.DnsRecords {
			ttl[rec.Type] = rec.TTL
		}
		for i, rec := range svc.DnsConfig.DnsRecords {
			if t, ok := ttl[rec.Type]; ok {
				svc.DnsConfig.DnsRecords[i].TTL = t
			}
		}
	}
	old := svc.HealthCheckConfig
	svc.HealthCheckConfig = c.HealthCheckConfig
	if err := put(tx, cloudmap.ServiceKey(svc.Id), svc); err != nil {
		return err
	}
	switch {
	case old != nil && svc.HealthCheckConfig == nil:
		return deletePrefix(tx, cloudmap.HealthPrefix(svc.Id))
	case old == nil && svc.HealthCheckConfig != nil:
		return initHealthRecords(tx, svc.Id)
	}
	return nil
}

// initHealthRecords gives every instance of a service that just got a
// HealthCheckConfig the status of a new Route 53 health check, HEALTHY.
func initHealthRecords(tx cloudmap.Tx, svcID string) error {
	var ids []string
	prefix := cloudmap.InstancePrefix(svcID)
	if err := tx.Range(prefix, "", func(k string, _ []byte) bool {
		ids = append(ids, strings.TrimPrefix(k, prefix))
		return true
	}); err != nil {
		return fmt.Errorf("registry: range %s: %w", prefix, err)
	}
	for _, id := range ids {
		if err := put(tx, cloudmap.HealthKey(svcID, id), cloudmap.Health{Status: cloudmap.Healthy}); err != nil {
			return err
		}
	}
	return nil
}

// applyRegister stores the instance of op, encoded as raw.
func (r *Registry) applyRegister(tx cloudmap.Tx, op *opRecord, raw []byte) error {
	inst := op.Instance
	if inst == nil || raw == nil {
		return cloudmap.Errorf(cloudmap.ErrInternalFailure, "operation %s has no instance to register", op.Id)
	}
	svc, err := r.sharedService(tx, op.ServiceId)
	if err != nil {
		return err
	}
	if err := r.checkInstanceQuota(tx, svc.Id, inst.Id); err != nil {
		return err
	}
	if err := tx.Put(cloudmap.InstanceKey(svc.Id, inst.Id), raw); err != nil {
		return fmt.Errorf("registry: put %s: %w", cloudmap.InstanceKey(svc.Id, inst.Id), err)
	}
	if h, ok := initialHealth(svc, inst.Attributes); ok {
		return put(tx, cloudmap.HealthKey(svc.Id, inst.Id), h)
	}
	return nil // services without a health check keep no health records
}

func applyDeregister(tx cloudmap.Tx, op *opRecord) error {
	instID := op.Targets[cloudmap.TargetInstance]
	if _, err := loadInstance(tx, op.ServiceId, instID); err != nil {
		return err
	}
	if err := del(tx, cloudmap.InstanceKey(op.ServiceId, instID)); err != nil {
		return err
	}
	return del(tx, cloudmap.HealthKey(op.ServiceId, instID))
}

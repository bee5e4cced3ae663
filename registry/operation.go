package registry

import (
	"context"
	"fmt"

	"github.com/cloudmap/cloudmap"
)

// opRecord is the stored form of an operation: what GetOperation reports,
// what ListOperations filters on, and, while it is queued, what the worker
// has to do.
type opRecord struct {
	cloudmap.Operation
	// NamespaceId and ServiceId are what the NAMESPACE_ID and SERVICE_ID
	// filters of ListOperations match.
	NamespaceId string `json:",omitempty"`
	ServiceId   string `json:",omitempty"`
	// Busy is the in-progress marker a queued operation releases when done.
	Busy string `json:",omitempty"`

	// What to do, by Type.
	Namespace     *cloudmap.Namespace       `json:",omitempty"` // CREATE_NAMESPACE
	Tags          []cloudmap.Tag            `json:",omitempty"` // CREATE_NAMESPACE
	Change        *cloudmap.NamespaceChange `json:",omitempty"` // UPDATE_NAMESPACE
	ServiceChange *cloudmap.ServiceChange   `json:",omitempty"` // UPDATE_SERVICE
	Instance      *cloudmap.Instance        `json:",omitempty"` // REGISTER_INSTANCE
}

// newOp returns a SUBMITTED operation record.
func (r *Registry) newOp(c cloudmap.Cell, id string, t cloudmap.OperationType, targets map[string]string) *opRecord {
	now := r.now()
	return &opRecord{Operation: cloudmap.Operation{
		Id: id, OwnerAccount: c.Account, Type: t, Status: cloudmap.OpSubmitted,
		CreateDate: now, UpdateDate: now, Targets: targets,
	}}
}

// delayed reports whether requests queue their operations for the worker
// (Config.OperationDelay) instead of applying them.
func (r *Registry) delayed() bool { return r.cfg.OperationDelay > 0 }

// final returns the record of op as it is stored once op succeeded at its
// creation: SUCCESS, without what to do.
func final(op *opRecord) *opRecord {
	out := *op
	out.Status, out.UpdateDate, out.Busy = cloudmap.OpSuccess, op.CreateDate, ""
	out.Namespace, out.Tags, out.Change, out.ServiceChange, out.Instance = nil, nil, nil, nil, nil
	return &out
}

// encodeRecord returns the record a request stores for op: the final
// record, or the submitted one with what to do when operations are delayed.
func (r *Registry) encodeRecord(op *opRecord) []byte {
	if r.delayed() {
		return cloudmap.Encode(op)
	}
	return cloudmap.Encode(final(op))
}

// task is what the transaction of an asynchronous request found to do: the
// operation (nil when an earlier request with the same token answers), its
// job and its record encoded by encodeRecord (nil: encode it in the
// transaction).
type task struct {
	opID string
	job  *job
	raw  []byte
}

// replay is the task of a request answered by the earlier operation opID.
func replay(opID string) *task { return &task{opID: opID} }

// execute runs an asynchronous request in one Store.Update. check validates
// the request against tx, writes what the request itself owns (name
// reservations, idempotency records) and returns the operation. Without an
// operation delay, the operation is applied in the same transaction and
// stored final (SUCCESS), and execute returns once this node's view has
// applied the commit: the caller's next read, DNS query or discovery call
// sees the effect. A rule the operation breaks is the request's error and
// nothing is written. With a delay, the operation is queued SUBMITTED for
// the worker and execute returns at once.
func (r *Registry) execute(ctx context.Context, name string, check func(tx cloudmap.Tx) (*task, error)) (*cloudmap.OperationOutput, error) {
	var opID string
	var applied cloudmap.OperationType // "" when an earlier request answers
	rev, err := r.store.Update(ctx, func(tx cloudmap.Tx) error {
		applied = ""
		t, err := check(tx)
		if err != nil {
			return err
		}
		opID = t.opID
		if t.job == nil {
			return nil
		}
		applied = t.job.op.Type
		raw := t.raw
		if raw == nil {
			raw = r.encodeRecord(t.job.op)
		}
		if r.delayed() {
			return submitEncoded(tx, t.job.op, raw)
		}
		if err := r.apply(tx, t.job); err != nil {
			return err
		}
		if err := tx.Put(opKey(opID), raw); err != nil {
			return fmt.Errorf("registry: put %s: %w", opKey(opID), err)
		}
		return nil
	})
	if err != nil {
		return nil, wrap(name, err)
	}
	if applied != "" && !r.delayed() && r.cfg.Finished != nil {
		r.cfg.Finished(applied, cloudmap.OpSuccess)
	}
	if r.delayed() {
		r.wake(ctx)
	} else if err := r.waitApplied(ctx, rev); err != nil {
		return nil, fmt.Errorf("registry: %s: %w", name, err)
	}
	return &cloudmap.OperationOutput{OperationId: opID}, nil
}

// submitEncoded stores a queued operation, encoded as raw, its queue
// marker and the in-progress marker of its target in tx.
func submitEncoded(tx cloudmap.Tx, op *opRecord, raw []byte) error {
	if err := tx.Put(opKey(op.Id), raw); err != nil {
		return fmt.Errorf("registry: put %s: %w", opKey(op.Id), err)
	}
	if err := putString(tx, opQueueKey(op.Id), ""); err != nil {
		return err
	}
	if op.Busy != "" {
		return putString(tx, op.Busy, op.Id)
	}
	return nil
}

// GetOperation returns an operation. Before it reports SUCCESS or FAIL it
// waits until the view has applied the store's revision, so the effect is
// visible in DNS and discovery (an operation finished on another node, or
// by the worker). Errors: InvalidInput, OperationNotFound.
func (r *Registry) GetOperation(ctx context.Context, in *cloudmap.GetOperationInput) (*cloudmap.GetOperationOutput, error) {
	if in == nil || in.OperationId == "" {
		return nil, invalid("OperationId is required")
	}
	var op opRecord
	var found bool
	err := r.store.View(ctx, func(tx cloudmap.ReadTx) error {
		var err error
		found, err = getRecord(tx, opKey(in.OperationId), &op)
		if err != nil || !found {
			return err
		}
		return overlayStatus(tx, &op)
	})
	if err != nil {
		return nil, wrap("GetOperation", err)
	}
	if !found {
		return nil, cloudmap.NotFound(cloudmap.ErrOperationNotFound, "operation", in.OperationId)
	}
	if op.Status.Done() && r.cfg.WaitApplied != nil {
		rev, err := r.store.Revision(ctx)
		if err != nil {
			return nil, fmt.Errorf("registry: GetOperation: revision: %w", err)
		}
		if err := r.waitApplied(ctx, rev); err != nil {
			return nil, fmt.Errorf("registry: GetOperation: %w", err)
		}
	}
	out := op.Operation
	return &cloudmap.GetOperationOutput{Operation: &out}, nil
}

// waitApplied waits until the view has applied rev (Config.WaitApplied).
func (r *Registry) waitApplied(ctx context.Context, rev int64) error {
	if r.cfg.WaitApplied == nil {
		return nil
	}
	if err := r.cfg.WaitApplied(ctx, rev); err != nil {
		return fmt.Errorf("wait for revision %d: %w", rev, err)
	}
	return nil
}

package registry

import (
	"context"
	"fmt"

	"github.com/cloudmap/cloudmap"
)

// opRecord is the stored form of an operation: what GetOperation reports,
// what ListOperations filters on, and what the worker has to do.
type opRecord struct {
	cloudmap.Operation
	// NamespaceId and ServiceId are what the NAMESPACE_ID and SERVICE_ID
	// filters of ListOperations match.
	NamespaceId string `json:",omitempty"`
	ServiceId   string `json:",omitempty"`
	// Busy is the in-progress marker the operation releases when done.
	Busy string `json:",omitempty"`

	// What to do, by Type.
	Namespace     *cloudmap.Namespace       `json:",omitempty"` // CREATE_NAMESPACE
	Tags          []cloudmap.Tag            `json:",omitempty"` // CREATE_NAMESPACE
	Change        *cloudmap.NamespaceChange `json:",omitempty"` // UPDATE_NAMESPACE
	ServiceChange *cloudmap.ServiceChange   `json:",omitempty"` // UPDATE_SERVICE
	Instance      *cloudmap.Instance        `json:",omitempty"` // REGISTER_INSTANCE
}

// newOp returns a SUBMITTED operation record.
func (r *Registry) newOp(id string, t cloudmap.OperationType, targets map[string]string) *opRecord {
	now := r.now()
	return &opRecord{Operation: cloudmap.Operation{
		Id: id, OwnerAccount: r.cfg.AccountID, Type: t, Status: cloudmap.OpSubmitted,
		CreateDate: now, UpdateDate: now, Targets: targets,
	}}
}

// submit stores a SUBMITTED operation, its queue marker and the in-progress
// marker of its target in tx.
func submit(tx cloudmap.Tx, op *opRecord) error {
	return submitEncoded(tx, op, cloudmap.Encode(op))
}

// submitEncoded is submit with the operation record already encoded as raw.
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

// submitted finishes a request that submitted opID: it wakes the worker.
func (r *Registry) submitted(opID string) *cloudmap.OperationOutput {
	r.wake()
	return &cloudmap.OperationOutput{OperationId: opID}
}

// GetOperation returns an operation. Before it reports SUCCESS or FAIL it
// waits until the view has applied the store's revision, so the effect is
// visible in DNS and discovery. Errors: InvalidInput, OperationNotFound.
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
		return nil, cloudmap.Errorf(cloudmap.ErrOperationNotFound, "no operation with OperationId %q", in.OperationId)
	}
	if op.Status.Done() && r.cfg.WaitApplied != nil {
		rev, err := r.store.Revision(ctx)
		if err != nil {
			return nil, fmt.Errorf("registry: GetOperation: revision: %w", err)
		}
		if err := r.cfg.WaitApplied(ctx, rev); err != nil {
			return nil, fmt.Errorf("registry: GetOperation: wait for revision %d: %w", rev, err)
		}
	}
	out := op.Operation
	return &cloudmap.GetOperationOutput{Operation: &out}, nil
}

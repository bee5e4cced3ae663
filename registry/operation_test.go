package registry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/registry"
)

func TestOperation_SubmittedUntilTheWorkerRuns(t *testing.T) {
	e := newQueueingEnv(t, registry.Config{})
	out, err := e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "later"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.reg.GetOperation(e.ctx, &cloudmap.GetOperationInput{OperationId: out.OperationId})
	if err != nil {
		t.Fatal(err)
	}
	op := got.Operation
	nsID := op.Targets[cloudmap.TargetNamespace]
	if op.Status != cloudmap.OpSubmitted || op.CreateDate.IsZero() || nsID == "" {
		t.Errorf("operation before the worker = %+v", op)
	}
	// The namespace does not exist yet, but its name is taken.
	_, err = e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: nsID})
	wantCode(t, err, cloudmap.ErrNamespaceNotFound)
	_, err = e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "later"})
	if ae := wantCode(t, err, cloudmap.ErrNamespaceAlreadyExists); ae.Fields["NamespaceId"] != nsID {
		t.Errorf("NamespaceId = %q, want %q", ae.Fields["NamespaceId"], nsID)
	}
	_, err = e.reg.GetOperation(e.ctx, &cloudmap.GetOperationInput{OperationId: "nope"})
	wantCode(t, err, cloudmap.ErrOperationNotFound)
	_, err = e.reg.GetOperation(e.ctx, &cloudmap.GetOperationInput{})
	wantCode(t, err, cloudmap.ErrInvalidInput)
}

func TestOperation_FailsIndividually(t *testing.T) {
	e := newQueueingEnv(t, registry.Config{MaxInstancesPerService: 1})
	nsID := seedNamespace(t, e, "fail.local")
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "s", NamespaceId: nsID})
	// Both pass the quota at request time; only one fits when applied.
	var ops []string
	for _, id := range []string{"i-1", "i-2"} {
		out, err := e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: id, Attributes: attrs("a", "b")})
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, out.OperationId)
	}
	// A namespace delete submitted while it is empty fails when a service
	// appears before it is applied.
	other := seedNamespace(t, e, "other.local")
	del, err := e.reg.DeleteNamespace(e.ctx, &cloudmap.IdInput{Id: other})
	if err != nil {
		t.Fatal(err)
	}
	e.service(t, &cloudmap.CreateServiceInput{Name: "late", NamespaceId: other})
	e.startWorker(t)
	first, second := e.wait(t, ops[0]), e.wait(t, ops[1])
	if first.Status != cloudmap.OpSuccess {
		t.Errorf("first registration = %+v", first)
	}
	if second.Status != cloudmap.OpFail || second.ErrorCode != cloudmap.ErrResourceLimitExceeded || second.ErrorMessage == "" {
		t.Errorf("second registration = %+v, want FAIL ResourceLimitExceeded", second)
	}
	if op := e.wait(t, del.OperationId); op.Status != cloudmap.OpFail || op.ErrorCode != cloudmap.ErrResourceInUse {
		t.Errorf("delete = %+v, want FAIL ResourceInUse", op)
	}
	if _, err := e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: other}); err != nil {
		t.Errorf("namespace after a failed delete: %v", err)
	}
	// Failed operations release their targets.
	if k := e.keys(t, "busy/"); len(k) != 0 {
		t.Errorf("busy markers remain: %v", k)
	}
	if k := e.keys(t, "opq/"); len(k) != 0 {
		t.Errorf("queue markers remain: %v", k)
	}
}

// TestWorker_ResumesAndSeesOtherNodes submits operations through one
// registry while no worker runs, then starts the worker of another registry
// on the same store: it resumes them all (as after a restart), and it learns
// of later submissions only through the store's change feed.
func TestWorker_ResumesAndSeesOtherNodes(t *testing.T) {
	submitter := newQueueingEnv(t, registry.Config{})
	nsID := seedNamespace(t, submitter, "resume.local")
	svc := submitter.service(t, &cloudmap.CreateServiceInput{Name: "s", NamespaceId: nsID})
	var ops []string
	register := func(id string) {
		out, err := submitter.reg.RegisterInstance(submitter.ctx, &cloudmap.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: id, Attributes: attrs("a", "b")})
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, out.OperationId)
	}
	for i := 0; i < 20; i++ {
		register(fmt.Sprintf("before-%d", i))
	}
	worker := &env{t: t, reg: registry.New(submitter.store, registry.Config{Region: region, AccountID: account}),
		store: submitter.store, ctx: submitter.ctx}
	worker.startWorker(t)
	for i := 0; i < 20; i++ {
		register(fmt.Sprintf("after-%d", i))
	}
	for _, id := range ops {
		if op := worker.wait(t, id); op.Status != cloudmap.OpSuccess {
			t.Errorf("operation %s = %+v", id, op)
		}
	}
	got, _ := worker.reg.GetService(worker.ctx, &cloudmap.IdInput{Id: svc.Id})
	if got.Service.InstanceCount != 40 {
		t.Errorf("InstanceCount = %d, want 40", got.Service.InstanceCount)
	}
}

// TestGetOperation_WaitsForTheView shows both waits: a request replies
// once the view has applied its commit, and GetOperation reports a final
// status once the view has applied the store's revision.
func TestGetOperation_WaitsForTheView(t *testing.T) {
	var mu sync.Mutex
	var waited []int64
	e := newIdleEnv(t, registry.Config{WaitApplied: func(ctx context.Context, rev int64) error {
		mu.Lock()
		defer mu.Unlock()
		waited = append(waited, rev)
		return nil
	}})
	out, err := e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "w"})
	if err != nil {
		t.Fatal(err)
	}
	rev, _ := e.store.Revision(e.ctx)
	mu.Lock()
	if len(waited) != 1 || waited[0] != rev {
		t.Errorf("WaitApplied calls after the request = %v, want [%d] (its commit)", waited, rev)
	}
	mu.Unlock()
	op := e.wait(t, out.OperationId)
	mu.Lock()
	defer mu.Unlock()
	if op.Status != cloudmap.OpSuccess || len(waited) != 2 || waited[1] != rev {
		t.Errorf("WaitApplied calls = %v, want a second one for the final %s", waited, op.Status)
	}
}

// TestGetOperation_WaitFailure shows that a request and GetOperation whose
// wait for the view fails answer an infrastructure error, not an AWS one.
func TestGetOperation_WaitFailure(t *testing.T) {
	e := newIdleEnv(t, registry.Config{WaitApplied: func(ctx context.Context, rev int64) error {
		return context.DeadlineExceeded
	}})
	_, err := e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "w"})
	if err == nil || cloudmap.ErrorCode(err) != "" || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("request with a failing wait = %v, want the wait's error", err)
	}
	ops := e.keys(t, "op/")
	if len(ops) != 1 {
		t.Fatalf("operations stored: %v, want the committed one", ops)
	}
	_, err = e.reg.GetOperation(e.ctx, &cloudmap.GetOperationInput{OperationId: strings.TrimPrefix(ops[0], "op/")})
	if err == nil || cloudmap.ErrorCode(err) != "" || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("GetOperation with a failing wait = %v, want the wait's error", err)
	}
}

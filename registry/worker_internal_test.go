package registry

import (
	"context"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/registry/internal/memstore"
)

// TestOperation_Lifecycle follows one registration through SUBMITTED,
// PENDING and SUCCESS, and shows that a worker started after a crash
// between the two batch transactions resumes PENDING operations.
func TestOperation_Lifecycle(t *testing.T) {
	store := memstore.New()
	defer store.Close()
	ctx := context.Background()
	r := New(store, Config{Region: "us-east-1", AccountID: "123456789012", OperationDelay: time.Hour})
	status := func(id string) cloudmap.OperationStatus {
		t.Helper()
		out, err := r.GetOperation(ctx, &cloudmap.GetOperationInput{OperationId: id})
		if err != nil {
			t.Fatal(err)
		}
		return out.Operation.Status
	}
	ns, err := r.CreateHttpNamespace(ctx, &cloudmap.CreateHttpNamespaceInput{Name: "life"})
	if err != nil {
		t.Fatal(err)
	}
	if got := status(ns.OperationId); got != cloudmap.OpSubmitted {
		t.Fatalf("after the request: %s, want SUBMITTED", got)
	}
	resumer := New(store, Config{Region: "us-east-1", AccountID: "123456789012"})
	if n, _, err := resumer.processBatch(ctx); err != nil || n != 1 {
		t.Fatalf("processBatch = %d, %v", n, err)
	}
	if got := status(ns.OperationId); got != cloudmap.OpSuccess {
		t.Fatalf("after the batch: %s, want SUCCESS", got)
	}
	op, _ := r.GetOperation(ctx, &cloudmap.GetOperationInput{OperationId: ns.OperationId})
	svc, err := r.CreateService(ctx, &cloudmap.CreateServiceInput{Name: "s", NamespaceId: op.Operation.Targets[cloudmap.TargetNamespace]})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := r.RegisterInstance(ctx, &cloudmap.RegisterInstanceInput{ServiceId: svc.Service.Id, InstanceId: "i", Attributes: map[string]string{"a": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	// The first transaction of a batch, then a "crash".
	if _, err := store.Update(ctx, func(tx cloudmap.Tx) error { return r.markPending(tx, []string{reg.OperationId}) }); err != nil {
		t.Fatal(err)
	}
	if got := status(reg.OperationId); got != cloudmap.OpPending {
		t.Fatalf("after markPending: %s, want PENDING", got)
	}
	restarted := New(store, Config{Region: "us-east-1", AccountID: "123456789012"})
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- restarted.RunWorker(wctx) }()
	for i := 0; i < 100000 && status(reg.OperationId) == cloudmap.OpPending; i++ {
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out, _ := r.GetOperation(ctx, &cloudmap.GetOperationInput{OperationId: reg.OperationId})
	if out.Operation.Status != cloudmap.OpSuccess || out.Operation.UpdateDate.Before(out.Operation.CreateDate) {
		t.Fatalf("resumed operation = %+v", out.Operation)
	}
	if _, err := r.GetInstance(ctx, &cloudmap.InstanceInput{ServiceId: svc.Service.Id, InstanceId: "i"}); err != nil {
		t.Errorf("instance after the resumed registration: %v", err)
	}
}

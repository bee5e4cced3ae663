package registry_test

import (
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/registry"
)

// TestPrune_KeepsWhatIsNotFinishedOrNotOldEnough: Prune deletes the final
// operations that finished before the cutoff and their request tokens,
// never a queued one whatever its age, nor one finished after the cutoff;
// a pruned token then starts a new operation.
func TestPrune_KeepsWhatIsNotFinishedOrNotOldEnough(t *testing.T) {
	e := newIdleEnv(t, registry.Config{})
	nsID := e.httpNamespace(t, "prune")
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "api", NamespaceId: nsID})
	in := &cloudmap.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: "i-1", CreatorRequestId: "tok-1",
		Attributes: attrs("AWS_INSTANCE_IPV4", "10.0.0.1")}
	done := e.succeed(e.reg.RegisterInstance(e.ctx, in))
	cfg := e.cfg
	cfg.OperationDelay = time.Hour
	queued, err := registry.New(e.store, cfg).RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: svc.Id,
		InstanceId: "i-2", CreatorRequestId: "tok-2", Attributes: attrs("AWS_INSTANCE_IPV4", "10.0.0.2")})
	if err != nil {
		t.Fatal(err)
	}

	if res, err := e.reg.Prune(e.ctx, time.Now().Add(-time.Hour)); err != nil || res != (registry.PruneResult{}) {
		t.Errorf("Prune before anything finished: %+v, %v; want nothing deleted", res, err)
	}
	res, err := e.reg.Prune(e.ctx, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.Operations != 2 || res.Idempotency != 1 {
		t.Errorf("Prune: %+v, want the namespace's and the registration's operations and tok-1", res)
	}
	_, err = e.reg.GetOperation(e.ctx, &cloudmap.GetOperationInput{OperationId: done.Id})
	wantCode(t, err, cloudmap.ErrOperationNotFound)
	q, err := e.reg.GetOperation(e.ctx, &cloudmap.GetOperationInput{OperationId: queued.OperationId})
	if err != nil || q.Operation.Status != cloudmap.OpSubmitted {
		t.Errorf("queued operation after Prune: %+v, %v; want it kept SUBMITTED", q, err)
	}
	again, err := e.reg.RegisterInstance(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if again.OperationId == done.Id {
		t.Errorf("tok-1 answered its pruned operation")
	}
	if n := len(e.keys(t, "idem/inst/tok-2")); n != 1 {
		t.Errorf("the queued operation's token: %d records, want 1", n)
	}
}

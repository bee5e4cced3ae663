package registry_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/registry"
	"github.com/cloudmap/cloudmap/storetest/memstore"
)

// TestOperations_FinalWhenTheCallReturns runs every call that returns an
// OperationId with no worker running: each reply comes with the operation
// SUCCESS and its effect readable by the very next call.
func TestOperations_FinalWhenTheCallReturns(t *testing.T) {
	e := newIdleEnv(t, registry.Config{})
	status := func(out *cloudmap.OperationOutput, err error) *cloudmap.Operation {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.reg.GetOperation(e.ctx, &cloudmap.GetOperationInput{OperationId: out.OperationId})
		if err != nil {
			t.Fatal(err)
		}
		if op := got.Operation; op.Status != cloudmap.OpSuccess || !op.UpdateDate.Equal(op.CreateDate) {
			t.Fatalf("operation %s right after its call = %+v, want SUCCESS", op.Type, op)
		}
		return got.Operation
	}
	op := status(e.reg.CreatePrivateDnsNamespace(e.ctx, &cloudmap.CreatePrivateDnsNamespaceInput{Name: "now.local", Vpc: "vpc-1"}))
	nsID := op.Targets[cloudmap.TargetNamespace]
	list, err := e.reg.ListNamespaces(e.ctx, &cloudmap.ListInput{})
	if err != nil || len(list.Namespaces) != 1 || list.Namespaces[0].Id != nsID {
		t.Fatalf("ListNamespaces right after the create = %+v, %v", list, err)
	}
	ttl := "after"
	status(e.reg.UpdatePrivateDnsNamespace(e.ctx, &cloudmap.UpdateDnsNamespaceInput{Id: nsID, Namespace: &cloudmap.NamespaceChange{Description: &ttl}}))
	if ns, err := e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: nsID}); err != nil || ns.Namespace.Description != "after" {
		t.Fatalf("GetNamespace after the update = %+v, %v", ns, err)
	}
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "web", NamespaceId: nsID, DnsConfig: dnsConfig("", cloudmap.RecordA, cloudmap.RecordSRV)})
	status(e.reg.UpdateService(e.ctx, &cloudmap.UpdateServiceInput{Id: svc.Id, Service: &cloudmap.ServiceChange{
		DnsConfig: &cloudmap.DnsConfigChange{DnsRecords: []cloudmap.DnsRecord{{Type: "A", TTL: 9}, {Type: "SRV", TTL: 9}}}}}))
	if got, _ := e.reg.GetService(e.ctx, &cloudmap.IdInput{Id: svc.Id}); got.Service.DnsConfig.DnsRecords[0].TTL != 9 {
		t.Fatalf("GetService after the update = %+v", got.Service.DnsConfig)
	}
	status(e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: "i-1",
		Attributes: attrs("AWS_INSTANCE_IPV4", "10.0.0.1", "AWS_INSTANCE_PORT", "80")}))
	if _, err := e.reg.GetInstance(e.ctx, &cloudmap.InstanceInput{ServiceId: svc.Id, InstanceId: "i-1"}); err != nil {
		t.Fatalf("GetInstance right after the registration: %v", err)
	}
	status(e.reg.DeregisterInstance(e.ctx, &cloudmap.InstanceInput{ServiceId: svc.Id, InstanceId: "i-1"}))
	if insts, _ := e.reg.ListInstances(e.ctx, &cloudmap.ListInstancesInput{ServiceId: svc.Id}); len(insts.Instances) != 0 {
		t.Fatalf("ListInstances right after the deregistration = %+v", insts.Instances)
	}
	if _, err := e.reg.DeleteService(e.ctx, &cloudmap.IdInput{Id: svc.Id}); err != nil {
		t.Fatal(err)
	}
	status(e.reg.DeleteNamespace(e.ctx, &cloudmap.IdInput{Id: nsID}))
	_, err = e.reg.GetNamespace(e.ctx, &cloudmap.IdInput{Id: nsID})
	wantCode(t, err, cloudmap.ErrNamespaceNotFound)
	// Nothing is left for a worker.
	if k := append(e.keys(t, "opq/"), e.keys(t, "busy/")...); len(k) != 0 {
		t.Errorf("queue or in-progress markers: %v", k)
	}
	// A rule the operation breaks is the request's error, and nothing is
	// written: the namespace being still in use.
	ns2 := e.privateNamespace(t, "used.local")
	e.service(t, &cloudmap.CreateServiceInput{Name: "s", NamespaceId: ns2})
	ops := len(e.keys(t, "op/"))
	_, err = e.reg.DeleteNamespace(e.ctx, &cloudmap.IdInput{Id: ns2})
	wantCode(t, err, cloudmap.ErrResourceInUse)
	if got := len(e.keys(t, "op/")); got != ops {
		t.Errorf("a refused request stored an operation: %d records, want %d", got, ops)
	}
}

// TestOperationDelay follows a registration under a 10 s operation delay
// on a fake clock: the call replies at once with the operation SUBMITTED,
// it turns PENDING half way and SUCCESS when the delay has passed. An
// operation accepted before a crash finishes after the restart.
func TestOperationDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The fake clock needs a store whose goroutines live in the
		// bubble: the in-memory one.
		store := memstore.New()
		defer store.Close()
		cfg := registry.Config{Region: region, AccountID: account, OperationDelay: 10 * time.Second}
		e := &env{t: t, reg: registry.New(store, cfg), cfg: cfg, store: store, ctx: context.Background()}
		ctx, cancel := context.WithCancel(e.ctx)
		done := make(chan error, 1)
		go func() { done <- e.reg.RunWorker(ctx) }()
		status := func(id string) cloudmap.OperationStatus {
			t.Helper()
			synctest.Wait()
			out, err := e.reg.GetOperation(e.ctx, &cloudmap.GetOperationInput{OperationId: id})
			if err != nil {
				t.Fatal(err)
			}
			return out.Operation.Status
		}
		out, err := e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "slow"})
		if err != nil {
			t.Fatal(err)
		}
		if got := status(out.OperationId); got != cloudmap.OpSubmitted {
			t.Fatalf("at once: %s, want SUBMITTED", got)
		}
		time.Sleep(6 * time.Second)
		if got := status(out.OperationId); got != cloudmap.OpPending {
			t.Fatalf("after 6 s: %s, want PENDING", got)
		}
		time.Sleep(4 * time.Second)
		op := e.wait(t, out.OperationId)
		if op.Status != cloudmap.OpSuccess || op.UpdateDate.Sub(op.CreateDate) != 10*time.Second {
			t.Fatalf("after 10 s: %+v, want SUCCESS 10 s after its creation", op)
		}
		nsID := op.Targets[cloudmap.TargetNamespace]
		svc := e.service(t, &cloudmap.CreateServiceInput{Name: "s", NamespaceId: nsID})
		reg, err := e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: "i", Attributes: attrs("a", "b")})
		if err != nil {
			t.Fatal(err)
		}
		// The crash: the worker stops before the delay has passed.
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if got := status(reg.OperationId); got != cloudmap.OpSubmitted {
			t.Fatalf("after the crash: %s, want SUBMITTED", got)
		}
		restarted := registry.New(store, cfg)
		ctx, cancel = context.WithCancel(e.ctx)
		defer cancel()
		go func() { done <- restarted.RunWorker(ctx) }()
		time.Sleep(9 * time.Second)
		if got := status(reg.OperationId); got != cloudmap.OpSuccess {
			t.Fatalf("after the restart and the delay: %s, want SUCCESS", got)
		}
		if _, err := e.reg.GetInstance(e.ctx, &cloudmap.InstanceInput{ServiceId: svc.Id, InstanceId: "i"}); err != nil {
			t.Fatalf("instance after the resumed registration: %v", err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

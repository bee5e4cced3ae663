package lease_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/lease"
)

// fake is a Source and a Registry: one service with leases whose
// instances' health the keeper's writes change.
type fake struct {
	mu     sync.Mutex
	x      cloudmap.ServiceExtensions
	health map[string]cloudmap.HealthStatus // instance -> status
	writes []string                         // "unhealthy i-1", "deregister i-1"
}

func newFake(x cloudmap.ServiceExtensions, insts ...string) *fake {
	f := &fake{x: x, health: map[string]cloudmap.HealthStatus{}}
	for _, id := range insts {
		f.health[id] = cloudmap.Healthy
	}
	return f
}

func (f *fake) LeasedServices() []*cloudmap.ServiceEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	x := f.x
	e := &cloudmap.ServiceEntry{Service: &cloudmap.Service{Id: "srv-1", Extensions: &x}}
	ids := make([]string, 0, len(f.health))
	for id := range f.health {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		e.Instances = append(e.Instances, cloudmap.InstanceEntry{Instance: &cloudmap.Instance{Id: id}, Health: f.health[id]})
	}
	return []*cloudmap.ServiceEntry{e}
}

func (f *fake) SetHealth(_ context.Context, svc, inst string, st cloudmap.HealthStatus) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.health[inst] = st
	f.writes = append(f.writes, "unhealthy "+inst)
	return true, nil
}

func (f *fake) DeregisterInstance(_ context.Context, in *cloudmap.InstanceInput) (*cloudmap.OperationOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.health, in.InstanceId)
	f.writes = append(f.writes, "deregister "+in.InstanceId)
	return &cloudmap.OperationOutput{OperationId: "op-1"}, nil
}

// healthy is what a renewal through UpdateInstanceCustomHealthStatus does
// besides calling Renew.
func (f *fake) healthy(inst string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.health[inst] = cloudmap.Healthy
}

func (f *fake) written() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.writes)
}

// run starts the keeper and returns it; it stops with the test.
func run(t *testing.T, f *fake) *lease.Keeper {
	k := lease.New(f, f, lease.Config{Tick: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { k.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	synctest.Wait()
	return k
}

// after lets d of fake time pass and waits for the keeper to act.
func after(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

func TestKeeper_ExpiresUnrenewedLeases(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(cloudmap.ServiceExtensions{LeaseSeconds: 10}, "i-1", "i-2")
		k := run(t, f)
		// i-1 renews every 5 s, i-2 never does.
		for range 3 {
			after(5 * time.Second)
			k.Renew("srv-1", "i-1")
		}
		if got, want := f.written(), []string{"unhealthy i-2"}; !slices.Equal(got, want) {
			t.Fatalf("after 15 s: writes %v, want %v", got, want)
		}
		// Renewals that change nothing write nothing.
		for range 10 {
			after(5 * time.Second)
			k.Renew("arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1", "i-1")
		}
		if got := f.written(); len(got) != 1 {
			t.Fatalf("renewals wrote %v", got)
		}
	})
}

func TestKeeper_GraceAtStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(cloudmap.ServiceExtensions{LeaseSeconds: 10}, "i-1")
		run(t, f)
		after(10 * time.Second) // one full period from the start is grace
		if got := f.written(); len(got) != 0 {
			t.Fatalf("within the grace period: writes %v", got)
		}
		after(2 * time.Second)
		if got, want := f.written(), []string{"unhealthy i-1"}; !slices.Equal(got, want) {
			t.Fatalf("after the grace period: writes %v, want %v", got, want)
		}
	})
}

func TestKeeper_DeregistersAfterM(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(cloudmap.ServiceExtensions{LeaseSeconds: 10, Deregister: true, DeregisterAfterSeconds: 20}, "i-1")
		run(t, f)
		after(11 * time.Second)
		if got, want := f.written(), []string{"unhealthy i-1"}; !slices.Equal(got, want) {
			t.Fatalf("after the lease: writes %v, want %v", got, want)
		}
		after(19 * time.Second) // 30 s since the renewal: not yet more than 10+20
		if got := f.written(); len(got) != 1 {
			t.Fatalf("before M elapsed: writes %v", got)
		}
		after(2 * time.Second)
		if got, want := f.written(), []string{"unhealthy i-1", "deregister i-1"}; !slices.Equal(got, want) {
			t.Fatalf("after M: writes %v, want %v", got, want)
		}
		after(time.Minute)
		if got := f.written(); len(got) != 2 {
			t.Fatalf("the instance was written again: %v", got)
		}
	})
}

func TestKeeper_RenewalAfterExpiryStartsANewLease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(cloudmap.ServiceExtensions{LeaseSeconds: 10, Deregister: true, DeregisterAfterSeconds: 30}, "i-1")
		k := run(t, f)
		after(11 * time.Second)
		f.healthy("i-1") // UpdateInstanceCustomHealthStatus HEALTHY
		k.Renew("srv-1", "i-1")
		after(9 * time.Second)
		if got := f.written(); len(got) != 1 {
			t.Fatalf("renewed lease expired early: %v", got)
		}
		after(2 * time.Second)
		if got, want := f.written(), []string{"unhealthy i-1", "unhealthy i-1"}; !slices.Equal(got, want) {
			t.Fatalf("second lease: writes %v, want %v", got, want)
		}
	})
}

func TestKeeper_RenewIgnoredWhileNotRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(cloudmap.ServiceExtensions{LeaseSeconds: 10}, "i-1")
		k := lease.New(f, f, lease.Config{})
		k.Renew("srv-1", "i-1") // a node that does not lead keeps nothing
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { k.Run(ctx); close(done) }()
		after(11 * time.Second)
		got := f.written()
		cancel()
		<-done
		if len(got) != 1 {
			t.Fatalf("writes %v, want the expiry of i-1", got)
		}
	})
}

func TestKeeper_TurningLeasesOnGivesGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(cloudmap.ServiceExtensions{LeaseSeconds: 10}, "i-1")
		k := run(t, f)
		k.Renew("srv-1", "i-1")
		after(8 * time.Second)
		f.mu.Lock()
		f.x.LeaseSeconds = 5 // changed: a full new period from now
		f.mu.Unlock()
		after(5 * time.Second)
		if got := f.written(); len(got) != 0 {
			t.Fatalf("within the grace of the new setting: writes %v", got)
		}
		after(2 * time.Second)
		if got := f.written(); len(got) != 1 {
			t.Fatalf("after the grace of the new setting: writes %v, want the expiry", got)
		}
	})
}

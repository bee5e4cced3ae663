package view_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/view"
)

func TestView_Revision(t *testing.T) {
	f := newFixture(t,
		[]op{httpNS("ns", "n"), svc("srv-a", "ns", "a", "custom"), svc("srv-b", "ns", "b", "")},
		[]op{inst("srv-a", "i1", "k=v"), health("srv-a", "i1", cloudmap.Healthy)},
	)
	steps := []struct {
		name    string
		ops     []op
		changes bool
	}{
		{"register", []op{inst("srv-a", "i2", "k=v"), health("srv-a", "i2", cloudmap.Healthy)}, true},
		{"re-register unchanged", []op{inst("srv-a", "i2", "k=v")}, false},
		{"attributes change", []op{inst("srv-a", "i2", "k=w")}, true},
		{"health change", []op{health("srv-a", "i2", cloudmap.Unhealthy)}, true},
		{"health rewritten unchanged", []op{health("srv-a", "i2", cloudmap.Unhealthy)}, false},
		{"other service registers", []op{inst("srv-b", "j1", "k=v")}, false},
		{"service description changes", []op{put(cloudmap.ServiceKey("srv-a"), func() *cloudmap.Service {
			s := service("srv-a", "ns", "a", "custom")
			s.Description = "new"
			return s
		}())}, false},
		{"unrelated key", []op{put("op/123", map[string]string{"x": "y"})}, false},
		{"deregister", deregister("srv-a", "i1"), true},
	}
	prev := revision(t, f.view, "n", "a")
	for _, s := range steps {
		rev := f.commit(s.ops...)
		got := revision(t, f.view, "n", "a")
		if s.changes && (got == prev || got != rev) {
			t.Errorf("%s: revision %d -> %d, want it to change to the commit revision %d", s.name, prev, got, rev)
		}
		if !s.changes && got != prev {
			t.Errorf("%s: revision %d -> %d, want it stable", s.name, prev, got)
		}
		prev = got
	}
}

func TestView_SnapshotThenFeed(t *testing.T) {
	f := newFixture(t,
		[]op{httpNS("ns", "n"), svc("srv", "ns", "s", "")},
		[]op{inst("srv", "old", "k=v")},
	)
	if got := f.view.Applied(); got != f.setupRev {
		t.Errorf("Applied after Start = %d, want %d, the revision of the second setup commit", got, f.setupRev)
	}
	f.commit(inst("srv", "new", "k=v"))
	f.commit(deregister("srv", "old")...)
	out, err := f.discover(&cloudmap.DiscoverInstancesInput{NamespaceName: "n", ServiceName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(out), "new"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// Deleting the service and then the namespace removes them.
	f.commit(deregister("srv", "new")...)
	f.commit(del(cloudmap.ServiceKey("srv")))
	if _, err := f.discover(&cloudmap.DiscoverInstancesInput{NamespaceName: "n", ServiceName: "s"}); code(err) != cloudmap.ErrServiceNotFound {
		t.Errorf("deleted service: got %s, want ServiceNotFound", code(err))
	}
	f.commit(del(cloudmap.NamespaceKey("ns")))
	if _, err := f.discover(&cloudmap.DiscoverInstancesInput{NamespaceName: "n", ServiceName: "s"}); code(err) != cloudmap.ErrNamespaceNotFound {
		t.Errorf("deleted namespace: got %s, want NamespaceNotFound", code(err))
	}
}

func TestView_OutOfOrderKeys(t *testing.T) {
	reversed := []op{
		health("srv", "i1", cloudmap.Unhealthy), health("srv", "i2", cloudmap.Healthy),
		inst("srv", "i1", "k=v"), inst("srv", "i2", "k=v"),
		svc("srv", "ns", "s", "custom"), httpNS("ns", "n"),
	}
	cases := []struct {
		name string
		fix  func(t *testing.T) *fixture
	}{
		{"in one commit", func(t *testing.T) *fixture {
			f := newFixture(t)
			f.commit(reversed...)
			return f
		}},
		// The fake store's snapshot lists keys in map order: random.
		{"in a snapshot", func(t *testing.T) *fixture { return newFixture(t, reversed) }},
		{"instances committed before their service", func(t *testing.T) *fixture {
			f := newFixture(t, reversed[:4])
			f.commit(reversed[4:]...)
			return f
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := c.fix(t)
			out, err := f.discover(&cloudmap.DiscoverInstancesInput{NamespaceName: "n", ServiceName: "s", HealthStatus: cloudmap.FilterAll})
			if err != nil {
				t.Fatal(err)
			}
			sortSummaries(out.Instances)
			if got, want := fmt.Sprint(out.Instances), "[{i1 n s UNHEALTHY map[k:v]} {i2 n s HEALTHY map[k:v]}]"; got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

func TestView_WaitFor(t *testing.T) {
	f := newFixture(t, []op{httpNS("ns", "n")})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := f.view.WaitFor(ctx, f.view.Applied()+1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitFor a future revision: got %v, want DeadlineExceeded", err)
	}
	done := make(chan error, 1)
	next := f.view.Applied() + 1
	go func() { done <- f.view.WaitFor(t.Context(), next) }()
	f.write(svc("srv", "ns", "s", ""))
	rev := f.write(inst("srv", "i", "k=v"))
	if err := <-done; err != nil {
		t.Fatalf("WaitFor(%d): %v", next, err)
	}
	if got := f.view.Applied(); got < next {
		t.Errorf("Applied = %d after WaitFor(%d)", got, next)
	}
	if err := f.view.WaitFor(t.Context(), rev); err != nil {
		t.Fatalf("WaitFor(%d): %v", rev, err)
	}
	// Read-your-writes: right after WaitFor the write is visible.
	if out, err := f.discover(&cloudmap.DiscoverInstancesInput{NamespaceName: "n", ServiceName: "s"}); err != nil || ids(out) != "i" {
		t.Errorf("after WaitFor: %v, %v", out, err)
	}
	go func() { done <- f.view.WaitFor(context.Background(), 100) }()
	f.view.Close()
	if err := <-done; !errors.Is(err, view.ErrClosed) {
		t.Errorf("WaitFor on a closed view: got %v, want ErrClosed", err)
	}
}

func TestView_Notify(t *testing.T) {
	f := newFixture(t, []op{httpNS("ns", "n")})
	ch := f.view.Notify()
	select {
	case <-ch:
		t.Fatal("Notify fired before any change")
	default:
	}
	f.write(svc("srv", "ns", "s", ""))
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("Notify did not fire after a commit")
	}
	if f.view.Notify() == ch {
		t.Error("Notify returned the fired channel again")
	}
}

func TestView_ConcurrentDiscoverWhileWriting(t *testing.T) {
	f := newFixture(t, []op{httpNS("ns", "n"), svc("srv", "ns", "s", "custom")})
	const writes = 300
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 8)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				out, err := f.discover(&cloudmap.DiscoverInstancesInput{NamespaceName: "n", ServiceName: "s", HealthStatus: cloudmap.FilterAll, MaxResults: 5})
				if err != nil {
					errs <- err
					return
				}
				for _, i := range out.Instances {
					if i.Attributes["k"] != "v" {
						errs <- fmt.Errorf("instance %s has attributes %v", i.InstanceId, i.Attributes)
						return
					}
				}
				f.view.ServiceNamed("ns", "s")
				f.view.HealthTargets()
			}
		})
	}
	for i := range writes {
		id := fmt.Sprintf("i-%d", i%20)
		if i%3 == 2 {
			f.write(deregister("srv", id)...)
		} else {
			f.write(inst("srv", id, "k=v"), health("srv", id, cloudmap.Healthy))
		}
	}
	rev, _ := f.store.Revision(t.Context())
	if err := f.view.WaitFor(t.Context(), rev); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestView_ResnapshotAfterFeedRestart(t *testing.T) {
	f, store := newMemFixture(t, []op{httpNS("ns", "n"), svc("srv", "ns", "s", ""), inst("srv", "old", "k=v")})
	store.SnapshotNext()
	store.EndWatches()
	// The view watches again and gets a snapshot: "old" must disappear
	// although no delete event reaches it.
	rev := store.Load(map[string][]byte{
		cloudmap.InstanceKey("srv", "old"): nil,
		cloudmap.InstanceKey("srv", "new"): cloudmap.Encode(&cloudmap.Instance{Id: "new", Attributes: map[string]string{"k": "v"}}),
	})
	if err := f.view.WaitFor(t.Context(), rev); err != nil {
		t.Fatal(err)
	}
	out, err := f.discover(&cloudmap.DiscoverInstancesInput{NamespaceName: "n", ServiceName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(out), "new"; got != want {
		t.Errorf("after re-snapshot got %q, want %q", got, want)
	}
	f.commit(inst("srv", "newer", "k=v"))
	out, _ = f.discover(&cloudmap.DiscoverInstancesInput{NamespaceName: "n", ServiceName: "s"})
	if got, want := ids(out), "new,newer"; got != want {
		t.Errorf("after re-snapshot and a commit got %q, want %q", got, want)
	}
}

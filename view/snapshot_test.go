package view_test

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/storetest/memstore"
	"github.com/cloudmap/cloudmap/view"
)

// TestView_StartRestoresGCPercent starts views concurrently (each raises
// the GC percent while it loads) and checks the setting is back after.
func TestView_StartRestoresGCPercent(t *testing.T) {
	for _, want := range []int{100, 73, 5000, -1} {
		t.Run(fmt.Sprint(want), func(t *testing.T) {
			prev := debug.SetGCPercent(want)
			defer debug.SetGCPercent(prev)
			st := memstore.New()
			st.Load(population(20, 10))
			defer st.Close()
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					v := view.New(st, nil)
					defer v.Close()
					if err := v.Start(context.Background()); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if got := debug.SetGCPercent(want); got != want {
				t.Errorf("GC percent after Start = %d, want %d", got, want)
			}
		})
	}
}

// TestView_SnapshotLoad checks the parallel snapshot load against the
// records: many services with instances in random key order, services
// whose records come after (or never come with) their instances,
// undecodable records and keys of other prefixes.
func TestView_SnapshotLoad(t *testing.T) {
	const services, per = 300, 20
	kv := population(services, per) // memstore snapshots in map order: random
	kv[cloudmap.InstanceKey("srv-orphan", "i-1")] = cloudmap.Encode(&cloudmap.Instance{Id: "i-1"})
	kv[cloudmap.InstanceKey("srv-1", "broken")] = []byte(`{"Id":`)
	kv["op/123"] = []byte(`{"x":1}`)
	kv["inst/malformed"] = []byte(`{}`)
	kv[cloudmap.HealthKey("srv-3", "i-3-0")] = cloudmap.Encode(&cloudmap.Health{Status: cloudmap.Unhealthy})
	st := memstore.New()
	st.Load(kv)
	defer st.Close()
	v := view.New(st, nil)
	defer v.Close()
	if err := v.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for s := range services {
		e := v.ServiceNamed("ns-bench", fmt.Sprintf("svc-%d", s))
		if e == nil {
			t.Fatalf("svc-%d not loaded", s)
		}
		if got := len(e.Instances); got != per {
			t.Errorf("svc-%d: %d instances, want %d", s, got, per)
		}
		for i, in := range e.Instances {
			if i > 0 && e.Instances[i-1].Instance.Id >= in.Instance.Id {
				t.Errorf("svc-%d: instances not sorted at %d", s, i)
			}
			if in.Instance.ServiceId != e.Service.Id || in.Instance.Attributes["AWS_INSTANCE_PORT"] != "8080" {
				t.Errorf("svc-%d: instance %+v", s, in.Instance)
			}
			want := cloudmap.Unknown
			if s%2 == 1 {
				want = cloudmap.Healthy
				var n int
				fmt.Sscanf(in.Instance.Id[len(fmt.Sprintf("i-%d-", s)):], "%d", &n)
				if n%4 == 3 || in.Instance.Id == "i-3-0" { // i-3-0 rewritten above
					want = cloudmap.Unhealthy
				}
			}
			if in.Health != want {
				t.Errorf("svc-%d: %s health %s, want %s", s, in.Instance.Id, in.Health, want)
			}
		}
	}
	if _, ok := v.Service("srv-orphan"); ok {
		t.Error("instance without a service record published a service")
	}
}

package view

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cloudmap/cloudmap"
)

// TestEntries_MergesChanges adds, changes and deletes instances and their
// health at random between builds and checks that the merged entries are
// those of a full build.
func TestEntries_MergesChanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sr := &svcRec{id: "srv-1", insts: map[string]*cloudmap.Instance{}}
	for round := range 300 {
		for range rng.IntN(12) {
			id := fmt.Sprintf("i-%d", rng.IntN(400))
			switch _, ok := sr.insts[id]; {
			case ok && rng.IntN(3) == 0:
				sr.applyInstance(&record{id: "srv-1", inst: id, deleted: true}, int64(round))
			case ok && rng.IntN(2) == 0:
				h := []cloudmap.HealthStatus{cloudmap.Healthy, cloudmap.Unhealthy}[rng.IntN(2)]
				sr.applyHealth(&record{id: "srv-1", inst: id, health: h}, int64(round))
			default:
				attrs := map[string]string{"v": fmt.Sprint(rng.IntN(3))}
				sr.applyInstance(&record{id: "srv-1", inst: id, in: &cloudmap.Instance{Attributes: attrs}}, int64(round))
			}
		}
		checked := round%50 < 40 // the service gains and loses its health check
		got := slices.Clone(sr.entries(checked))
		ids := make([]string, 0, len(sr.insts))
		for id := range sr.insts {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		want := make([]cloudmap.InstanceEntry, len(ids))
		for i, id := range ids {
			want[i] = sr.entry(id, checked)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: entries = %v, want %v", round, got, want)
		}
	}
}

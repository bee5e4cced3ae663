package view

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cloudmap/cloudmap"
)

// TestSortedIDs_MergesMoves adds and deletes instances at random between
// builds and checks that the merged order is the order of a full sort.
func TestSortedIDs_MergesMoves(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sr := &svcRec{id: "srv-1", insts: map[string]*cloudmap.Instance{}}
	for round := range 300 {
		for range rng.IntN(12) {
			id := fmt.Sprintf("i-%d", rng.IntN(400))
			if _, ok := sr.insts[id]; ok && rng.IntN(2) == 0 {
				sr.applyInstance(&record{id: "srv-1", inst: id, deleted: true}, int64(round))
			} else {
				sr.applyInstance(&record{id: "srv-1", inst: id, in: &cloudmap.Instance{}}, int64(round))
			}
		}
		got := slices.Clone(sr.sortedIDs())
		want := make([]string, 0, len(sr.insts))
		for id := range sr.insts {
			want = append(want, id)
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: sortedIDs = %v, want %v", round, got, want)
		}
	}
}

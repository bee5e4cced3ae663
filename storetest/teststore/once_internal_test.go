package teststore

import (
	"fmt"
	"testing"
)

// TestOnce: a test that does not take the chosen store runs when one store
// is chosen, and in the first store's run only when several are.
func TestOnce(t *testing.T) {
	defer func(c string) { current = c }(current)
	cases := []struct {
		first, current string
		runs           bool
	}{
		{"", "bolt", true},      // one store chosen: no first run named
		{"bolt", "bolt", true},  // the first of several runs
		{"bolt", "etcd", false}, // a later run
	}
	for _, c := range cases {
		t.Setenv(firstEnv, c.first)
		current = c.current
		ran := false
		t.Run(fmt.Sprintf("first=%q,current=%s", c.first, c.current), func(t *testing.T) {
			Once(t)
			ran = true
		})
		if ran != c.runs {
			t.Errorf("first=%q, current=%s: ran = %v, want %v", c.first, c.current, ran, c.runs)
		}
	}
}

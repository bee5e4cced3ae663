package testkit_test

import (
	"errors"
	"testing"

	"github.com/cloudmap/cloudmap/internal/testkit"
)

func TestEventually(t *testing.T) {
	calls := 0
	testkit.Eventually(t, "third call", func() error {
		calls++
		if calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if calls != 3 {
		t.Errorf("f called %d times, want 3: Eventually returns at the first nil", calls)
	}
	n := 0
	testkit.EventuallyTrue(t, "second call", func() bool { n++; return n == 2 })
	if n != 2 {
		t.Errorf("cond called %d times, want 2", n)
	}
}

// Package testkit holds the helpers every package's tests share.
package testkit

import (
	"fmt"
	"testing"
	"time"
)

// Bound is how long Eventually waits before failing. It is generous: it
// only turns a hang into a failure on a slow, shared machine; nothing
// asserts on how long a wait took.
const Bound = 30 * time.Second

// Eventually calls f until it returns nil, backing off from 1 ms to 20 ms
// between calls, and fails the test with what and f's last error when f
// has not returned nil within Bound. It is for conditions no event
// announces (a state read over the API, a goroutine count); wait on the
// event (a channel, View.WaitFor) where there is one, and use
// testing/synctest for timers.
func Eventually(t testing.TB, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(Bound)
	pause := time.Millisecond
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %v: %v", what, Bound, err)
		}
		time.Sleep(pause)
		pause = min(2*pause, 20*time.Millisecond)
	}
}

// EventuallyTrue is Eventually for a condition without an error to report.
func EventuallyTrue(t testing.TB, what string, cond func() bool) {
	t.Helper()
	Eventually(t, what, func() error {
		if cond() {
			return nil
		}
		return fmt.Errorf("still false")
	})
}

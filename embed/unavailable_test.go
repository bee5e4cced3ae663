package embed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/cloudmap/cloudmap"
)

// revisionStore is a cloudmap.Store whose Revision fails with err; nothing
// else is called.
type revisionStore struct {
	cloudmap.Store
	err   error
	calls int
}

func (s *revisionStore) Revision(context.Context) (int64, error) {
	s.calls++
	return 7, s.err
}

func TestGuard_Check(t *testing.T) {
	down := errors.New("etcd: revision: connection refused")
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name     string
		ctx      context.Context
		err      error
		probeErr error
		want     string // error code, "" for internal, "nil" for no error
	}{
		{"no error", context.Background(), nil, nil, "nil"},
		{"aws error passes", context.Background(), cloudmap.Errorf(cloudmap.ErrServiceNotFound, "x"), down, cloudmap.ErrServiceNotFound},
		{"fenced passes", context.Background(), fmt.Errorf("apply: %w", cloudmap.ErrFenced), down, ""},
		{"timeout is unavailable", context.Background(), fmt.Errorf("etcd: get: %w", context.DeadlineExceeded), nil, cloudmap.ErrServiceUnavailable},
		{"store down is unavailable", context.Background(), errors.New("etcd: txn: unavailable"), down, cloudmap.ErrServiceUnavailable},
		{"store up keeps internal", context.Background(), errors.New("registry: op/1: bad json"), nil, ""},
		{"caller gone keeps its error", canceled, context.Canceled, down, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := &guard{store: &revisionStore{err: c.probeErr}, name: "etcd",
				log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			err := g.check(c.ctx, c.err)
			got := cloudmap.ErrorCode(err)
			if err == nil {
				got = "nil"
			}
			if got != c.want {
				t.Fatalf("got %q (%v), want %q", got, err, c.want)
			}
			if got == cloudmap.ErrServiceUnavailable {
				if msg := cloudmap.ErrorMessage(err); msg != "the store (etcd) is unavailable: the request was not carried out; retry later" {
					t.Errorf("message %q", msg)
				}
			}
		})
	}
}

// TestGuard_ProbeOncePerSecond: while the store is down, one probe answers
// for the requests of the next second.
func TestGuard_ProbeOncePerSecond(t *testing.T) {
	s := &revisionStore{err: errors.New("down")}
	g := &guard{store: s, name: "etcd", log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for range 5 {
		if code := cloudmap.ErrorCode(g.check(context.Background(), errors.New("etcd: txn: unavailable"))); code != cloudmap.ErrServiceUnavailable {
			t.Fatalf("code %q, want ServiceUnavailable", code)
		}
	}
	if got, want := s.calls, 1; got != want {
		t.Errorf("probes %d, want %d", got, want)
	}
}

package embed

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/awsapi"
)

// probeTimeout bounds the check that tells a store outage from another
// internal error; failedFor is how long a failed check is believed, so that
// an outage costs one probe per second rather than one per request.
const (
	probeTimeout = time.Second
	failedFor    = time.Second
)

// guard is the API hook that turns errors caused by an unreachable store
// into ServiceUnavailable (HTTP 503, a
// retryable AWS error) with a message that says so, instead of a bare
// InternalFailure. Registry errors with an AWS code pass unchanged; other
// internal errors stay internal. The mapping lives here because only the
// wiring knows both the registry and the store it runs on.
type guard struct {
	store cloudmap.Store
	name  string // "etcd" or "bolt", for messages
	log   *slog.Logger

	lastFail atomic.Int64 // unix nanoseconds of the last failed probe
}

// check returns err, or ServiceUnavailable when err comes from a store that
// does not answer.
func (g *guard) check(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil {
		return err
	}
	var ce *cloudmap.Error
	if errors.As(err, &ce) || errors.Is(err, cloudmap.ErrFenced) {
		return err
	}
	if !errors.Is(err, context.DeadlineExceeded) && g.reachable(ctx) {
		return err
	}
	g.log.Warn("store unavailable: answering ServiceUnavailable", "store", g.name, "err", err)
	return cloudmap.Errorf(cloudmap.ErrServiceUnavailable,
		"the store (%s) is unavailable: the request was not carried out; retry later", g.name)
}

// reachable reports whether the store answers a revision query within
// probeTimeout.
func (g *guard) reachable(ctx context.Context) bool {
	if last := g.lastFail.Load(); last != 0 && time.Since(time.Unix(0, last)) < failedFor {
		return false
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
	defer cancel()
	if _, err := g.store.Revision(pctx); err != nil {
		g.lastFail.Store(time.Now().UnixNano())
		return false
	}
	return true
}

// hook is the awsapi.Hook of the guard: every operation's error is checked.
func (g *guard) hook(_ string, next awsapi.Invoker) awsapi.Invoker {
	return func(ctx context.Context, c *awsapi.Call) (any, error) {
		out, err := next(ctx, c)
		if err != nil {
			return nil, g.check(ctx, err)
		}
		return out, nil
	}
}

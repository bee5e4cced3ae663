package cloudmap

import (
	"context"
	"errors"
)

// Fence identifies the leadership a write depends on: the key the leader
// holds in the store's backend and the revision at which it was created. A
// backend that honours fences commits a write carrying one only while that
// key still exists with that creation revision.
type Fence struct {
	Key      string
	Revision int64
}

// ErrFenced is wrapped by Store.Update when the fence carried by its context
// no longer holds: the leadership the write depended on was lost.
var ErrFenced = errors.New("cloudmap: leadership lost: write fenced")

type fenceKey struct{}

// WithFence returns a copy of ctx that carries f; Store.Update called with it
// commits only while f holds.
func WithFence(ctx context.Context, f Fence) context.Context {
	return context.WithValue(ctx, fenceKey{}, f)
}

// FenceFrom returns the fence carried by ctx, if any.
func FenceFrom(ctx context.Context) (Fence, bool) {
	f, ok := ctx.Value(fenceKey{}).(Fence)
	return f, ok
}

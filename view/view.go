// Package view is cloudmap's data plane: an in-memory index of namespaces,
// services, instances and their health, fed only by the store's change feed
// (a snapshot, then every commit in revision order). DiscoverInstances,
// DiscoverInstancesRevision, GetInstancesHealthStatus and every DNS answer
// read it and never touch the disk.
//
// One goroutine applies the feed. It keeps its own mutable state, and after
// each batch of commits it publishes immutable entries: a new
// cloudmap.ServiceEntry per changed service (copy-on-write), swapped in with
// an atomic pointer. Readers take a read lock only for map lookups, so a
// flood of writes never holds up discovery.
package view

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/cloudmap/cloudmap"
)

// View is the in-memory index. Make one with New, then call Start.
type View struct {
	store cloudmap.Store
	log   *slog.Logger

	idx index // published read state
	// cells numbers the cells of published services.
	cells cellTable
	// clashes remembers the public namespace name clashes already logged.
	clashes sync.Map
	hub     hub // waiters for changes of a service or namespace

	applied  atomic.Int64
	notifyMu sync.Mutex
	notify   chan struct{} // closed at the next applied change

	closed    chan struct{}
	closeOnce sync.Once
	cancel    context.CancelFunc
	done      chan struct{} // closed when the feed goroutine returns
}

var _ cloudmap.DataPlane = (*View)(nil)

// ErrClosed is returned by WaitFor once the view is closed.
var ErrClosed = errors.New("view: closed")

// New returns a view of store. A nil logger discards logs.
func New(store cloudmap.Store, logger *slog.Logger) *View {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	v := &View{store: store, log: logger, notify: make(chan struct{}), closed: make(chan struct{})}
	v.idx.init()
	return v
}

// Start loads the snapshot, starts applying the feed in a goroutine, and
// returns once the state at the store's current revision is applied. ctx
// bounds only the start; the feed runs until Close.
func (v *View) Start(ctx context.Context) error {
	if v.cancel != nil {
		return errors.New("view: already started")
	}
	defer boostGC()() // the first snapshot allocates the whole index at once
	rev, err := v.store.Revision(ctx)
	if err != nil {
		return fmt.Errorf("view: store revision: %w", err)
	}
	feedCtx, cancel := context.WithCancel(context.Background())
	ch, err := v.store.Watch(feedCtx, 0)
	if err != nil {
		cancel()
		return fmt.Errorf("view: watch: %w", err)
	}
	v.cancel = cancel
	v.done = make(chan struct{})
	go v.run(feedCtx, ch)
	if err := v.WaitFor(ctx, rev); err != nil {
		return fmt.Errorf("view: load revision %d: %w", rev, err)
	}
	v.log.Info("view ready", "revision", v.Applied(), "services", v.idx.serviceCount())
	return nil
}

// Close stops applying the feed. Readers keep the last applied state;
// WaitFor returns ErrClosed.
func (v *View) Close() error {
	v.closeOnce.Do(func() {
		close(v.closed)
		if v.cancel != nil {
			v.cancel()
			<-v.done
		}
	})
	return nil
}

// Applied returns the last applied store revision.
func (v *View) Applied() int64 { return v.applied.Load() }

// WaitFor blocks until Applied() >= rev, ctx is done (its error is
// returned) or the view is closed (ErrClosed). It never polls: it waits on
// the channel the next applied change closes.
func (v *View) WaitFor(ctx context.Context, rev int64) error {
	for {
		ch := v.Notify()
		if v.Applied() >= rev {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-v.closed:
			if v.Applied() >= rev {
				return nil
			}
			return ErrClosed
		}
	}
}

// Notify returns a channel closed at the next applied change; call it
// again after it fires.
func (v *View) Notify() <-chan struct{} {
	v.notifyMu.Lock()
	defer v.notifyMu.Unlock()
	return v.notify
}

// setApplied publishes rev as applied and wakes waiters.
func (v *View) setApplied(rev int64) {
	v.applied.Store(rev)
	v.notifyMu.Lock()
	close(v.notify)
	v.notify = make(chan struct{})
	v.notifyMu.Unlock()
}

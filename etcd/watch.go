package etcd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudmap/cloudmap"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Watch timings.
const (
	watchBuffer     = 64
	retryMin        = 50 * time.Millisecond
	retryMax        = 5 * time.Second
	progressRetry   = 100 * time.Millisecond // re-ask for progress while someone waits
	snapshotTimeout = time.Minute
)

// errCompacted says the watch must restart from a snapshot.
var errCompacted = errors.New("etcd: watch: revision compacted")

// Watch returns the change feed after fromRev: etcd's watch on the prefix,
// one Change per etcd revision. fromRev 0, or a revision etcd compacted,
// starts with a Snapshot. After a disconnect the feed resumes after the last
// revision it delivered, retrying with backoff for as long as ctx lives. A
// Change without events and not a snapshot says that etcd's revision
// reached Revision with nothing changed under the prefix since the previous
// Change (etcd also counts commits outside the prefix).
func (s *Store) Watch(ctx context.Context, fromRev int64) (<-chan cloudmap.Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	if fromRev < 0 {
		return nil, fmt.Errorf("etcd: watch from negative revision %d", fromRev)
	}
	ch := make(chan cloudmap.Change, watchBuffer)
	w := &watcher{s: s, ch: ch, last: fromRev, snapshot: fromRev == 0}
	s.wg.Add(1)
	go w.run(ctx)
	return ch, nil
}

// watcher is one subscriber's feed.
type watcher struct {
	s        *Store
	ch       chan<- cloudmap.Change
	last     int64 // revision of the last Change delivered
	snapshot bool  // the next Change must be a snapshot
}

func (w *watcher) run(ctx context.Context) {
	defer w.s.wg.Done()
	defer close(w.ch)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(w.s.ctx, cancel)
	defer stop()
	wait := retryMin
	for ctx.Err() == nil {
		var err error
		if w.snapshot {
			err = w.sendSnapshot(ctx)
		} else {
			var progressed bool
			progressed, err = w.follow(ctx)
			if progressed {
				wait = retryMin
			}
		}
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, errCompacted):
			w.s.log.Warn("etcd: watch revision compacted, restarting from a snapshot", "from", w.last+1)
			w.snapshot = true
			continue
		case err != nil:
			w.s.log.Warn("etcd: watch interrupted, resuming", "after", w.last, "retry_in", wait, "err", err)
		}
		if !sleep(ctx, wait) {
			return
		}
		wait = min(wait*2, retryMax)
	}
}

// sendSnapshot reads every key under the prefix at one revision and sends
// them as a Snapshot.
func (w *watcher) sendSnapshot(ctx context.Context) error {
	sctx, cancel := context.WithTimeout(ctx, snapshotTimeout)
	defer cancel()
	t := newReadTx(w.s, sctx)
	var events []cloudmap.Event
	err := t.pages("", "", func(e kv) bool {
		events = append(events, cloudmap.Event{Key: e.key, Value: e.value})
		return true
	})
	if err != nil {
		if errors.Is(err, rpctypes.ErrCompacted) {
			return nil // try again at a newer revision
		}
		return fmt.Errorf("snapshot: %w", err)
	}
	if !w.send(ctx, cloudmap.Change{Revision: t.rev, Snapshot: true, Events: events}) {
		return ctx.Err()
	}
	w.last, w.snapshot = t.rev, false
	return nil
}

// follow watches the prefix after w.last and delivers each revision until
// the watch ends. progressed says whether anything was received.
func (w *watcher) follow(ctx context.Context) (progressed bool, err error) {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	// Start at w.last, not after it: w.last is a revision a caller was
	// handed, so it exists, while w.last+1 may lie in the future, and etcd
	// answers no progress request on a stream while one of its watchers
	// starts in the future (watchableStore.progressAll) — one idle watcher
	// would then hold every other feed on the stream behind. deliver skips
	// what w.last already covers.
	wch := w.s.cli.Watch(wctx, w.s.prefix, clientv3.WithPrefix(), clientv3.WithRev(max(w.last, 1)))
	retryTimer := time.NewTimer(progressRetry)
	defer retryTimer.Stop()
	var retry <-chan time.Time
	for {
		wanted, wantc := w.s.wantState()
		if wanted > w.last && retry == nil {
			if err := w.s.cli.RequestProgress(wctx); err != nil && wctx.Err() == nil {
				w.s.log.Debug("etcd: watch progress request failed", "err", err)
			}
			retryTimer.Reset(progressRetry)
			retry = retryTimer.C
		}
		select {
		case <-ctx.Done():
			return progressed, ctx.Err()
		case <-wantc:
		case <-retry:
			retry = nil
		case resp, ok := <-wch:
			if !ok {
				return progressed, errors.New("watch channel closed")
			}
			if resp.CompactRevision != 0 {
				return progressed, errCompacted
			}
			if err := resp.Err(); err != nil {
				return progressed, err
			}
			progressed = true
			if !w.deliver(ctx, &resp) {
				return progressed, ctx.Err()
			}
		}
	}
}

// deliver sends one watch response: its events grouped by revision, or a
// progress notification as a Change without events.
func (w *watcher) deliver(ctx context.Context, resp *clientv3.WatchResponse) bool {
	if resp.IsProgressNotify() {
		if rev := resp.Header.Revision; rev > w.last {
			if !w.send(ctx, cloudmap.Change{Revision: rev}) {
				return false
			}
			w.last = rev
		}
		return true
	}
	var cur cloudmap.Change
	flush := func() bool {
		if len(cur.Events) == 0 {
			return true
		}
		if !w.send(ctx, cur) {
			return false
		}
		w.last = cur.Revision
		return true
	}
	for _, ev := range resp.Events {
		rev := ev.Kv.ModRevision
		if rev <= w.last {
			continue // already delivered (never expected from etcd)
		}
		if rev != cur.Revision {
			if !flush() {
				return false
			}
			cur = cloudmap.Change{Revision: rev}
		}
		key, ok := w.s.short(ev.Kv.Key)
		if !ok {
			w.s.log.Warn("etcd: watch event outside the prefix ignored", "key", string(ev.Kv.Key))
			continue
		}
		e := cloudmap.Event{Key: key}
		if ev.Type == mvccpb.DELETE {
			e.Deleted = true
		} else {
			e.Value = value(ev.Kv.Value)
		}
		cur.Events = append(cur.Events, e)
	}
	return flush()
}

func (w *watcher) send(ctx context.Context, c cloudmap.Change) bool {
	select {
	case w.ch <- c:
		return true
	case <-ctx.Done():
		return false
	}
}

// sleep waits d or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

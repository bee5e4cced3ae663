package etcd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cloudmap/cloudmap"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// DefaultLeaderTTL is the lease TTL of an Elector made with ttl 0.
const DefaultLeaderTTL = 10 * time.Second

// Elector elects one leader among the cloudmap nodes sharing an etcd prefix
// (an etcd concurrency.Election whose key is held by a lease of the TTL).
// Make it with Store.NewElector.
type Elector struct {
	s      *Store
	name   string
	prefix string // etcd key prefix of the election
	ttl    int    // seconds

	mu   sync.Mutex
	term *term // current leadership, nil when not leading
}

// term is one leadership: its session, election and context.
type term struct {
	sess     *concurrency.Session
	election *concurrency.Election
	cancel   context.CancelFunc
	done     chan struct{} // closed when the term's monitor has ended
}

// NewElector returns an elector for the election name. Elections live
// beside the store's keys (prefix without its trailing slash, then
// ".election/name/"), so the change feed never carries them. ttl is rounded
// up to whole seconds; 0 means DefaultLeaderTTL.
func (s *Store) NewElector(name string, ttl time.Duration) *Elector {
	if ttl <= 0 {
		ttl = DefaultLeaderTTL
	}
	secs := int(math.Ceil(ttl.Seconds()))
	e := &Elector{
		s: s, name: name, ttl: max(secs, 1),
		prefix: strings.TrimSuffix(s.prefix, "/") + ".election/" + name + "/",
	}
	s.mu.Lock()
	s.electors = append(s.electors, e)
	s.mu.Unlock()
	return e
}

// Campaign blocks until this node leads or ctx ends. The returned context is
// cancelled when leadership is lost (lease expired, key deleted, Resign,
// ctx done, store closed); it carries a cloudmap.Fence so that Update calls
// made with it commit only while this leadership holds.
func (e *Elector) Campaign(ctx context.Context) (context.Context, error) {
	e.mu.Lock()
	if e.term != nil {
		e.mu.Unlock()
		return nil, fmt.Errorf("etcd: campaign %s: already leading", e.name)
	}
	e.mu.Unlock()
	if e.s.isClosed() {
		return nil, fmt.Errorf("etcd: campaign %s: %w", e.name, errClosed)
	}
	sess, err := e.session(ctx)
	if err != nil {
		return nil, fmt.Errorf("etcd: campaign %s: %w", e.name, err)
	}
	el := concurrency.NewElection(sess, e.prefix)
	if err := el.Campaign(ctx, nodeID()); err != nil {
		e.closeSession(sess)
		return nil, fmt.Errorf("etcd: campaign %s: %w", e.name, err)
	}
	lctx, cancel := context.WithCancel(ctx)
	t := &term{sess: sess, election: el, cancel: cancel, done: make(chan struct{})}
	e.mu.Lock()
	e.term = t
	e.mu.Unlock()
	go e.monitor(lctx, t)
	fence := cloudmap.Fence{Key: el.Key(), Revision: el.Rev()}
	e.s.log.Info("etcd: leading", "election", e.name, "key", fence.Key, "revision", fence.Revision)
	return cloudmap.WithFence(lctx, fence), nil
}

// session grants a lease bounded by ctx and keeps it alive for the store's
// life.
func (e *Elector) session(ctx context.Context) (*concurrency.Session, error) {
	gctx, cancel := context.WithTimeout(ctx, e.s.timeout)
	defer cancel()
	lease, err := e.s.cli.Grant(gctx, int64(e.ttl))
	if err != nil {
		return nil, fmt.Errorf("grant lease: %w", err)
	}
	sess, err := concurrency.NewSession(e.s.cli, concurrency.WithTTL(e.ttl),
		concurrency.WithLease(lease.ID), concurrency.WithContext(e.s.ctx))
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return sess, nil
}

// monitor ends the term when its session ends, its key is deleted, or its
// context is done, then releases the lease so another node can lead.
func (e *Elector) monitor(lctx context.Context, t *term) {
	defer close(t.done)
	wctx, stopWatch := context.WithCancel(lctx)
	deleted := e.watchDelete(wctx, t.election.Key(), t.election.Rev())
	select {
	case <-lctx.Done():
	case <-t.sess.Done():
		e.s.log.Warn("etcd: leadership lost: session ended", "election", e.name)
	case <-deleted:
		e.s.log.Warn("etcd: leadership lost: key deleted", "election", e.name)
	}
	stopWatch()
	t.cancel()
	e.mu.Lock()
	if e.term == t {
		e.term = nil
	}
	e.mu.Unlock()
	e.closeSession(t.sess)
}

// watchDelete returns a channel closed when key is deleted after rev.
func (e *Elector) watchDelete(ctx context.Context, key string, rev int64) <-chan struct{} {
	deleted := make(chan struct{})
	go func() {
		for ctx.Err() == nil {
			for resp := range e.s.cli.Watch(ctx, key, clientv3.WithRev(rev+1)) {
				for _, ev := range resp.Events {
					if ev.Type == mvccpb.DELETE {
						close(deleted)
						return
					}
				}
				if resp.CompactRevision != 0 {
					rev = resp.CompactRevision - 1
				}
			}
			sleep(ctx, retryMin)
		}
	}()
	return deleted
}

// closeSession revokes the session's lease (deleting the leader key) within
// the request timeout, and stops its keep-alive.
func (e *Elector) closeSession(sess *concurrency.Session) {
	ctx, cancel := context.WithTimeout(context.Background(), e.s.timeout)
	defer cancel()
	if _, err := e.s.cli.Revoke(ctx, sess.Lease()); err != nil && !errors.Is(err, context.Canceled) {
		e.s.log.Debug("etcd: revoke leader lease", "election", e.name, "err", err)
	}
	sess.Orphan()
}

// Resign gives up leadership, if held, and waits until the leader key is
// released; the context returned by Campaign is cancelled.
func (e *Elector) Resign(ctx context.Context) error {
	e.mu.Lock()
	t := e.term
	e.mu.Unlock()
	if t == nil {
		return nil
	}
	err := t.election.Resign(ctx)
	t.cancel()
	select {
	case <-t.done:
	case <-ctx.Done():
		return fmt.Errorf("etcd: resign %s: %w", e.name, ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("etcd: resign %s: %w", e.name, err)
	}
	return nil
}

// nodeID is the value a leader proclaims: host and process.
func nodeID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}

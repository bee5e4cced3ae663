package awsapi

import (
	"cmp"
	"context"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudmap/cloudmap"
)

// Long-poll (a cloudmap extension, Consul's blocking queries on the
// InstancesRevision): DiscoverInstances and DiscoverInstancesRevision with
// the header IndexHeader set to an InstancesRevision the client has seen
// wait until the service's revision differs from it, or until the wait
// (WaitHeader, default DefaultLongPollWait, at most MaxLongPollWait, plus
// a jitter of up to 1/16 of it) ends, and then answer as usual. A request
// without IndexHeader answers at once, as AWS does.
const (
	IndexHeader         = "X-Cloudmap-Index"
	WaitHeader          = "X-Cloudmap-Wait"
	DefaultLongPollWait = 5 * time.Minute
	MaxLongPollWait     = 10 * time.Minute
)

// RevisionWaiter blocks until a service's InstancesRevision differs from
// index (see view.View.WaitRevision). It returns nil when the caller
// should answer, ctx's error when ctx ended.
type RevisionWaiter interface {
	WaitRevision(ctx context.Context, nsName, svcName, owner string, index int64) error
}

// extensions are the handler's parts beyond AWS.
type extensions struct {
	waiter       RevisionWaiter
	lot          *lot // parked long-polls, when waiter is also a RevisionWatcher
	streams      *streamLot
	bodies       *holding[struct{}, *heldBody] // slow bodies (slowbody.go)
	bodyGrace    time.Duration
	bodyTimeout  time.Duration
	watch        WatchSource
	shutdown     context.Context
	heartbeat    time.Duration
	writeTimeout time.Duration
	resumer      *Resumer
}

func newExtensions(cfg Config) extensions {
	x := extensions{waiter: cfg.Waiter, watch: cfg.Watch, shutdown: cfg.Shutdown,
		heartbeat: cfg.WatchHeartbeat, writeTimeout: cfg.WatchWriteTimeout, resumer: cfg.Resumer,
		bodyGrace: cmp.Or(cfg.BodyGrace, DefaultBodyGrace), bodyTimeout: cmp.Or(cfg.BodyTimeout, DefaultBodyTimeout)}
	if x.bodyTimeout > 0 {
		x.bodies = newHolding[struct{}, *heldBody](nil)
		x.bodies.onShutdown(cfg.Shutdown, (*heldBody).end)
	}
	if rw, ok := cfg.Waiter.(RevisionWatcher); ok {
		x.lot = newLot(rw, cfg.Shutdown)
	}
	if x.heartbeat <= 0 {
		x.heartbeat = DefaultWatchHeartbeat
	}
	if x.writeTimeout <= 0 {
		x.writeTimeout = DefaultWatchWriteTimeout
	}
	if x.watch != nil {
		log := cfg.Logger
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		x.streams = newStreamLot(x.watch, x.heartbeat, log.Info, cfg.Shutdown)
	}
	return x
}

// statusParked is serve's status for a request whose connection was
// handed over to the lot of parked long-polls: nothing more is written.
const statusParked = -1

// longPoll waits as the long-poll headers of a discovery request ask: it
// parks the request (park.go), or else waits here. It returns InvalidInput
// naming the header for a bad header; the end of the wait is not an error.
func (h *handler) longPoll(ctx context.Context, w http.ResponseWriter, r *http.Request, o *operation, in any, reqID string) (parked bool, err error) {
	key, index, wait, ok, err := h.pollPlan(ctx, r, in)
	if err != nil || !ok {
		return false, err
	}
	if h.ext.lot != nil {
		if !h.stillCurrent(key, index) {
			return false, nil // answer at once
		}
		if h.park(w, r, o, in, reqID, key, index, wait) {
			return true, nil
		}
	}
	// The answer may come after the server's read and write timeouts (the
	// read timeout would cancel the request): move them.
	rc, end := http.NewResponseController(w), time.Now().Add(wait+30*time.Second)
	rc.SetWriteDeadline(end)
	rc.SetReadDeadline(end)
	if err := h.waitRevision(ctx, key, index, wait); err != nil && r.Context().Err() != nil {
		return false, err // the client went away
	}
	return false, nil
}

// longPollHeld is longPoll for a request whose connection is already held
// (slowbody.go): it parks the request with its connection, or waits in
// the caller's goroutine.
func (h *handler) longPollHeld(ctx context.Context, conn net.Conn, r *http.Request, o *operation, in any, reqID string, clean bool) (parked bool, err error) {
	key, index, wait, ok, err := h.pollPlan(ctx, r, in)
	if err != nil || !ok {
		return false, err
	}
	if h.ext.lot != nil {
		return h.stillCurrent(key, index) && h.parkConn(conn, r, o, in, reqID, key, index, wait, clean), nil
	}
	h.waitRevision(ctx, key, index, wait)
	return false, nil
}

// pollPlan reads what a discovery request's long-poll headers ask: the
// service to wait on, the index the client has and the wait (with its
// jitter); ok is false when the request does not wait.
func (h *handler) pollPlan(ctx context.Context, r *http.Request, in any) (key pollKey, index int64, wait time.Duration, ok bool, err error) {
	switch in := in.(type) {
	case *cloudmap.DiscoverInstancesInput:
		key = pollKey{ns: in.NamespaceName, svc: in.ServiceName, owner: in.OwnerAccount}
	case *cloudmap.DiscoverInstancesRevisionInput:
		key = pollKey{ns: in.NamespaceName, svc: in.ServiceName, owner: in.OwnerAccount}
	default:
		return key, 0, 0, false, nil
	}
	key.cell, _ = cloudmap.CellFrom(ctx)
	index, wait, ok, err = parseLongPoll(r.Header)
	if err != nil || !ok || h.ext.waiter == nil {
		return key, 0, 0, false, err
	}
	return key, index, wait + rand.N(wait/16+1), true, nil
}

// stillCurrent reports whether index is the service's revision (the
// long-poll must wait); a service that is gone answers at once.
func (h *handler) stillCurrent(key pollKey, index int64) bool {
	rev, _, err := h.ext.lot.src.WatchRevision(key.cell, key.ns, key.svc, key.owner)
	return err == nil && rev == index
}

// waitRevision waits in the caller's goroutine until the service's
// revision differs from index, the wait ends, ctx ends or the server
// shuts down.
func (h *handler) waitRevision(ctx context.Context, key pollKey, index int64, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, wait) // ctx carries the caller's cell
	defer cancel()
	if h.ext.shutdown != nil {
		defer context.AfterFunc(h.ext.shutdown, cancel)()
	}
	return h.ext.waiter.WaitRevision(ctx, key.ns, key.svc, key.owner, index)
}

// parseLongPoll reads the long-poll headers; ok is false when the request
// does not ask to wait (no IndexHeader).
func parseLongPoll(hdr http.Header) (index int64, wait time.Duration, ok bool, err error) {
	iv, hasIndex := headerValue(hdr, IndexHeader)
	wv, hasWait := headerValue(hdr, WaitHeader)
	if hasIndex {
		index, err = strconv.ParseInt(iv, 10, 64)
		if err != nil || index < 0 {
			return 0, 0, false, cloudmap.Errorf(cloudmap.ErrInvalidInput,
				"header %s: %q is not an InstancesRevision (a non-negative integer)", IndexHeader, iv)
		}
	}
	wait = DefaultLongPollWait
	if hasWait {
		if wait, err = parseWait(wv); err != nil {
			return 0, 0, false, err
		}
	}
	return index, wait, hasIndex, nil
}

// parseWait parses a Go duration ("30s", "5m") or a number of seconds.
func parseWait(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		n, nerr := strconv.ParseInt(v, 10, 64)
		if nerr != nil {
			return 0, cloudmap.Errorf(cloudmap.ErrInvalidInput,
				"header %s: %q is not a duration such as 30s or 5m", WaitHeader, v)
		}
		d = time.Duration(max(-1, min(n, int64(MaxLongPollWait/time.Second)+1))) * time.Second
	}
	switch {
	case d < 0:
		return 0, cloudmap.Errorf(cloudmap.ErrInvalidInput, "header %s: %q must not be negative", WaitHeader, v)
	case d > MaxLongPollWait:
		return 0, cloudmap.Errorf(cloudmap.ErrInvalidInput, "header %s: %q is more than the maximum of %s",
			WaitHeader, v, "10m")
	}
	return d, nil
}

func headerValue(hdr http.Header, name string) (string, bool) {
	vs, ok := hdr[name]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return strings.TrimSpace(vs[0]), true
}

package awsapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/cloudmap/cloudmap"
)

// The change stream (a cloudmap extension): GET WatchPath?namespace=NAME
// [&service=NAME] streams Server-Sent Events. The first event is a
// snapshot (the current instances and revision); then one "change" event
// per change (instances registered or changed, instances removed, the new
// InstancesRevision); a comment line every WatchHeartbeat keeps proxies
// from closing the stream. Without service, the stream covers every
// service of the namespace. The request is signed like any other (the
// SDK's SigV4 signer signs it) and authorized as DiscoverInstances of the
// namespace and service, so a key needs the Discover* permission and the
// namespace in its scope.
//
// Event ids: a service stream's id is the service's InstancesRevision; a
// namespace stream's is the namespace's serial (see view.ZoneSerial). A
// client reconnecting with Last-Event-ID equal to the current id has
// missed nothing and gets no snapshot; otherwise it gets a fresh snapshot
// (the server keeps no history).
//
// A watcher costs a goroutine and the last state it sent (shared with the
// view), never a queue: each event is computed from the current state, so
// a slow reader sees changes coalesced. A reader that does not take an
// event within WatchWriteTimeout is dropped; nothing waits for it.
const (
	WatchPath                = "/v1/watch"
	DefaultWatchHeartbeat    = 15 * time.Second
	DefaultWatchWriteTimeout = 10 * time.Second
)

// WatchSource is what the change stream reads (the view implements it).
type WatchSource interface {
	// WatchService returns the current entry of a service found as
	// DiscoverInstances finds it, and a channel closed at its next change.
	WatchService(cell cloudmap.Cell, nsName, svcName string) (*cloudmap.ServiceEntry, <-chan struct{}, error)
	// WatchNamespace returns a namespace, its services' entries, its serial
	// and a channel closed at the next change in it.
	WatchNamespace(cell cloudmap.Cell, nsName string) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, <-chan struct{}, error)
	// AfterService and AfterNamespace are WatchService and WatchNamespace
	// calling f (which must not block) once at the next change, or without
	// one (the caller looks again), instead of closing a channel: a group
	// of streams on connections handed over waits so, without a goroutine.
	AfterService(cell cloudmap.Cell, nsName, svcName string, f func()) (*cloudmap.ServiceEntry, error)
	AfterNamespace(cell cloudmap.Cell, nsName string, f func()) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, error)
}

// watchInstance is an instance as DiscoverInstances reports it.
type watchInstance struct {
	InstanceId    string
	NamespaceName string
	ServiceName   string
	HealthStatus  cloudmap.HealthStatus
	Attributes    map[string]string
}

// watchService is the change of one service in a change event.
type watchService struct {
	Service           string
	InstancesRevision int64
	Changed           []watchInstance `json:",omitempty"` // registered or changed
	Removed           []string        `json:",omitempty"` // deregistered instance ids
	Deleted           bool            `json:",omitempty"` // the service is gone
}

// watchState is the state of one service in a snapshot.
type watchState struct {
	Service           string
	InstancesRevision int64
	Instances         []watchInstance // every instance, [] when none
}

// watchSnapshot is the data of a snapshot event.
type watchSnapshot struct {
	Namespace string
	Services  []watchState
}

// serveWatch serves one change stream: on a connection handed over to the
// lot of streams (streamlot.go) for HTTP/1.x, else in this goroutine.
func (h *handler) serveWatch(w http.ResponseWriter, r *http.Request) {
	rh := new(respHeaders)
	reqID := rh.requestID()
	w.Header()["X-Amzn-Requestid"] = rh.requestIDHeader()
	w.Header()["Content-Type"] = jsonContentType
	cell, err := h.startWatch(r)
	if err != nil {
		h.writeError(w, reqID, err)
		return
	}
	q := r.URL.Query()
	s := &stream{h: h, cell: cell, ns: q.Get("namespace"), svc: q.Get("service"), lastID: r.Header.Get("Last-Event-ID")}
	id, snap, err := s.load()
	if err != nil {
		h.writeError(w, reqID, err)
		return
	}
	if h.ext.streams != nil && h.ext.streams.adopt(w, s, reqID, id, snap) {
		return
	}
	s.out = rwSink{w: w, rc: http.NewResponseController(w)}
	hdr := w.Header()
	hdr["Content-Type"] = []string{"text/event-stream"}
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Accel-Buffering", "no")
	s.out.(rwSink).rc.SetReadDeadline(time.Time{}) // the server's read timeout would end the stream
	w.WriteHeader(http.StatusOK)
	if err := s.open(id, snap); err == nil {
		err = s.run(r)
		if err != nil {
			h.log.Info("awsapi: watcher dropped: it did not take an event in time",
				"remote", r.RemoteAddr, "namespace", s.ns, "service", s.svc, "err", err)
		}
	}
}

// startWatch checks the method and the query, then authorizes the stream
// as a DiscoverInstances of its namespace and service. It returns the
// caller's cell (the zero Cell for the default cell).
func (h *handler) startWatch(r *http.Request) (cloudmap.Cell, error) {
	if r.Method != http.MethodGet {
		return cloudmap.Cell{}, cloudmap.Errorf(codeMethodNotAllowed, "method %s is not allowed: %s takes GET", r.Method, WatchPath)
	}
	q := r.URL.Query()
	ns, svc := q.Get("namespace"), q.Get("service")
	in := &cloudmap.DiscoverInstancesInput{NamespaceName: ns, ServiceName: svc}
	var cell cloudmap.Cell
	if h.auth != nil {
		ctx, err := h.auth.Authorize(r, nil, "DiscoverInstances", in)
		if err != nil {
			return cloudmap.Cell{}, err
		}
		if ctx != nil {
			cell, _ = cloudmap.CellFrom(ctx)
		}
	}
	switch {
	case h.ext.watch == nil:
		return cell, cloudmap.Errorf(cloudmap.ErrUnknownOperation, "%s is not served here", WatchPath)
	case ns == "":
		return cell, cloudmap.Errorf(cloudmap.ErrInvalidInput, "query parameter namespace is required")
	case len(ns) > 1024 || len(svc) > 127:
		return cell, cloudmap.Errorf(cloudmap.ErrInvalidInput, "query parameter namespace (at most 1024 bytes) or service (at most 127) is too long")
	}
	return cell, nil
}

// stream is one change stream being served.
type stream struct {
	h       *handler
	out     sink
	cell    cloudmap.Cell // the caller's cell (zero: the default cell)
	ns, svc string
	lastID  string
	wake    <-chan struct{}
	cur     *cursor // what the client has
	buf     []byte
}

// cursor is the state a stream has sent: the entry of its service (one)
// or the entries of its namespace's services by id (many). A cursor is
// never modified once made, so the streams of a group share one, and the
// events from one cursor to the next are encoded once for all of them
// (streamlot.go).
type cursor struct {
	one  *cloudmap.ServiceEntry
	many map[string]*cloudmap.ServiceEntry
}

// same reports whether c and o hold the same state (entries are immutable:
// a change is a new pointer).
func (c *cursor) same(o *cursor) bool {
	switch {
	case c == o:
		return true
	case c == nil || o == nil:
		return false
	case c.one != nil || o.one != nil:
		return c.one == o.one
	case len(c.many) != len(o.many):
		return false
	}
	for id, e := range c.many {
		if o.many[id] != e {
			return false
		}
	}
	return true
}

// sink is where a stream's bytes go: the ResponseWriter, or the connection
// handed over.
type sink interface {
	write(b []byte, deadline time.Time) error
}

type rwSink struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (o rwSink) write(b []byte, deadline time.Time) error {
	o.rc.SetWriteDeadline(deadline)
	if len(b) > 0 {
		if _, err := o.w.Write(b); err != nil {
			return err
		}
	}
	return o.rc.Flush()
}

// load reads the current state: the snapshot and its event id. An error
// (no such namespace or service) is answered as an API error.
func (s *stream) load() (string, *watchSnapshot, error) {
	if s.svc != "" {
		e, ch, err := s.h.ext.watch.WatchService(s.cell, s.ns, s.svc)
		if err != nil {
			return "", nil, err
		}
		s.cur, s.wake = &cursor{one: e}, ch
		snap := &watchSnapshot{Namespace: e.Namespace.HttpName(), Services: []watchState{fullService(e)}}
		return strconv.FormatInt(e.Revision, 10), snap, nil
	}
	ns, entries, serial, ch, err := s.h.ext.watch.WatchNamespace(s.cell, s.ns)
	if err != nil {
		return "", nil, err
	}
	many := make(map[string]*cloudmap.ServiceEntry, len(entries))
	snap := &watchSnapshot{Namespace: ns.HttpName(), Services: make([]watchState, 0, len(entries))}
	for _, e := range entries {
		many[e.Service.Id] = e
		snap.Services = append(snap.Services, fullService(e))
	}
	s.cur, s.wake = &cursor{many: many}, ch
	return strconv.FormatUint(uint64(serial), 10), snap, nil
}

// open sends the snapshot unless the client resumes at the current id.
func (s *stream) open(id string, snap *watchSnapshot) error {
	if s.lastID == "" || s.lastID != id {
		s.buf = appendEvent(s.buf, id, "snapshot", snap)
	}
	return s.flush()
}

// run sends events until the client goes, the server shuts down or a write
// fails (a reader too slow is dropped by the write deadline): only the
// last case returns an error.
func (s *stream) run(r *http.Request) error {
	tick := time.NewTicker(s.h.ext.heartbeat)
	defer tick.Stop()
	var shutdown <-chan struct{}
	if s.h.ext.shutdown != nil {
		shutdown = s.h.ext.shutdown.Done()
	}
	for {
		select {
		case <-s.wake:
			more := s.next()
			if err := s.flush(); err != nil || !more {
				return s.failed(err)
			}
		case <-tick.C:
			s.buf = append(s.buf, heartbeat...)
			if err := s.flush(); err != nil {
				return s.failed(err)
			}
		case <-r.Context().Done():
			return nil
		case <-shutdown:
			return nil
		}
	}
}

// heartbeat is the comment an idle stream sends every WatchHeartbeat.
const heartbeat = ": heartbeat\n\n"

// failed is err when the write timed out (the reader is too slow), nil
// when the client went away by itself.
func (s *stream) failed(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	return nil
}

// next buffers the events of a wake-up; false ends the stream (the
// service or namespace is gone).
func (s *stream) next() bool {
	var more bool
	s.buf, s.cur, s.wake, more = advance(s.h.ext.watch, streamKey{s.cell, s.ns, s.svc}, s.cur, s.buf, nil)
	return more
}

// advance reads the current state of what k watches and appends to buf
// the events from the state from to it. It returns the new state (from
// itself when nothing changed), the channel closed at the next change,
// and false when the service or namespace is gone (the events then say so
// and the stream ends). With notify set, no channel: notify is called at
// the next change (WatchSource.AfterService, AfterNamespace).
func advance(src WatchSource, k streamKey, from *cursor, buf []byte, notify func()) ([]byte, *cursor, <-chan struct{}, bool) {
	if k.svc != "" {
		e, ch, err := readService(src, k, notify)
		if err != nil || e.Service.Id != from.one.Service.Id {
			gone := diffService(from.one, nil)
			return appendEvent(buf, strconv.FormatInt(from.one.Revision, 10), "change", gone), from, nil, false
		}
		if e == from.one {
			return buf, from, ch, true
		}
		if e.Revision != from.one.Revision || !sameInstances(from.one, e) {
			buf = appendEvent(buf, strconv.FormatInt(e.Revision, 10), "change", diffService(from.one, e))
		}
		return buf, &cursor{one: e}, ch, true
	}
	ns, entries, serial, ch, err := readNamespace(src, k, notify)
	id := strconv.FormatUint(uint64(serial), 10)
	alive := err == nil && ns != nil
	to := &cursor{many: make(map[string]*cloudmap.ServiceEntry, len(entries))}
	if alive {
		for _, e := range entries {
			to.many[e.Service.Id] = e
			old := from.many[e.Service.Id]
			if old == nil || old.Revision != e.Revision || !sameInstances(old, e) {
				buf = appendEvent(buf, id, "change", diffService(old, e))
			}
		}
	}
	for sid, old := range from.many {
		if to.many[sid] == nil {
			buf = appendEvent(buf, id, "change", diffService(old, nil))
		}
	}
	if to.same(from) {
		to = from
	}
	return buf, to, ch, alive
}

// readService reads k's service and waits for its next change on a
// channel, or with notify when set.
func readService(src WatchSource, k streamKey, notify func()) (*cloudmap.ServiceEntry, <-chan struct{}, error) {
	if notify == nil {
		return src.WatchService(k.cell, k.ns, k.svc)
	}
	e, err := src.AfterService(k.cell, k.ns, k.svc, notify)
	return e, nil, err
}

// readNamespace is readService of a namespace.
func readNamespace(src WatchSource, k streamKey, notify func()) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, <-chan struct{}, error) {
	if notify == nil {
		return src.WatchNamespace(k.cell, k.ns)
	}
	ns, entries, serial, err := src.AfterNamespace(k.cell, k.ns, notify)
	return ns, entries, serial, nil, err
}

// appendEvent appends one SSE event whose data is v as JSON (one line).
func appendEvent(buf []byte, id, name string, v any) []byte {
	data, err := json.Marshal(v)
	if err != nil { // our own types of strings, numbers and maps: cannot happen
		return buf
	}
	buf = append(buf, "id: "...)
	buf = append(buf, id...)
	buf = append(buf, "\nevent: "...)
	buf = append(buf, name...)
	buf = append(buf, "\ndata: "...)
	buf = append(buf, data...)
	return append(buf, "\n\n"...)
}

// flush writes the buffered events within the write timeout. A large
// buffer (a snapshot) is not kept, nor the buffer of a stream on a
// connection handed over (its events are mostly written from the group's
// shared bytes: 10,000 idle buffers would be megabytes).
func (s *stream) flush() error {
	err := s.out.write(s.buf, time.Now().Add(s.h.ext.writeTimeout))
	if _, adopted := s.out.(connSink); adopted || cap(s.buf) > 4096 {
		s.buf = nil
	} else {
		s.buf = s.buf[:0]
	}
	return err
}

func summary(e *cloudmap.ServiceEntry, ie cloudmap.InstanceEntry) watchInstance {
	return watchInstance{InstanceId: ie.Instance.Id, NamespaceName: e.Namespace.HttpName(), ServiceName: e.Service.Name,
		HealthStatus: ie.Health, Attributes: ie.Instance.Attributes}
}

// fullService is the snapshot of one service.
func fullService(e *cloudmap.ServiceEntry) watchState {
	ws := watchState{Service: e.Service.Name, InstancesRevision: e.Revision,
		Instances: make([]watchInstance, 0, len(e.Instances))}
	for _, ie := range e.Instances {
		ws.Instances = append(ws.Instances, summary(e, ie))
	}
	return ws
}

// sameInstances reports whether two entries hold the same instances with
// the same health (instances are immutable: a change is a new pointer).
func sameInstances(a, b *cloudmap.ServiceEntry) bool {
	if len(a.Instances) != len(b.Instances) {
		return false
	}
	for i := range a.Instances {
		if a.Instances[i] != b.Instances[i] {
			return false
		}
	}
	return true
}

// diffService is the change from old to cur; old nil means the service is
// new, cur nil that it is gone. Both lists are sorted by instance id.
func diffService(old, cur *cloudmap.ServiceEntry) watchService {
	var ws watchService
	var a, b []cloudmap.InstanceEntry
	if old != nil {
		a, ws.Service, ws.InstancesRevision = old.Instances, old.Service.Name, old.Revision
	}
	if cur != nil {
		b, ws.Service, ws.InstancesRevision = cur.Instances, cur.Service.Name, cur.Revision
	} else {
		ws.Deleted = true
	}
	for len(a) > 0 || len(b) > 0 {
		switch {
		case len(b) == 0 || (len(a) > 0 && a[0].Instance.Id < b[0].Instance.Id):
			ws.Removed = append(ws.Removed, a[0].Instance.Id)
			a = a[1:]
		case len(a) == 0 || b[0].Instance.Id < a[0].Instance.Id:
			ws.Changed = append(ws.Changed, summary(cur, b[0]))
			b = b[1:]
		default:
			if a[0] != b[0] {
				ws.Changed = append(ws.Changed, summary(cur, b[0]))
			}
			a, b = a[1:], b[1:]
		}
	}
	return ws
}

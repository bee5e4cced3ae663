// Package lease keeps heartbeat leases (a cloudmap extension): in a
// service with the attribute cloudmap.lease-seconds=N, an instance that is
// not renewed within N seconds (by RegisterInstance again, or
// UpdateInstanceCustomHealthStatus HEALTHY) turns UNHEALTHY, and with
// cloudmap.deregister-after-seconds=M it is deregistered M seconds later
// by an ordinary DEREGISTER_INSTANCE operation.
//
// The Keeper runs on the node that runs the operations worker (the
// leader). It learns of renewals in memory (Renew), so a renewal that
// changes nothing writes nothing durable; what it writes is only the
// expiry: one health record, then the deregistration. Renewal times are
// not stored: when a keeper starts (after a restart or a change of leader)
// every instance it finds is treated as renewed at that moment, so every
// lease gets one full period of grace; so does every instance of a service
// whose lease is turned on or changed.
package lease

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudmap/cloudmap"
)

// DefaultTick is how often the keeper looks for expired leases.
const DefaultTick = time.Second

// Source lists the services with leases (the view implements it).
type Source interface {
	LeasedServices() []*cloudmap.ServiceEntry
}

// Registry is what the keeper writes through (the registry implements it).
type Registry interface {
	SetHealth(ctx context.Context, serviceID, instanceID string, status cloudmap.HealthStatus) (bool, error)
	DeregisterInstance(ctx context.Context, in *cloudmap.InstanceInput) (*cloudmap.OperationOutput, error)
}

// Config configures a Keeper.
type Config struct {
	// Tick is how often leases are checked (and forwarded renewals
	// written); 0 means DefaultTick. A lease expires at most one tick late.
	Tick   time.Duration
	Logger *slog.Logger
	// Store, when set, carries the renewals nodes that do not lead receive
	// to the leader (forward.go); nil: renewals count only on the node
	// that runs the keeper.
	Store cloudmap.Store
}

// Keeper expires leases. Make one with New; Renew may be called at any
// time, Run while this node leads.
type Keeper struct {
	src     Source
	reg     Registry
	tick    time.Duration
	log     *slog.Logger
	running atomic.Bool

	store cloudmap.Store
	node  string // this node's name in forwarded renewals

	mu      sync.Mutex
	gen     uint64
	insts   map[key]*instLease
	since   map[string]svcLease // by service id
	pending map[key]struct{}    // renewals to forward (not leading)
	seq     uint64
}

// svcLease is when the keeper first saw a service's current lease setting:
// turning leases on (or changing N) gives every instance a full period.
type svcLease struct {
	seconds int64
	at      time.Time
	gen     uint64
}

type key struct{ svc, inst string }

// instLease is what the keeper knows of one leased instance.
type instLease struct {
	renewed    time.Time
	gen        uint64 // the sweep that last saw the instance
	expired    bool   // marked UNHEALTHY by this keeper since its last renewal
	deregister bool   // deregistration submitted
}

// New returns a keeper of the leases src lists, writing through reg.
func New(src Source, reg Registry, cfg Config) *Keeper {
	k := &Keeper{src: src, reg: reg, tick: cfg.Tick, log: cfg.Logger, insts: map[key]*instLease{},
		since: map[string]svcLease{}, pending: map[key]struct{}{}, store: cfg.Store, node: newNodeID()}
	if k.tick <= 0 {
		k.tick = DefaultTick
	}
	if k.log == nil {
		k.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return k
}

// Renew records a renewal of an instance's lease: a successful
// RegisterInstance, or UpdateInstanceCustomHealthStatus HEALTHY. serviceID
// may be the service's ARN. It costs a map update and writes nothing; on a
// node that does not lead, the renewal is forwarded by Forward (or
// ignored without a Store).
func (k *Keeper) Renew(serviceID, instanceID string) {
	if i := strings.LastIndexByte(serviceID, '/'); i >= 0 {
		serviceID = serviceID[i+1:] // an ARN
	}
	if !k.running.Load() {
		if k.store != nil {
			k.mu.Lock()
			if len(k.pending) < maxPending {
				k.pending[key{serviceID, instanceID}] = struct{}{}
			}
			k.mu.Unlock()
		}
		return
	}
	now := time.Now()
	k.mu.Lock()
	defer k.mu.Unlock()
	if l := k.insts[key{serviceID, instanceID}]; l != nil {
		l.renewed, l.expired, l.deregister = now, false, false
		return
	}
	k.insts[key{serviceID, instanceID}] = &instLease{renewed: now, gen: k.gen}
}

// Run checks the leases every tick until ctx ends. Every instance gets a
// full lease period from the moment Run starts or first sees it.
func (k *Keeper) Run(ctx context.Context) {
	k.mu.Lock()
	clear(k.insts) // renewals seen while not leading are stale
	clear(k.since)
	k.mu.Unlock()
	k.flush(ctx) // renewals received just before leading go the same way as the others
	k.running.Store(true)
	defer k.running.Store(false)
	k.sweep(ctx) // every instance present now gets its grace from now
	t := time.NewTicker(k.tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			k.sweep(ctx)
		}
	}
}

// action is a write a sweep decided on.
type action struct {
	svc, inst  string
	deregister bool
	arn        string // the service's ARN: it names the instance's cell
}

// sweep expires the leases due and forgets instances that are gone.
func (k *Keeper) sweep(ctx context.Context) {
	now := time.Now()
	k.collect(ctx, now)
	entries := k.src.LeasedServices()
	var todo []action
	k.mu.Lock()
	k.gen++
	for _, e := range entries {
		x := e.Service.Extensions
		lease := time.Duration(x.LeaseSeconds) * time.Second
		sl, ok := k.since[e.Service.Id]
		if !ok || sl.seconds != x.LeaseSeconds {
			sl = svcLease{seconds: x.LeaseSeconds, at: now}
		}
		sl.gen = k.gen
		k.since[e.Service.Id] = sl
		for _, ie := range e.Instances {
			kk := key{e.Service.Id, ie.Instance.Id}
			l := k.insts[kk]
			if l == nil {
				l = &instLease{renewed: now} // first seen: a full period of grace
				k.insts[kk] = l
			}
			l.gen = k.gen
			late := now.Sub(l.renewed)
			if since := now.Sub(sl.at); since < late {
				late = since // the lease started later than the last renewal
			}
			if late <= lease {
				continue
			}
			if ie.Health == cloudmap.Healthy && !l.expired {
				todo = append(todo, action{svc: kk.svc, inst: kk.inst, arn: e.Service.Arn})
			}
			l.expired = true
			if x.Deregister && !l.deregister && late > lease+time.Duration(x.DeregisterAfterSeconds)*time.Second {
				l.deregister = true
				todo = append(todo, action{svc: kk.svc, inst: kk.inst, deregister: true, arn: e.Service.Arn})
			}
		}
	}
	for kk, l := range k.insts {
		if l.gen != k.gen && now.Sub(l.renewed) > time.Minute {
			delete(k.insts, kk) // gone (or renewed but never registered)
		}
	}
	for id, sl := range k.since {
		if sl.gen != k.gen {
			delete(k.since, id) // no longer leased
		}
	}
	k.mu.Unlock()
	for _, a := range todo {
		k.apply(ctx, a)
	}
}

func (k *Keeper) apply(ctx context.Context, a action) {
	if c, ok := cloudmap.CellOfARN(a.arn); ok {
		ctx = cloudmap.WithCell(ctx, c) // the registry writes in the instance's cell
	}
	if a.deregister {
		out, err := k.reg.DeregisterInstance(ctx, &cloudmap.InstanceInput{ServiceId: a.svc, InstanceId: a.inst})
		if err != nil {
			k.log.Warn("lease: deregistering an expired instance failed", "service", a.svc, "instance", a.inst, "err", err)
			k.retry(a)
			return
		}
		k.log.Info("lease: expired instance deregistered", "service", a.svc, "instance", a.inst, "operation", out.OperationId)
		return
	}
	if _, err := k.reg.SetHealth(ctx, a.svc, a.inst, cloudmap.Unhealthy); err != nil {
		k.log.Warn("lease: marking an expired instance unhealthy failed", "service", a.svc, "instance", a.inst, "err", err)
		k.retry(a)
		return
	}
	k.log.Info("lease: lease expired, instance unhealthy", "service", a.svc, "instance", a.inst)
}

// retry lets the next sweep try a failed write again.
func (k *Keeper) retry(a action) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if l := k.insts[key{a.svc, a.inst}]; l != nil {
		if a.deregister {
			l.deregister = false
		} else {
			l.expired = false
		}
	}
}

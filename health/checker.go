package health

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/cloudmap/cloudmap"
)

// Targets is the source of what to probe (the in-memory view implements it).
type Targets interface {
	// HealthTargets returns every instance of every service with a
	// HealthCheckConfig.
	HealthTargets() []cloudmap.HealthTarget
	// Notify returns a channel closed at the next applied change; call it
	// again after it fires.
	Notify() <-chan struct{}
}

// Sink records status changes (the registry implements it).
type Sink interface {
	// SetHealth stores an instance's status and reports whether it changed.
	SetHealth(ctx context.Context, serviceID, instanceID string, status cloudmap.HealthStatus) (changed bool, err error)
}

// Stats are a Checker's counters since New. Counts are cumulative across
// Start and Stop; Targets and InFlight are current.
type Stats struct {
	// Targets is the number of targets scheduled; Unhealthy the part of
	// them whose status is UNHEALTHY.
	Targets, Unhealthy int
	// InFlight is the number of probes running.
	InFlight int
	// Probes counts completed probes; Passed and Failed split them.
	Probes, Passed, Failed uint64
	// LateRounds counts probes started more than half an interval after
	// they were due; LatePassing is the part of them whose target passed
	// its previous probe.
	LateRounds, LatePassing uint64
	// Skipped counts rounds not started because the target's previous probe
	// was still in flight.
	Skipped uint64
	// Blocked counts probes not sent because the address may not be probed
	// (they count as failed).
	Blocked uint64
	// LocalErrors counts probes that failed for a local reason (out of file
	// descriptors, buffers or ports): not results, not in Probes.
	LocalErrors uint64
	// Discarded counts results of targets removed while being probed.
	Discarded uint64
	// Writes counts Sink.SetHealth calls, Changes those that reported a
	// change, WriteErrors those that failed.
	Writes, Changes, WriteErrors uint64
}

// Checker probes every target at a fixed interval and writes status changes
// to a Sink. It can be started and stopped any number of times, so that in a
// cluster only the leader runs it.
type Checker struct {
	targets Targets
	sink    Sink
	cfg     Config
	policy  *policy

	runMu  sync.Mutex // serialises Start and Stop
	cancel context.CancelFunc
	wg     sync.WaitGroup // scheduler, watcher and probe goroutines

	// wake tells the scheduler that targets changed or a slot freed.
	wake chan struct{}

	mu sync.Mutex
	sched
	stats        Stats
	lastLocalLog time.Time // last warning about a local error
}

// New returns a stopped Checker over t and s.
func New(t Targets, s Sink, cfg Config) *Checker {
	cfg = cfg.withDefaults()
	return &Checker{targets: t, sink: s, cfg: cfg, policy: newPolicy(cfg), wake: make(chan struct{}, 1)}
}

// Start loads the targets and starts probing them until Stop is called or
// ctx is done. It fails when the Checker is already running; after ctx is
// done, call Stop before starting again.
func (c *Checker) Start(ctx context.Context) error {
	if c.targets == nil || c.sink == nil {
		return errors.New("health: start: Targets and Sink are required")
	}
	c.runMu.Lock()
	defer c.runMu.Unlock()
	if c.cancel != nil {
		return errors.New("health: start: already running")
	}
	ctx, cancel := context.WithCancel(ctx)
	c.cancel = cancel
	c.mu.Lock()
	c.sched = newSched(ctx)
	c.mu.Unlock()
	notify := c.targets.Notify()
	c.sync()
	c.wg.Add(2)
	go c.schedule(ctx)
	go c.watch(ctx, notify)
	c.cfg.Logger.Info("health checker started", "targets", c.Stats().Targets,
		"interval", c.cfg.Interval, "concurrency", c.cfg.Concurrency)
	return nil
}

// Stop stops the scheduler, cancels the probes in flight and waits for every
// goroutine of the Checker to end. Results of cancelled probes are dropped.
// Stop on a stopped Checker does nothing.
func (c *Checker) Stop() {
	c.runMu.Lock()
	defer c.runMu.Unlock()
	if c.cancel == nil {
		return
	}
	c.cancel()
	c.wg.Wait()
	c.cancel = nil
	c.mu.Lock()
	c.sched.clear()
	c.mu.Unlock()
	c.cfg.Logger.Info("health checker stopped")
}

// Stats returns the current counters.
func (c *Checker) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Targets = len(c.byKey)
	for _, t := range c.byKey {
		if t.st.status == cloudmap.Unhealthy {
			s.Unhealthy++
		}
	}
	s.InFlight = c.inFlight
	return s
}

// signal wakes the scheduler without blocking.
func (c *Checker) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Package embed wires cloudmap together: the store (bbolt or etcd), the
// in-memory view, the registry and its operations worker, the health
// checker, the AWS API and the DNS server. cmd/cloudmap and the tests start
// a server with Start.
package embed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/auth"
	"github.com/cloudmap/cloudmap/awsapi"
	"github.com/cloudmap/cloudmap/bolt"
	"github.com/cloudmap/cloudmap/connlimit"
	"github.com/cloudmap/cloudmap/dnsserver"
	"github.com/cloudmap/cloudmap/etcd"
	"github.com/cloudmap/cloudmap/health"
	"github.com/cloudmap/cloudmap/lease"
	"github.com/cloudmap/cloudmap/metrics"
	"github.com/cloudmap/cloudmap/registry"
	"github.com/cloudmap/cloudmap/view"
)

// Server is a running cloudmap node.
type Server struct {
	cfg   Config
	log   *slog.Logger
	store cloudmap.Store
	view  *view.View
	reg   *registry.Registry
	check *health.Checker
	lease *lease.Keeper
	auth  *auth.Authorizer
	certs *auth.CertReloader
	api   *http.Server
	apiLn net.Listener
	// resumer gives the API server back the connections of answered
	// long-polls.
	resumer *awsapi.Resumer
	conns   *connlimit.Limiter
	dns     *dnsserver.Server
	scheme  string

	metrics *metrics.Metrics // nil without an admin listener
	admin   *http.Server
	adminLn net.Listener
	apiUp   atomic.Bool // the API server is serving
	dnsUp   atomic.Bool // the DNS server is serving

	leading atomic.Bool // this node runs the worker and the checker

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closeMu sync.Mutex
	closed  bool
}

// api joins the control plane (registry) and the data plane (view).
type api struct {
	cloudmap.ControlPlane
	cloudmap.DataPlane
}

// Start opens the store, builds the view, and starts the API, DNS, the
// operations worker and the health checker. It returns once every listener
// is bound and the view has caught up with the store.
func Start(ctx context.Context, cfg Config) (_ *Server, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if err := s.checkAuthPolicy(); err != nil {
		return nil, err
	}
	if err := s.checkAdminPolicy(); err != nil {
		return nil, err
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	s.store = store
	s.newMetrics()
	s.view = view.New(s.store, log.With("component", "view"))
	if err := s.view.Start(ctx); err != nil {
		return nil, fmt.Errorf("view: %w", err)
	}
	if bs, ok := s.store.(*bolt.Store); ok {
		// Opening bbolt and loading the view read the whole file once:
		// keep resident only what is read from now on.
		if err := bs.ReleasePages(); err != nil {
			log.Warn("releasing the data file's pages", "err", err)
		}
	}
	regStore := s.store
	if s.metrics != nil {
		regStore = s.metrics.Store.Wrap(s.store)
	}
	s.reg = registry.New(regStore, registry.Config{
		Region: cfg.Region, AccountID: cfg.AccountID, Logger: log.With("component", "registry"),
		WaitApplied: s.view.WaitFor, MaxNamespaces: cfg.MaxNamespaces,
		MaxServices: cfg.MaxServices, MaxInstancesPerService: cfg.MaxInstancesPerService,
		MaxBatch: maxBatch(s.store), OperationDelay: cfg.OperationDelay, Finished: s.finished(),
		DeclaredVPC:         func(id string) bool { _, ok := cfg.VPCs[id]; return ok },
		HealthChecksPrivate: cfg.HealthChecksPrivate,
	})
	s.check = health.New(s.view, s.reg, health.Config{
		Interval: cfg.HealthCheckInterval, Concurrency: cfg.HealthCheckConcurrency,
		Allow: cfg.HealthCheckAllow, Deny: cfg.HealthCheckDeny,
		Logger: log.With("component", "health"), Observe: s.probeObserver(),
	})
	s.lease = lease.New(s.view, s.reg, lease.Config{Logger: log.With("component", "lease"), Store: s.store})
	if err := s.startAPI(); err != nil {
		return nil, err
	}
	if err := s.startDNS(); err != nil {
		return nil, err
	}
	s.registerGauges()
	if err := s.startAdmin(); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(1)
	go s.lead(runCtx)
	s.forwardRenewals(runCtx)
	log.Info("cloudmap ready", "api", s.APIURL(), "dns", s.DNSAddr(), "admin", s.AdminAddr(),
		"store", s.storeName(), "auth", s.authMode(),
		"default_cell", cfg.AccountID+"/"+cfg.Region, "regions", regionsServed(cfg.Regions), "vpcs", len(cfg.VPCs))
	return s, nil
}

// regionsServed describes --regions for the start-up log.
func regionsServed(regions []string) string {
	if len(regions) == 0 {
		return "*"
	}
	return strings.Join(regions, ",")
}

// openStore opens the configured store. On failure it returns a nil
// interface, never a typed nil pointer, so that Close skips it.
func openStore(ctx context.Context, cfg Config, log *slog.Logger) (cloudmap.Store, error) {
	switch {
	case len(cfg.EtcdEndpoints) > 0:
		ecfg := etcdConfig(cfg)
		ecfg.Logger = log.With("component", "etcd")
		st, err := etcd.Open(ctx, ecfg)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		return st, nil
	default:
		st, err := bolt.Open(cfg.DataDir, log.With("component", "bolt"))
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		return st, nil
	}
}

// etcdConfig is the etcd store configuration of cfg.
func etcdConfig(cfg Config) etcd.Config {
	return etcd.Config{
		Endpoints: cfg.EtcdEndpoints, Prefix: cfg.EtcdPrefix,
		CertFile: cfg.EtcdCert, KeyFile: cfg.EtcdKey, CAFile: cfg.EtcdCA,
		Username: cfg.EtcdUsername, Password: cfg.EtcdPassword,
		RequestTimeout: cfg.EtcdRequestTimeout, MaxTxnOps: cfg.EtcdMaxTxnOps,
		Logger: cfg.Logger,
	}
}

// maxBatch is the operations worker's batch: what fits in one etcd
// transaction on etcd, the registry's default otherwise.
func maxBatch(store cloudmap.Store) int {
	if es, ok := store.(*etcd.Store); ok {
		return registry.BatchForTxnOps(es.MaxTxnOps())
	}
	return 0
}

// storeKind is "etcd" or "bolt".
func (s *Server) storeKind() string {
	if len(s.cfg.EtcdEndpoints) > 0 {
		return "etcd"
	}
	return "bolt"
}

func (s *Server) storeName() string {
	if len(s.cfg.EtcdEndpoints) > 0 {
		return "etcd " + strings.Join(s.cfg.EtcdEndpoints, ",")
	}
	return "bolt " + s.cfg.DataDir
}

// lead runs the operations worker and the health checker while this node
// leads: always with the embedded store, after winning the election on etcd.
func (s *Server) lead(ctx context.Context) {
	defer s.wg.Done()
	campaign := func(ctx context.Context) (context.Context, error) { return ctx, nil }
	if es, ok := s.store.(*etcd.Store); ok {
		campaign = es.NewElector("leader", s.cfg.LeaderTTL).Campaign
	}
	for ctx.Err() == nil {
		lctx, err := campaign(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("leader election failed", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		s.log.Info("leading: running the operations worker and the health checker")
		s.runLeader(lctx)
		if ctx.Err() == nil {
			s.log.Warn("leadership lost")
		}
	}
}

func (s *Server) runLeader(ctx context.Context) {
	s.leading.Store(true)
	defer s.leading.Store(false)
	if err := s.check.Start(ctx); err != nil {
		s.log.Error("health checker did not start", "err", err)
	}
	defer s.runLeases(ctx)()
	pruned := make(chan struct{})
	go func() {
		defer close(pruned)
		s.prune(ctx)
	}()
	defer func() { <-pruned }()
	for ctx.Err() == nil { // the worker only ends early when its feed does
		if err := s.reg.RunWorker(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("operations worker stopped; restarting it", "err", err)
			sleep(ctx, time.Second)
		}
	}
	s.check.Stop()
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Leading reports whether this node currently runs the operations worker
// and the health checker: always with the embedded store, while it holds the
// leadership on etcd.
func (s *Server) Leading() bool { return s.leading.Load() }

// APIURL is the base URL of the API, for example http://127.0.0.1:8080.
func (s *Server) APIURL() string {
	if s.apiLn == nil {
		return ""
	}
	return s.scheme + "://" + s.apiLn.Addr().String()
}

// DNSAddr is the address the DNS server answers on (UDP and TCP), or "".
func (s *Server) DNSAddr() string {
	if s.dns == nil {
		return ""
	}
	return s.dns.UDPAddr().String()
}

// Store returns the server's store (for tests and tools).
func (s *Server) Store() cloudmap.Store { return s.store }

// Reload re-reads the credentials file and the TLS certificate (SIGHUP).
func (s *Server) Reload() error {
	var errs []error
	if s.cfg.CredentialsFile != "" && s.auth != nil {
		if err := s.auth.Reload(func() ([]auth.Key, error) { return loadKeys(s.cfg) }); err != nil {
			errs = append(errs, err)
		}
	}
	if s.certs != nil {
		if err := s.certs.Reload(); err != nil {
			errs = append(errs, err)
		} else {
			s.log.Info("tls certificate reloaded")
		}
	}
	return errors.Join(errs...)
}

// CredentialsReload reports what the reloads of the credentials file did:
// a failed one keeps the previous keys (for metrics and readiness).
func (s *Server) CredentialsReload() auth.ReloadState {
	if s.auth == nil {
		return auth.ReloadState{}
	}
	return s.auth.ReloadState()
}

// Close stops accepting requests, finishes in-flight ones, stops the
// worker and the checker, and closes the store. It is safe to call twice.
func (s *Server) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.api != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := s.api.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("api shutdown: %w", err))
		}
		cancel()
	} else if s.apiLn != nil {
		s.apiLn.Close()
	}
	if s.dns != nil {
		s.dnsUp.Store(false)
		errs = append(errs, s.dns.Close())
	}
	if s.admin != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := s.admin.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("admin shutdown: %w", err))
		}
		cancel()
	}
	if s.cancel != nil {
		s.cancel()
		s.wg.Wait()
	}
	if s.view != nil {
		errs = append(errs, s.view.Close())
	}
	if s.store != nil {
		errs = append(errs, s.store.Close())
	}
	return errors.Join(errs...)
}

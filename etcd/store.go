// Package etcd is the cloudmap.Store on an etcd cluster: keys live under one
// prefix, the store revision is etcd's revision, transactions are etcd
// transactions that compare the revisions of what they read (and retry on
// conflict), and the change feed is an etcd watch. It also elects the one
// node that runs the operations worker and fences that node's writes.
package etcd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/cloudmap/cloudmap"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	grpcbackoff "google.golang.org/grpc/backoff"
)

// Defaults of Config.
const (
	DefaultPrefix         = "/cloudmap/"
	DefaultDialTimeout    = 5 * time.Second
	DefaultRequestTimeout = 5 * time.Second
	DefaultMaxTxnOps      = 128 // etcd's default --max-txn-ops
)

// Config is how to reach etcd and where cloudmap's keys live.
type Config struct {
	// Endpoints are the etcd client endpoints (host:port or URLs).
	Endpoints []string
	// Prefix is prepended to every key; default "/cloudmap/".
	Prefix string
	// CertFile, KeyFile and CAFile switch the connection to TLS.
	CertFile, KeyFile, CAFile string
	// Username and Password authenticate to etcd.
	Username, Password string
	// DialTimeout bounds connecting at Open; default 5 s.
	DialTimeout time.Duration
	// RequestTimeout bounds every View, Update and Revision call, so that
	// an unreachable etcd fails writes fast; default 5 s.
	RequestTimeout time.Duration
	// MaxTxnOps is the etcd server's --max-txn-ops; default 128. A
	// transaction whose read set needs more compares falls back to one
	// compare over the whole prefix.
	MaxTxnOps int
	// Logger receives the store's log lines; nil discards them.
	Logger *slog.Logger
}

// Store is a cloudmap.Store on etcd. Make it with Open.
type Store struct {
	cli     *clientv3.Client
	prefix  string
	timeout time.Duration
	maxOps  int
	log     *slog.Logger

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // watch goroutines

	mu       sync.Mutex
	closed   bool
	electors []*Elector
	wanted   int64         // highest revision handed to a caller
	wantc    chan struct{} // closed and replaced when wanted grows
}

var _ cloudmap.Store = (*Store)(nil)

// errClosed is returned by every call on a closed store.
var errClosed = errors.New("etcd: store closed")

// Open connects to etcd and checks that it answers.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, errors.New("etcd: open: no endpoints")
	}
	cfg = withDefaults(cfg)
	tlsCfg, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   cfg.Endpoints,
		DialTimeout: cfg.DialTimeout,
		TLS:         tlsCfg,
		Username:    cfg.Username,
		Password:    cfg.Password,
		Logger:      zap.NewNop(),
		// Reconnect within about a second of etcd coming back.
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           grpcbackoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: cfg.DialTimeout,
		})},
		Context: context.WithoutCancel(ctx),
	})
	if err != nil {
		return nil, fmt.Errorf("etcd: connect %s: %w", strings.Join(cfg.Endpoints, ","), err)
	}
	s := &Store{
		cli: cli, prefix: cfg.Prefix, timeout: cfg.RequestTimeout, maxOps: cfg.MaxTxnOps,
		log: cfg.Logger, wantc: make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if _, err := s.Revision(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("etcd: open %s: %w", strings.Join(cfg.Endpoints, ","), err)
	}
	s.log.Info("etcd store open", "endpoints", strings.Join(cfg.Endpoints, ","), "prefix", s.prefix)
	return s, nil
}

func withDefaults(cfg Config) Config {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.MaxTxnOps <= 0 {
		cfg.MaxTxnOps = DefaultMaxTxnOps
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return cfg
}

func tlsConfig(cfg Config) (*tls.Config, error) {
	if cfg.CertFile == "" && cfg.KeyFile == "" && cfg.CAFile == "" {
		return nil, nil
	}
	info := transport.TLSInfo{CertFile: cfg.CertFile, KeyFile: cfg.KeyFile, TrustedCAFile: cfg.CAFile}
	c, err := info.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("etcd: tls config: %w", err)
	}
	return c, nil
}

// Prefix returns the prefix every key of the store lives under.
func (s *Store) Prefix() string { return s.prefix }

// MaxTxnOps returns the most operations one etcd transaction may hold; a
// caller writing more keys than that in one Update gets an error from etcd.
func (s *Store) MaxTxnOps() int { return s.maxOps }

// Revision returns etcd's current revision. It is etcd's, so it also counts
// commits outside the prefix; Watch reports such progress as a Change
// without events.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	ctx, cancel, err := s.callCtx(ctx)
	if err != nil {
		return 0, err
	}
	defer cancel()
	resp, err := s.cli.Get(ctx, s.prefix, clientv3.WithCountOnly())
	if err != nil {
		return 0, fmt.Errorf("etcd: revision: %w", err)
	}
	rev := resp.Header.Revision
	s.want(rev)
	return rev, nil
}

// callCtx bounds one call by the request timeout and the store's life.
func (s *Store) callCtx(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if s.isClosed() {
		return nil, nil, errClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() { stop(); cancel() }, nil
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// want records that a caller was handed rev, so that watches confirm they
// have passed it even when nothing under the prefix changed up to rev.
func (s *Store) want(rev int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rev > s.wanted {
		s.wanted = rev
		close(s.wantc)
		s.wantc = make(chan struct{})
	}
}

// wantState returns the highest revision handed out and a channel closed
// when it grows.
func (s *Store) wantState() (int64, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wanted, s.wantc
}

// Close resigns every leadership, ends every watch and disconnects.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	electors := s.electors
	s.mu.Unlock()
	for _, e := range electors {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if err := e.Resign(ctx); err != nil {
			s.log.Warn("etcd: resign at close", "election", e.name, "err", err)
		}
		cancel()
	}
	s.cancel()
	s.wg.Wait()
	if err := s.cli.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("etcd: close: %w", err)
	}
	return nil
}

// full returns the etcd key of a store key.
func (s *Store) full(key string) string { return s.prefix + key }

// short returns the store key of an etcd key, and false when it is not under
// the prefix.
func (s *Store) short(key []byte) (string, bool) {
	return strings.CutPrefix(string(key), s.prefix)
}

// LeaderKnown returns nil when one of the etcd endpoints answers a status
// request naming a cluster leader, and an error saying what failed
// otherwise (readiness).
func (s *Store) LeaderKnown(ctx context.Context) error {
	var errs []error
	for _, ep := range s.cli.Endpoints() {
		st, err := s.cli.Status(ctx, ep)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", ep, err))
		case st.Leader == 0:
			errs = append(errs, fmt.Errorf("%s: no leader", ep))
		default:
			return nil
		}
	}
	return fmt.Errorf("etcd: no leader known: %w", errors.Join(errs...))
}

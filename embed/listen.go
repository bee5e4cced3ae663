package embed

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cloudmap/cloudmap/auth"
	"github.com/cloudmap/cloudmap/awsapi"
	"github.com/cloudmap/cloudmap/connlimit"
	"github.com/cloudmap/cloudmap/dnsserver"
)

// checkAuthPolicy refuses to serve unsigned requests beyond loopback.
func (s *Server) checkAuthPolicy() error {
	if s.hasKeys() || s.cfg.InsecureNoAuth {
		return nil
	}
	for _, addr := range []string{s.cfg.APIAddr, s.cfg.DNSAddr} {
		if addr != "" && !auth.IsLoopback(addr) {
			return fmt.Errorf("refusing to listen on %s without credentials: configure "+
				"--credentials-file or CLOUDMAP_ACCESS_KEY_ID/CLOUDMAP_SECRET_ACCESS_KEY, "+
				"or pass --insecure-no-auth", addr)
		}
	}
	return nil
}

func (s *Server) hasKeys() bool {
	return s.cfg.CredentialsFile != "" || s.cfg.AccessKeyID != ""
}

func (s *Server) authMode() string {
	switch {
	case s.hasKeys():
		return "sigv4"
	case s.cfg.InsecureNoAuth:
		return "none (insecure: --insecure-no-auth)"
	default:
		return "none (unsigned requests accepted on loopback only)"
	}
}

// loadKeys reads the configured credentials: the file plus the single key
// from the environment.
func loadKeys(cfg Config) ([]auth.Key, error) {
	var keys []auth.Key
	if cfg.CredentialsFile != "" {
		k, err := auth.LoadCredentialsFile(cfg.CredentialsFile)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k...)
	}
	if cfg.AccessKeyID != "" {
		keys = append(keys, auth.Key{Name: "env", AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey})
	}
	return keys, nil
}

func (s *Server) startAPI() error {
	keys, err := loadKeys(s.cfg)
	if err != nil {
		return err
	}
	s.auth = auth.New(auth.Config{
		Region: s.cfg.Region, AccountID: s.cfg.AccountID, Regions: s.cfg.Regions,
		Service: "servicediscovery", Keys: keys,
		RateLimit: s.cfg.RateLimit, Resolver: s.view, Logger: s.log.With("component", "auth"),
	})
	g := &guard{store: s.store, name: s.storeKind(), log: s.log.With("component", "api")}
	waitCtx, endWaits := context.WithCancel(context.Background()) // long-polls and watches end at shutdown
	s.resumer = awsapi.NewResumer()                               // answered long-polls keep their connection (listenAPI wraps the listener)
	handler := awsapi.NewHandler(api{renewing{s.reg, s.lease}, s.view}, awsapi.Config{
		Logger: s.log.With("component", "api"), Authorizer: s.auth,
		Waiter: s.view, Watch: s.view, Shutdown: waitCtx, BodyTimeout: apiReadTimeout, Resumer: s.resumer,
		Hooks: append(s.apiHooks(), g.hook),
	})
	if err := s.listenAPI(handler, endWaits); err != nil {
		endWaits()
		return err
	}
	return nil
}

// apiReadTimeout bounds the time to read a request (its headers and body);
// a slow body read off net/http (awsapi's BodyTimeout) has the same bound.
const apiReadTimeout = 30 * time.Second

// listenAPI binds the API listener and serves handler on it; endWaits is
// called when the server shuts down.
func (s *Server) listenAPI(handler http.Handler, endWaits func()) error {
	ln, err := net.Listen("tcp", s.cfg.APIAddr)
	if err != nil {
		return fmt.Errorf("api: listen on %s: %w", s.cfg.APIAddr, err)
	}
	s.conns = connlimit.New(connlimit.Config{Max: s.cfg.MaxConnections, PerClient: s.cfg.MaxConnectionsPerClient})
	ln = s.conns.Listener(ln)
	s.scheme = "http"
	s.api = &http.Server{
		Handler:           admitted(s.conns, s.withRoute53(handler)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       apiReadTimeout,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ConnState: func(c net.Conn, st http.ConnState) {
			s.conns.ConnState(c, st)
			s.resumer.ConnState(c, st)
		},
		ConnContext: s.conns.ConnContext,
		ErrorLog:    slog.NewLogLogger(s.log.With("component", "http").Handler(), slog.LevelDebug),
	}
	s.api.RegisterOnShutdown(endWaits)
	if s.cfg.TLSCert != "" {
		s.certs, err = auth.NewCertReloader(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("tls: %w", err)
		}
		s.api.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: s.certs.GetCertificate}
		ln = tls.NewListener(ln, s.api.TLSConfig)
		s.scheme = "https"
	}
	if s.resumer != nil {
		ln = s.resumer.Listener(ln)
	}
	s.apiLn = ln
	s.apiUp.Store(true)
	go func() {
		err := s.api.Serve(ln)
		s.apiUp.Store(false)
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("api server stopped", "err", err)
		}
	}()
	return nil
}

func (s *Server) startDNS() error {
	if s.cfg.DNSAddr == "" {
		return nil
	}
	dcfg := dnsserver.Config{
		Addr: s.cfg.DNSAddr, PrivateCIDRs: s.cfg.DNSPrivateCIDRs, VPCs: s.cfg.VPCs, RateLimit: dnsRateLimit(s.cfg),
		NameServers: s.cfg.DNSNameServers, Logger: s.log.With("component", "dns"),
	}
	if s.metrics != nil {
		dcfg.Observer = s.metrics.DNS
	}
	s.dns = dnsserver.New(s.view, dcfg)
	if err := s.dns.Start(); err != nil {
		s.dns = nil
		return fmt.Errorf("dns: %w", err)
	}
	s.dnsUp.Store(true)
	return nil
}

// admitted answers the requests of connections over a connection cap with
// 503 ServiceUnavailable (which the SDKs retry) and closes them; the others
// go to next.
func admitted(lim *connlimit.Limiter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := lim.Admit(r); err != nil {
			w.Header().Set("Connection", "close")
			awsapi.WriteError(w, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// dnsRateLimit is the DNS response rate limit in force: the configured one,
// or by default dnsserver.DefaultRateLimit when DNS listens beyond loopback
// (where an answer larger than the query could be aimed at a spoofed
// source), and none on loopback.
func dnsRateLimit(cfg Config) int {
	switch {
	case cfg.DNSRateLimit > 0:
		return cfg.DNSRateLimit
	case cfg.DNSRateLimit < 0 || auth.IsLoopback(cfg.DNSAddr):
		return 0
	}
	return dnsserver.DefaultRateLimit
}

// CheckDataDir reports whether dir can be created and written, for a clear
// error before anything starts.
func CheckDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data dir %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("data dir %s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(strings.TrimSpace(name))
}

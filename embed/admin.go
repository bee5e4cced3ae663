package embed

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/cloudmap/cloudmap/auth"
	"github.com/cloudmap/cloudmap/bolt"
	"github.com/cloudmap/cloudmap/etcd"
)

// readyTimeout bounds each readiness check that asks the store.
const readyTimeout = 2 * time.Second

// checkAdminPolicy refuses an admin listener beyond loopback without a
// token, as the API refuses to listen there without keys.
func (s *Server) checkAdminPolicy() error {
	if s.cfg.AdminAddr != "" && s.cfg.AdminToken == "" && !auth.IsLoopback(s.cfg.AdminAddr) {
		return fmt.Errorf("refusing to serve the admin listener on %s without a token: pass --admin-token "+
			"(or CLOUDMAP_ADMIN_TOKEN), or listen on loopback", s.cfg.AdminAddr)
	}
	return nil
}

// startAdmin serves the admin endpoints on cfg.AdminAddr: /metrics,
// /healthz, /readyz, /backup and, with Pprof, /debug/pprof/.
func (s *Server) startAdmin() error {
	if s.cfg.AdminAddr == "" {
		return nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", s.serveReady)
	mux.Handle("GET /metrics", s.requireToken(s.metrics.Handler()))
	mux.Handle("GET /backup", s.requireToken(http.HandlerFunc(s.serveBackup)))
	if s.cfg.Pprof {
		mux.Handle("/debug/pprof/", s.requireToken(http.HandlerFunc(pprof.Index)))
		mux.Handle("/debug/pprof/cmdline", s.requireToken(http.HandlerFunc(pprof.Cmdline)))
		mux.Handle("/debug/pprof/profile", s.requireToken(http.HandlerFunc(pprof.Profile)))
		mux.Handle("/debug/pprof/symbol", s.requireToken(http.HandlerFunc(pprof.Symbol)))
		mux.Handle("/debug/pprof/trace", s.requireToken(http.HandlerFunc(pprof.Trace)))
	}
	ln, err := net.Listen("tcp", s.cfg.AdminAddr)
	if err != nil {
		return fmt.Errorf("admin: listen on %s: %w", s.cfg.AdminAddr, err)
	}
	s.adminLn = ln
	s.admin = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.With("component", "admin").Handler(), slog.LevelDebug),
	}
	go func() {
		if err := s.admin.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("admin server stopped", "err", err)
		}
	}()
	return nil
}

// AdminAddr is the address the admin listener is bound to, or "".
func (s *Server) AdminAddr() string {
	if s.adminLn == nil {
		return ""
	}
	return s.adminLn.Addr().String()
}

// requireToken answers 401 to a request without the admin bearer token,
// when one is configured. /healthz and /readyz stay open to probes.
func (s *Server) requireToken(h http.Handler) http.Handler {
	if s.cfg.AdminToken == "" {
		return h
	}
	want := []byte("Bearer " + s.cfg.AdminToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cloudmap admin"`)
			http.Error(w, "401 unauthorized: this endpoint needs Authorization: Bearer <admin token>", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// serveReady answers 200 "ready" when every readiness check passes, and
// 503 with one line per failing check otherwise.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	failed := s.Ready(r.Context())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if len(failed) == 0 {
		fmt.Fprintln(w, "ready")
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	for _, f := range failed {
		fmt.Fprintln(w, f)
	}
}

// Ready runs the readiness checks and returns one line per failing check:
// the store answers, the view has applied the store's revision, the API
// and DNS listeners serve, and on etcd a leader is known. None means ready.
func (s *Server) Ready(ctx context.Context) []string {
	var failed []string
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	rev, err := s.store.Revision(ctx)
	if err != nil {
		failed = append(failed, "store: not answering: "+oneLine(err))
	} else if applied := s.view.Applied(); applied < rev {
		// The view may be a commit or two behind under writes: give it
		// a moment before calling it lagging.
		wctx, wcancel := context.WithTimeout(ctx, time.Second)
		err := s.view.WaitFor(wctx, rev)
		wcancel()
		if err != nil {
			failed = append(failed, fmt.Sprintf("view: applied revision %d is behind the store's revision %d",
				s.view.Applied(), rev))
		}
	}
	if !s.apiUp.Load() {
		failed = append(failed, "api: listener not serving")
	}
	if s.cfg.DNSAddr != "" && (s.dns == nil || !s.dnsUp.Load()) {
		failed = append(failed, "dns: listener not serving")
	}
	if es, ok := s.store.(*etcd.Store); ok {
		if err := es.LeaderKnown(ctx); err != nil {
			failed = append(failed, "etcd: "+oneLine(err))
		}
	}
	return failed
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// serveBackup streams a consistent copy of the embedded store, taken in
// one read transaction while writes continue; the X-Cloudmap-Revision
// trailer carries its revision.
func (s *Server) serveBackup(w http.ResponseWriter, r *http.Request) {
	bs, ok := s.store.(*bolt.Store)
	if !ok {
		http.Error(w, "501 backup through the admin listener is for the embedded store; on etcd use "+
			"`etcdctl snapshot save` or `cloudmap export --etcd-endpoints ...`", http.StatusNotImplemented)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="cloudmap-backup.db"`)
	w.Header().Set("Trailer", "X-Cloudmap-Revision")
	start := time.Now()
	rev, n, err := bs.Backup(w)
	if err != nil {
		// Headers are gone; a truncated body is what the client sees,
		// and restore refuses a truncated file.
		s.log.Error("backup failed", "err", err, "bytes", n)
		panic(http.ErrAbortHandler)
	}
	w.Header().Set("X-Cloudmap-Revision", strconv.FormatInt(rev, 10))
	s.log.Info("backup served", "revision", rev, "bytes", n, "took", time.Since(start).Round(time.Millisecond))
}

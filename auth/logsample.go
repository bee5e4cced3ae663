package auth

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/cloudmap/cloudmap"
)

// RejectLogInterval is the least time between two INFO lines about rejected
// requests. Every rejection is logged at DEBUG; at INFO one line per
// interval carries the count of those suppressed since the previous one,
// so that a client sending garbage cannot flood the log.
const RejectLogInterval = time.Second

// sampler lets one event through per RejectLogInterval and counts the rest.
type sampler struct {
	mu         sync.Mutex
	next       time.Time
	suppressed int
}

// take reports whether an event at now may be logged at INFO, and how many
// were suppressed before it.
func (s *sampler) take(now time.Time) (bool, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Before(s.next) {
		s.suppressed++
		return false, 0
	}
	n := s.suppressed
	s.next, s.suppressed = now.Add(RejectLogInterval), 0
	return true, n
}

// logRejected logs a refused request: at INFO when the sampler allows it
// (with the number suppressed since the last INFO line), else at DEBUG.
// Never a secret or a signature.
func (a *Authorizer) logRejected(msg, operation string, r *http.Request, err error, extra ...any) {
	ok, suppressed := a.rejectLog.take(a.now())
	level := slog.LevelDebug
	if ok {
		level = slog.LevelInfo
	}
	if !a.log.Enabled(context.Background(), level) {
		return
	}
	args := append([]any{"op", operation, "remote", r.RemoteAddr, "code", cloudmap.ErrorCode(err),
		"reason", cloudmap.ErrorMessage(err)}, extra...)
	if ok && suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	a.log.Log(context.Background(), level, msg, args...)
}

package auth

import (
	"sync"
	"time"
)

// ReloadState is what the last reloads of the keys did (on SIGHUP): a
// failed reload keeps the previous keys, so a key removed in the same edit
// stays valid until a reload succeeds. Metrics and readiness report it.
type ReloadState struct {
	// LastError is the error of the last reload, nil when it succeeded
	// (or none was attempted).
	LastError error
	// LastFailure is the time of the last failed reload.
	LastFailure time.Time
	// LastSuccess is the time of the last successful reload.
	LastSuccess time.Time
	// Failures counts failed reloads since New.
	Failures uint64
}

// reloadState guards a ReloadState.
type reloadState struct {
	mu sync.Mutex
	st ReloadState
}

// Reload replaces the keys with those load returns. When load fails the
// previous keys stay in force, the failure is logged at ERROR (it says that
// keys removed in the edit are still accepted) and recorded for
// ReloadState; the error is returned.
func (a *Authorizer) Reload(load func() ([]Key, error)) error {
	keys, err := load()
	now := a.now()
	a.reload.mu.Lock()
	defer a.reload.mu.Unlock()
	if err != nil {
		a.reload.st.LastError, a.reload.st.LastFailure = err, now
		a.reload.st.Failures++
		a.log.Error("credentials reload failed: the previous keys stay in force, including any removed in the edit",
			"err", err, "failures", a.reload.st.Failures)
		return err
	}
	a.SetKeys(keys)
	a.reload.st.LastError, a.reload.st.LastSuccess = nil, now
	a.log.Info("credentials reloaded", "keys", len(keys))
	return nil
}

// ReloadState returns what the last reloads did.
func (a *Authorizer) ReloadState() ReloadState {
	a.reload.mu.Lock()
	defer a.reload.mu.Unlock()
	return a.reload.st
}

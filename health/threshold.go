package health

import "github.com/cloudmap/cloudmap"

// state is one target's status and its run of results the other way.
//
// Route 53 changes the status of a check after FailureThreshold consecutive
// results that disagree with it; a result that agrees resets the count
// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html).
// From UNKNOWN the first FailureThreshold consecutive equal results decide.
type state struct {
	status cloudmap.HealthStatus
	// toward is the status the current run of results points to.
	toward cloudmap.HealthStatus
	// run counts consecutive results equal to toward.
	run int
}

// observe records one probe result and returns the new status and true when
// the run reached threshold. The caller commits the change with set once it
// is recorded; until then further results keep asking for it.
func (s *state) observe(pass bool, threshold int) (cloudmap.HealthStatus, bool) {
	r := cloudmap.Unhealthy
	if pass {
		r = cloudmap.Healthy
	}
	if r == s.status {
		s.run = 0
		return s.status, false
	}
	if r != s.toward {
		s.toward, s.run = r, 0
	}
	s.run++
	return r, s.run >= threshold
}

// set commits a status change.
func (s *state) set(status cloudmap.HealthStatus) {
	s.status, s.run = status, 0
}

package cloudmap

import "strconv"

// Service attributes that turn on cloudmap's extensions beyond AWS for one
// service (set with UpdateServiceAttributes). Their names are fixed: tools
// outside this repository depend on them.
const (
	// AttrLeaseSeconds makes every registration of the service a lease of
	// N seconds (1–86400): an instance neither registered again nor
	// reported HEALTHY through UpdateInstanceCustomHealthStatus within N
	// seconds turns UNHEALTHY. The service needs HealthCheckCustomConfig.
	AttrLeaseSeconds = "cloudmap.lease-seconds"
	// AttrDeregisterAfterSeconds deregisters an expired instance M seconds
	// (0–604800) after its lease expired, by an ordinary
	// DEREGISTER_INSTANCE operation. Without AttrLeaseSeconds it does nothing.
	AttrDeregisterAfterSeconds = "cloudmap.deregister-after-seconds"
	// AttrDNSMaxAnswers raises the number of records a MULTIVALUE answer of
	// the service holds from 8 to N (1–100).
	AttrDNSMaxAnswers = "cloudmap.dns-max-answers"
)

// Limits of the extension attributes.
const (
	MaxLeaseSeconds           = 86400
	MaxDeregisterAfterSeconds = 604800
	MaxDNSMaxAnswers          = 100
	// DefaultDNSMaxAnswers is Route 53's MULTIVALUE limit.
	DefaultDNSMaxAnswers = 8
)

// ServiceExtensions are a service's settings of the extensions, parsed
// from its attributes; a Service without any has nil Extensions.
type ServiceExtensions struct {
	LeaseSeconds           int64
	DeregisterAfterSeconds int64
	Deregister             bool // AttrDeregisterAfterSeconds is set
	DNSMaxAnswers          int
}

// ParseServiceExtensions reads the extension attributes of a service's
// attributes. It returns nil when none is set, and InvalidInput naming the
// attribute and its range for a value that is not an integer in range.
// Other attributes, whatever their names, are the user's, as in AWS.
func ParseServiceExtensions(attrs map[string]string) (*ServiceExtensions, error) {
	var x ServiceExtensions
	set := false
	for k, v := range attrs {
		var err error
		switch k {
		case AttrLeaseSeconds:
			x.LeaseSeconds, err = attrInt(k, v, 1, MaxLeaseSeconds)
		case AttrDeregisterAfterSeconds:
			x.DeregisterAfterSeconds, err = attrInt(k, v, 0, MaxDeregisterAfterSeconds)
			x.Deregister = true
		case AttrDNSMaxAnswers:
			var n int64
			n, err = attrInt(k, v, 1, MaxDNSMaxAnswers)
			x.DNSMaxAnswers = int(n)
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		set = true
	}
	if !set {
		return nil, nil
	}
	return &x, nil
}

func attrInt(name, v string, lo, hi int64) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, Errorf(ErrInvalidInput, "service attribute %s: %q is not an integer from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

// MaxAnswers is the number of records a MULTIVALUE answer of the service
// holds: AttrDNSMaxAnswers, or DefaultDNSMaxAnswers.
func (s *Service) MaxAnswers() int {
	if s.Extensions != nil && s.Extensions.DNSMaxAnswers > 0 {
		return s.Extensions.DNSMaxAnswers
	}
	return DefaultDNSMaxAnswers
}

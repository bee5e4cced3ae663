package registry

import (
	"context"

	"github.com/cloudmap/cloudmap"
)

// initialHealth returns the health record a newly registered instance gets,
// and false for services without a health check (no record).
//
//   - HealthCheckCustomConfig: AWS_INIT_HEALTH_STATUS, default HEALTHY
//     (model doc of RegisterInstanceRequest.Attributes).
//   - HealthCheckConfig: HEALTHY, because "Route 53 considers a new health
//     check to be healthy until there's enough data to determine the actual
//     status" (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html).
func initialHealth(svc *cloudmap.Service, attrs map[string]string) (cloudmap.Health, bool) {
	switch {
	case svc.HealthCheckCustomConfig != nil:
		if st := attrs[cloudmap.AttrInitHealth]; st == string(cloudmap.Unhealthy) {
			return cloudmap.Health{Status: cloudmap.Unhealthy}, true
		}
		return cloudmap.Health{Status: cloudmap.Healthy}, true
	case svc.HealthCheckConfig != nil:
		return cloudmap.Health{Status: cloudmap.Healthy}, true
	}
	return cloudmap.Health{}, false
}

// UpdateInstanceCustomHealthStatus sets the health of an instance of a
// service with HealthCheckCustomConfig. Unlike AWS, which applies the change
// about 30 seconds after the first request, the change is applied at once;
// the health record is written only when the status changes. Errors:
// InvalidInput, ServiceNotFound, InstanceNotFound, CustomHealthNotFound.
func (r *Registry) UpdateInstanceCustomHealthStatus(ctx context.Context, in *cloudmap.UpdateInstanceCustomHealthStatusInput) (*cloudmap.Empty, error) {
	if in == nil {
		return nil, invalid("ServiceId is required")
	}
	svcID, err := r.instanceTarget(r.cellOf(ctx), in.ServiceId, in.InstanceId)
	if err != nil {
		return nil, err
	}
	if in.Status != cloudmap.Healthy && in.Status != cloudmap.Unhealthy {
		return nil, invalid("Status %q is not HEALTHY or UNHEALTHY", in.Status)
	}
	if same, err := r.customHealthIs(ctx, svcID, in.InstanceId, in.Status); err != nil || same {
		if err != nil {
			return nil, wrap("UpdateInstanceCustomHealthStatus", err)
		}
		return &cloudmap.Empty{}, nil
	}
	_, err = r.commit(ctx, func(tx cloudmap.Tx) error {
		svc, err := loadService(tx, svcID)
		if err != nil {
			return err
		}
		if svc.HealthCheckCustomConfig == nil {
			return cloudmap.Errorf(cloudmap.ErrCustomHealthNotFound, "service %s has no HealthCheckCustomConfig", svcID)
		}
		_, err = setHealth(tx, svcID, in.InstanceId, in.Status)
		return err
	})
	if err != nil {
		return nil, wrap("UpdateInstanceCustomHealthStatus", err)
	}
	return &cloudmap.Empty{}, nil
}

// customHealthIs reports, from a read transaction, whether a custom-checked
// instance already has status, so that a report that changes nothing (a
// heartbeat, a lease renewal) costs no write transaction. It waits until
// the view has applied the store's revision, as a write would.
func (r *Registry) customHealthIs(ctx context.Context, svcID, instID string, status cloudmap.HealthStatus) (bool, error) {
	rev, err := r.store.Revision(ctx)
	if err != nil {
		return false, err
	}
	same := false
	err = r.store.View(ctx, func(tx cloudmap.ReadTx) error {
		svc, err := r.sharedService(tx, svcID)
		if err != nil || svc.HealthCheckCustomConfig == nil {
			return nil // the write path reports the error
		}
		if _, err := loadInstance(tx, svcID, instID); err != nil {
			return nil
		}
		var h cloudmap.Health
		found, err := getRecord(tx, cloudmap.HealthKey(svcID, instID), &h)
		same = err == nil && found && h.Status == status
		return err
	})
	if err != nil || !same || r.cfg.WaitApplied == nil {
		return same, err
	}
	return true, r.cfg.WaitApplied(ctx, rev)
}

// SetHealth records an instance's status found by the health checker; it
// writes only when the status changes and reports whether it did. Errors:
// InvalidInput, InstanceNotFound.
func (r *Registry) SetHealth(ctx context.Context, serviceID, instanceID string, status cloudmap.HealthStatus) (bool, error) {
	switch status {
	case cloudmap.Healthy, cloudmap.Unhealthy, cloudmap.Unknown:
	default:
		return false, invalid("health status %q is not HEALTHY, UNHEALTHY or UNKNOWN", status)
	}
	var changed bool
	_, err := r.store.Update(ctx, func(tx cloudmap.Tx) error {
		var err error
		changed, err = setHealth(tx, serviceID, instanceID, status)
		return err
	})
	if err != nil {
		return false, wrap("SetHealth", err)
	}
	return changed, nil
}

// setHealth writes the health record of an existing instance when status
// differs from the stored one.
func setHealth(tx cloudmap.Tx, svcID, instID string, status cloudmap.HealthStatus) (bool, error) {
	if _, err := loadInstance(tx, svcID, instID); err != nil {
		return false, err
	}
	var h cloudmap.Health
	found, err := getRecord(tx, cloudmap.HealthKey(svcID, instID), &h)
	if err != nil {
		return false, err
	}
	if found && h.Status == status {
		return false, nil
	}
	return true, put(tx, cloudmap.HealthKey(svcID, instID), cloudmap.Health{Status: status})
}

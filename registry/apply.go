package registry

import (
	"fmt"
	"strings"

	"github.com/cloudmap/cloudmap"
)

// The apply functions perform one operation in tx: in the request's own
// transaction (no operation delay) or in the worker's (delayed and resumed
// operations). Each checks every precondition that may have changed since
// the request before it writes, so a failing operation writes nothing; a
// *cloudmap.Error is the request's error in the first case and the
// operation's FAIL in the second.

// apply performs the operation of j.
func (r *Registry) apply(tx cloudmap.Tx, j *job) error {
	op := j.op
	switch op.Type {
	case cloudmap.OpCreateNamespace:
		return r.applyCreateNamespace(tx, op)
	case cloudmap.OpUpdateNamespace:
		return applyUpdateNamespace(tx, op)
	case cloudmap.OpDeleteNamespace:
		return applyDeleteNamespace(tx, op)
	case cloudmap.OpUpdateService:
		return applyUpdateService(tx, op)
	case cloudmap.OpRegisterInstance:
		return r.applyRegister(tx, op, j.inst, j.svc)
	case cloudmap.OpDeregisterInstance:
		return applyDeregister(tx, op)
	}
	return cloudmap.Errorf(cloudmap.ErrInternalFailure, "unknown operation type %q", op.Type)
}

func (r *Registry) applyCreateNamespace(tx cloudmap.Tx, op *opRecord) error {
	ns := op.Namespace
	if ns == nil {
		return cloudmap.Errorf(cloudmap.ErrInternalFailure, "operation %s has no namespace to create", op.Id)
	}
	if exists, err := getRecordRaw(tx, cloudmap.NamespaceKey(ns.Id)); err != nil || exists {
		return err
	}
	if err := put(tx, cloudmap.NamespaceKey(ns.Id), ns); err != nil {
		return err
	}
	return putTags(tx, ns.Id, ns.Arn, op.Tags)
}

func applyUpdateNamespace(tx cloudmap.Tx, op *opRecord) error {
	ns, err := loadNamespace(tx, op.NamespaceId)
	if err != nil {
		return err
	}
	if c := op.Change; c != nil {
		if c.Description != nil {
			ns.Description = *c.Description
		}
		if c.Properties != nil && c.Properties.DnsProperties != nil && c.Properties.DnsProperties.SOA != nil &&
			c.Properties.DnsProperties.SOA.TTL != nil {
			if ns.Properties.DnsProperties == nil {
				ns.Properties.DnsProperties = &cloudmap.DnsProperties{}
			}
			ns.Properties.DnsProperties.SOA = cloudmap.NewSOA(*c.Properties.DnsProperties.SOA.TTL)
		}
	}
	return put(tx, cloudmap.NamespaceKey(ns.Id), ns)
}

func applyDeleteNamespace(tx cloudmap.Tx, op *opRecord) error {
	ns, err := loadNamespace(tx, op.NamespaceId)
	if err != nil {
		return err
	}
	if err := checkNoServices(tx, ns.Id); err != nil {
		return err
	}
	keys := []string{cloudmap.NamespaceKey(ns.Id), nsNameKey(ns.Type, ns.Name), httpNameKey(ns.HttpName())}
	if ns.CreatorRequestId != "" {
		keys = append(keys, idemKey("ns", ns.CreatorRequestId))
	}
	for _, k := range keys {
		if err := del(tx, k); err != nil {
			return err
		}
	}
	if err := releaseVPCName(tx, ns); err != nil {
		return err
	}
	return deletePrefix(tx, tagPrefix(ns.Id))
}

func applyUpdateService(tx cloudmap.Tx, op *opRecord) error {
	svc, err := loadService(tx, op.ServiceId)
	if err != nil {
		return err
	}
	c := op.ServiceChange
	if c == nil {
		return cloudmap.Errorf(cloudmap.ErrInternalFailure, "operation %s has no service change", op.Id)
	}
	if c.Description != nil {
		svc.Description = *c.Description
	}
	if c.DnsConfig != nil && svc.DnsConfig != nil {
		ttl := map[cloudmap.RecordType]int64{}
		for _, rec := range c.DnsConfig.DnsRecords {
			ttl[rec.Type] = rec.TTL
		}
		for i, rec := range svc.DnsConfig.DnsRecords {
			if t, ok := ttl[rec.Type]; ok {
				svc.DnsConfig.DnsRecords[i].TTL = t
			}
		}
	}
	old := svc.HealthCheckConfig
	svc.HealthCheckConfig = c.HealthCheckConfig
	if err := put(tx, cloudmap.ServiceKey(svc.Id), svc); err != nil {
		return err
	}
	switch {
	case old != nil && svc.HealthCheckConfig == nil:
		return deletePrefix(tx, cloudmap.HealthPrefix(svc.Id))
	case old == nil && svc.HealthCheckConfig != nil:
		return initHealthRecords(tx, svc.Id)
	}
	return nil
}

// initHealthRecords gives every instance of a service that just got a
// HealthCheckConfig the status of a new Route 53 health check, HEALTHY.
func initHealthRecords(tx cloudmap.Tx, svcID string) error {
	var ids []string
	prefix := cloudmap.InstancePrefix(svcID)
	if err := tx.Range(prefix, "", func(k string, _ []byte) bool {
		ids = append(ids, strings.TrimPrefix(k, prefix))
		return true
	}); err != nil {
		return fmt.Errorf("registry: range %s: %w", prefix, err)
	}
	for _, id := range ids {
		if err := put(tx, cloudmap.HealthKey(svcID, id), cloudmap.Health{Status: cloudmap.Healthy}); err != nil {
			return err
		}
	}
	return nil
}

// applyRegister stores the instance of op, encoded as raw, in service svc
// as read in this transaction (nil: read it).
func (r *Registry) applyRegister(tx cloudmap.Tx, op *opRecord, raw []byte, svc *cloudmap.Service) error {
	inst := op.Instance
	if inst == nil || raw == nil {
		return cloudmap.Errorf(cloudmap.ErrInternalFailure, "operation %s has no instance to register", op.Id)
	}
	if svc == nil {
		var err error
		if svc, err = r.sharedService(tx, op.ServiceId); err != nil {
			return err
		}
	}
	if err := r.checkInstanceQuota(tx, svc.Id, inst.Id); err != nil {
		return err
	}
	if err := checkTargetName(tx, svc, inst.Id); err != nil {
		return err
	}
	if err := tx.Put(cloudmap.InstanceKey(svc.Id, inst.Id), raw); err != nil {
		return fmt.Errorf("registry: put %s: %w", cloudmap.InstanceKey(svc.Id, inst.Id), err)
	}
	if h, ok := initialHealth(svc, inst.Attributes); ok {
		return put(tx, cloudmap.HealthKey(svc.Id, inst.Id), h)
	}
	return nil // services without a health check keep no health records
}

func applyDeregister(tx cloudmap.Tx, op *opRecord) error {
	instID := op.Targets[cloudmap.TargetInstance]
	if _, err := loadInstance(tx, op.ServiceId, instID); err != nil {
		return err
	}
	if err := del(tx, cloudmap.InstanceKey(op.ServiceId, instID)); err != nil {
		return err
	}
	return del(tx, cloudmap.HealthKey(op.ServiceId, instID))
}

package registry

import (
	"context"

	"github.com/cloudmap/cloudmap"
)

// svcRequest is what a reused CreatorRequestId of CreateService must match.
type svcRequest struct {
	Name, NamespaceId, Description, Type string
	DnsConfig                            *cloudmap.DnsConfig
	HealthCheckConfig                    *cloudmap.HealthCheckConfig
	HealthCheckCustomConfig              *cloudmap.HealthCheckCustomConfig
	Tags                                 []cloudmap.Tag
}

// CreateService creates a service, synchronously. Errors: InvalidInput,
// NamespaceNotFound, ServiceAlreadyExists (with ServiceId, ServiceArn and
// CreatorRequestId), ResourceLimitExceeded, TooManyTagsException,
// DuplicateRequest (CreatorRequestId reused with other parameters).
func (r *Registry) CreateService(ctx context.Context, in *cloudmap.CreateServiceInput) (*cloudmap.ServiceOutput, error) {
	nsRef, custom, err := validateCreateService(in)
	if err != nil {
		return nil, err
	}
	svcID := newServiceID()
	if len(dedupTags(in.Tags)) > maxTags {
		return nil, tooManyTags(arn(r.cellOf(ctx), "service", svcID))
	}
	hash := requestHash(svcRequest{Name: in.Name, NamespaceId: in.NamespaceId, Description: in.Description,
		Type: in.Type, DnsConfig: in.DnsConfig, HealthCheckConfig: in.HealthCheckConfig,
		HealthCheckCustomConfig: in.HealthCheckCustomConfig, Tags: in.Tags})
	now := r.now()
	var out *cloudmap.Service
	_, err = r.commit(ctx, func(tx cloudmap.Tx) error {
		rec, err := checkIdem(tx, "svc", in.CreatorRequestId, hash)
		if err != nil {
			return err
		}
		if rec != nil {
			out, err = loadServiceCounted(tx, rec.ServiceId)
			return err
		}
		svc := &cloudmap.Service{Id: svcID, Arn: arn(r.cellOf(ctx), "service", svcID), ResourceOwner: r.cellOf(ctx).Account,
			Name: in.Name, Description: in.Description, Type: cloudmap.ServiceHTTP,
			HealthCheckCustomConfig: custom, CreateDate: now, CreatorRequestId: in.CreatorRequestId,
			CreatedByAccount: r.cellOf(ctx).Account}
		if err := r.createService(tx, svc, nsRef, in, hash); err != nil {
			return err
		}
		out = svc
		return nil
	})
	if err != nil {
		return nil, wrap("CreateService", err)
	}
	return &cloudmap.ServiceOutput{Service: present(out)}, nil
}

// createService checks and stores a new service svc in the namespace
// nsRef (id or ARN), with its tags and the idempotency record.
func (r *Registry) createService(tx cloudmap.Tx, svc *cloudmap.Service, nsRef string, in *cloudmap.CreateServiceInput, hash string) error {
	nsID, ok := resourceID(txCell(tx, r.defaultCell()), "namespace", nsRef)
	if !ok {
		return namespaceNotFound(nsRef)
	}
	ns, err := loadNamespace(tx, nsID)
	if err != nil {
		return err
	}
	svc.NamespaceId = nsID
	if err := configureService(svc, ns, in, r.cfg.HealthChecksPrivate); err != nil {
		return err
	}
	if err := r.checkNewService(tx, ns, svc); err != nil {
		return err
	}
	if err := r.storeService(tx, ns, svc, in.Tags); err != nil {
		return err
	}
	if in.CreatorRequestId == "" {
		return nil
	}
	return put(tx, idemKey("svc", in.CreatorRequestId), idemRecord{Hash: hash, ServiceId: svc.Id})
}

// validateCreateService checks what a CreateService request needs no
// store for; it returns the namespace reference (NamespaceId, or the
// deprecated DnsConfig.NamespaceId) and the normalized custom health
// config.
func validateCreateService(in *cloudmap.CreateServiceInput) (string, *cloudmap.HealthCheckCustomConfig, error) {
	if in == nil || in.Name == "" {
		return "", nil, invalid("Name is required")
	}
	if len(in.Name) > 127 {
		return "", nil, invalid("Name is longer than 127 characters")
	}
	if len(in.Description) > maxDescription {
		return "", nil, invalid("Description is longer than %d characters", maxDescription)
	}
	nsRef := in.NamespaceId
	if in.DnsConfig != nil && in.DnsConfig.NamespaceId != "" {
		if nsRef != "" && nsRef != in.DnsConfig.NamespaceId {
			return "", nil, invalid("DnsConfig.NamespaceId %q differs from NamespaceId %q", in.DnsConfig.NamespaceId, nsRef)
		}
		nsRef = in.DnsConfig.NamespaceId
	}
	if nsRef == "" {
		return "", nil, invalid("NamespaceId is required")
	}
	switch in.Type {
	case "":
	case string(cloudmap.ServiceHTTP):
		if in.DnsConfig != nil {
			return "", nil, invalid("Type HTTP creates a service without DNS records; DnsConfig must be omitted")
		}
	default:
		return "", nil, invalid("Type %q is not HTTP", in.Type)
	}
	if in.HealthCheckConfig != nil && in.HealthCheckCustomConfig != nil {
		return "", nil, invalid("specify HealthCheckConfig or HealthCheckCustomConfig, not both")
	}
	custom, err := normalizeCustomHealth(in.HealthCheckCustomConfig)
	if err != nil {
		return "", nil, err
	}
	return nsRef, custom, validateTags(in.Tags)
}

// configureService sets the DNS and health check configuration of a new
// service in namespace ns from the request.
func configureService(svc *cloudmap.Service, ns *cloudmap.Namespace, in *cloudmap.CreateServiceInput, privateOK bool) error {
	if in.DnsConfig != nil {
		if !ns.Type.IsDNS() {
			return invalid("DnsConfig is only allowed in a DNS namespace; %s is an HTTP namespace", ns.Id)
		}
		var err error
		if svc.DnsConfig, err = normalizeDnsConfig(in.DnsConfig); err != nil {
			return err
		}
		svc.Type = cloudmap.ServiceDNSHTTP
	}
	var err error
	svc.HealthCheckConfig, err = normalizeHealthCheck(in.HealthCheckConfig, ns.Type, privateOK, svc.DnsConfig, "HealthCheckConfig")
	return err
}

// checkNewService checks the name of a new service (unique in its
// namespace, no SRV target of the namespace) and the service quota.
func (r *Registry) checkNewService(tx cloudmap.ReadTx, ns *cloudmap.Namespace, svc *cloudmap.Service) error {
	if err := r.checkServiceName(tx, ns, svc.Name); err != nil {
		return err
	}
	if svc.DnsConfig != nil {
		if err := checkServiceTargets(tx, ns.Id, svc.Name); err != nil {
			return err
		}
	}
	if r.cfg.MaxServices <= 0 {
		return nil
	}
	n, err := count(tx, cloudmap.PrefixService)
	if err != nil {
		return err
	}
	if n >= r.cfg.MaxServices {
		return cloudmap.Errorf(cloudmap.ErrResourceLimitExceeded,
			"the account already has the maximum of %d services", r.cfg.MaxServices)
	}
	return nil
}

// storeService writes a new service, its name in its namespace and its tags.
func (r *Registry) storeService(tx cloudmap.Tx, ns *cloudmap.Namespace, svc *cloudmap.Service, tags []cloudmap.Tag) error {
	if err := put(tx, cloudmap.ServiceKey(svc.Id), svc); err != nil {
		return err
	}
	if err := putString(tx, svcNameKey(ns.Id, ns.Type.IsDNS(), svc.Name), svc.Id); err != nil {
		return err
	}
	return putTags(tx, svc.Id, svc.Arn, tags)
}

// present returns svc as the API shows it: a service without DNS records
// has an empty DnsConfig, as real AWS output shows.
func present(svc *cloudmap.Service) *cloudmap.Service {
	if svc == nil || svc.DnsConfig != nil {
		return svc
	}
	out := *svc
	out.DnsConfig = &cloudmap.DnsConfig{}
	return &out
}

// checkServiceName returns ServiceAlreadyExists when the namespace already
// has a service of that name.
func (r *Registry) checkServiceName(tx cloudmap.ReadTx, ns *cloudmap.Namespace, name string) error {
	id, err := getString(tx, svcNameKey(ns.Id, ns.Type.IsDNS(), name))
	if err != nil || id == "" {
		return err
	}
	var old cloudmap.Service
	if _, err := getRecord(tx, cloudmap.ServiceKey(id), &old); err != nil {
		return err
	}
	e := cloudmap.Errorf(cloudmap.ErrServiceAlreadyExists, "namespace %s already has a service named %q: %s", ns.Id, name, id)
	return e.With("ServiceId", id).With("ServiceArn", arn(txCell(tx, r.defaultCell()), "service", id)).With("CreatorRequestId", old.CreatorRequestId)
}

// GetService returns a service with its InstanceCount. Errors: InvalidInput,
// ServiceNotFound.
func (r *Registry) GetService(ctx context.Context, in *cloudmap.IdInput) (*cloudmap.ServiceOutput, error) {
	if in == nil || in.Id == "" {
		return nil, invalid("Id is required")
	}
	id, ok := resourceID(r.cellOf(ctx), "service", in.Id)
	if !ok {
		return nil, serviceNotFound(in.Id)
	}
	var svc *cloudmap.Service
	err := r.store.View(ctx, func(tx cloudmap.ReadTx) error {
		var err error
		svc, err = loadServiceCounted(tx, id)
		return err
	})
	if err != nil {
		return nil, wrap("GetService", err)
	}
	return &cloudmap.ServiceOutput{Service: present(svc)}, nil
}

// UpdateService changes a service (see execute): its description, the TTLs
// of its records (the record types cannot change) and its HealthCheckConfig
// (omitted means deleted). As the model says, services of HTTP namespaces
// cannot be updated, and HealthCheckCustomConfig cannot be added, changed or
// removed. Errors: InvalidInput, ServiceNotFound, DuplicateRequest.
func (r *Registry) UpdateService(ctx context.Context, in *cloudmap.UpdateServiceInput) (*cloudmap.OperationOutput, error) {
	if in == nil || in.Id == "" {
		return nil, invalid("Id is required")
	}
	if in.Service == nil {
		return nil, invalid("Service is required")
	}
	if d := in.Service.Description; d != nil && len(*d) > maxDescription {
		return nil, invalid("Service.Description is longer than %d characters", maxDescription)
	}
	id, ok := resourceID(r.cellOf(ctx), "service", in.Id)
	if !ok {
		return nil, serviceNotFound(in.Id)
	}
	opID := newOperationID()
	return r.execute(ctx, "UpdateService", func(tx cloudmap.Tx) (*task, error) {
		svc, err := loadService(tx, id)
		if err != nil {
			return nil, err
		}
		ns, err := loadNamespace(tx, svc.NamespaceId)
		if err != nil {
			return nil, err
		}
		change, err := normalizeServiceChange(svc, ns, r.cfg.HealthChecksPrivate, in.Service)
		if err != nil {
			return nil, err
		}
		if err := checkBusy(tx, busySvcKey(id), "service "+id); err != nil {
			return nil, err
		}
		op := r.newOp(r.cellOf(ctx), opID, cloudmap.OpUpdateService, map[string]string{cloudmap.TargetService: id})
		op.NamespaceId, op.ServiceId, op.Busy, op.ServiceChange = ns.Id, id, busySvcKey(id), change
		return &task{opID: opID, job: newJob(op)}, nil
	})
}

// normalizeServiceChange checks a ServiceChange against the service and
// returns it with defaults filled in.
func normalizeServiceChange(svc *cloudmap.Service, ns *cloudmap.Namespace, privateOK bool, c *cloudmap.ServiceChange) (*cloudmap.ServiceChange, error) {
	if ns.Type == cloudmap.NamespaceHTTP {
		return nil, invalid("service %s is in an HTTP namespace; UpdateService does not apply to it", svc.Id)
	}
	out := &cloudmap.ServiceChange{Description: c.Description}
	if c.DnsConfig != nil {
		if svc.DnsConfig == nil {
			return nil, invalid("service %s has no DNS records; Service.DnsConfig cannot add them", svc.Id)
		}
		if err := validateRecords(c.DnsConfig.DnsRecords, "Service.DnsConfig.DnsRecords"); err != nil {
			return nil, err
		}
		have, want := recordSet(svc.DnsConfig.DnsRecords), recordSet(c.DnsConfig.DnsRecords)
		for t := range want {
			if !have[t] {
				return nil, invalid("the record types of a service cannot change: service %s has no %s record", svc.Id, t)
			}
		}
		for t := range have {
			if !want[t] {
				return nil, invalid("the record types of a service cannot change: the %s record of service %s is missing", t, svc.Id)
			}
		}
		out.DnsConfig = &cloudmap.DnsConfigChange{DnsRecords: append([]cloudmap.DnsRecord(nil), c.DnsConfig.DnsRecords...)}
	}
	if c.HealthCheckConfig != nil && svc.HealthCheckCustomConfig != nil {
		return nil, invalid("service %s has a HealthCheckCustomConfig; it cannot also have a HealthCheckConfig", svc.Id)
	}
	h, err := normalizeHealthCheck(c.HealthCheckConfig, ns.Type, privateOK, svc.DnsConfig, "Service.HealthCheckConfig")
	if err != nil {
		return nil, err
	}
	if h != nil && svc.HealthCheckConfig != nil && h.Type != svc.HealthCheckConfig.Type {
		return nil, invalid("Service.HealthCheckConfig.Type cannot change from %s to %s", svc.HealthCheckConfig.Type, h.Type)
	}
	out.HealthCheckConfig = h
	return out, nil
}

// DeleteService deletes a service without instances, with its attributes
// and tags. Errors: InvalidInput, ServiceNotFound, ResourceInUse.
func (r *Registry) DeleteService(ctx context.Context, in *cloudmap.IdInput) (*cloudmap.Empty, error) {
	if in == nil || in.Id == "" {
		return nil, invalid("Id is required")
	}
	id, ok := resourceID(r.cellOf(ctx), "service", in.Id)
	if !ok {
		return nil, serviceNotFound(in.Id)
	}
	_, err := r.commit(ctx, func(tx cloudmap.Tx) error {
		svc, err := loadService(tx, id)
		if err != nil {
			return err
		}
		for _, p := range []string{cloudmap.InstancePrefix(id), busyInstPrefix(id)} {
			n, err := count(tx, p)
			if err != nil {
				return err
			}
			if n > 0 {
				return cloudmap.Errorf(cloudmap.ErrResourceInUse, "service %s still has registered or registering instances", id)
			}
		}
		if opID, err := getString(tx, busySvcKey(id)); err != nil || opID != "" {
			if err != nil {
				return err
			}
			return cloudmap.Errorf(cloudmap.ErrResourceInUse, "operation %s on service %s is still in progress", opID, id)
		}
		ns, err := loadNamespace(tx, svc.NamespaceId)
		dnsNames := err != nil || ns.Type.IsDNS()
		for _, k := range []string{cloudmap.ServiceKey(id), svcNameKey(svc.NamespaceId, dnsNames, svc.Name), attrKey(id)} {
			if err := del(tx, k); err != nil {
				return err
			}
		}
		if svc.CreatorRequestId != "" {
			var rec idemRecord
			found, err := getRecord(tx, idemKey("svc", svc.CreatorRequestId), &rec)
			if err != nil {
				return err
			}
			if found && rec.ServiceId == id {
				if err := del(tx, idemKey("svc", svc.CreatorRequestId)); err != nil {
					return err
				}
			}
		}
		if err := deletePrefix(tx, cloudmap.HealthPrefix(id)); err != nil {
			return err
		}
		return deletePrefix(tx, tagPrefix(id))
	})
	if err != nil {
		return nil, wrap("DeleteService", err)
	}
	return &cloudmap.Empty{}, nil
}

func serviceNotFound(id string) error {
	return cloudmap.NotFound(cloudmap.ErrServiceNotFound, "service", id)
}

// loadService reads a service or returns ServiceNotFound.
func loadService(tx cloudmap.ReadTx, id string) (*cloudmap.Service, error) {
	var svc cloudmap.Service
	found, err := getRecord(tx, cloudmap.ServiceKey(id), &svc)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, serviceNotFound(id)
	}
	return &svc, nil
}

// loadServiceCounted reads a service with its InstanceCount.
func loadServiceCounted(tx cloudmap.ReadTx, id string) (*cloudmap.Service, error) {
	svc, err := loadService(tx, id)
	if err != nil {
		return nil, err
	}
	n, err := count(tx, cloudmap.InstancePrefix(id))
	svc.InstanceCount = int32(n)
	return svc, err
}

package registry

import (
	"context"
	"net/netip"
	"strconv"
	"strings"

	"github.com/cloudmap/cloudmap"
)

// Limits of RegisterInstanceRequest.Attributes (model).
const (
	maxCustomAttributes = 30
	maxAttributesSize   = 5000
	maxAttrKey          = 255
	maxAttrValue        = 1024
)

// instRequest is what a reused CreatorRequestId of RegisterInstance must match.
type instRequest struct {
	ServiceId, InstanceId string
	Attributes            map[string]string
}

// RegisterInstance creates or updates (upserts) an instance: one
// Store.Update that checks the request, stores the instance and records the
// operation (see execute). Errors: InvalidInput, ServiceNotFound,
// DuplicateRequest, ResourceLimitExceeded.
func (r *Registry) RegisterInstance(ctx context.Context, in *cloudmap.RegisterInstanceInput) (*cloudmap.OperationOutput, error) {
	svcID, err := r.checkRegisterInput(r.cellOf(ctx), in)
	if err != nil {
		return nil, err
	}
	opID := newOperationID()
	var hash string
	if in.CreatorRequestId != "" {
		hash = requestHash(instRequest{svcID, in.InstanceId, in.Attributes})
	}
	inst := &cloudmap.Instance{Id: in.InstanceId, CreatorRequestId: in.CreatorRequestId,
		Attributes: in.Attributes, CreatedByAccount: r.cellOf(ctx).Account, ServiceId: svcID}
	instRaw := cloudmap.Encode(inst)
	newTask := func(svc *cloudmap.Service) *task {
		op := r.newOp(r.cellOf(ctx), opID, cloudmap.OpRegisterInstance,
			map[string]string{cloudmap.TargetService: svcID, cloudmap.TargetInstance: in.InstanceId})
		op.NamespaceId, op.ServiceId, op.Busy, op.Instance = svc.NamespaceId, svcID, busyInstKey(svcID, in.InstanceId), inst
		return &task{opID: opID, job: &job{id: opID, op: op, inst: instRaw}, raw: r.encodeRecord(op)}
	}
	// Encode the operation before the transaction when the service is
	// known, so the store's single writer only checks and writes.
	var early *task
	if svc := r.cachedService(svcID); svc != nil {
		early = newTask(svc)
	}
	return r.execute(ctx, "RegisterInstance", func(tx cloudmap.Tx) (*task, error) {
		rec, err := checkIdem(tx, "inst", in.CreatorRequestId, hash)
		if err != nil || rec != nil {
			if rec != nil {
				return replay(rec.OperationId), nil
			}
			return nil, err
		}
		svc, err := r.sharedService(tx, svcID)
		if err != nil {
			return nil, err
		}
		if err := r.checkRegistration(tx, svc, in); err != nil {
			return nil, err
		}
		t := early
		if t == nil || t.job.op.NamespaceId != svc.NamespaceId {
			t = newTask(svc)
		}
		t.job.svc = svc
		if in.CreatorRequestId != "" {
			if err := put(tx, idemKey("inst", in.CreatorRequestId), idemRecord{Hash: hash, OperationId: opID}); err != nil {
				return nil, err
			}
		}
		return t, nil
	})
}

// checkRegisterInput checks what a registration needs no store for and
// returns the service id.
func (r *Registry) checkRegisterInput(c cloudmap.Cell, in *cloudmap.RegisterInstanceInput) (string, error) {
	if in == nil {
		return "", invalid("ServiceId is required")
	}
	svcID, err := r.serviceIDInput(c, in.ServiceId)
	if err != nil {
		return "", err
	}
	if err := validateInstanceID(in.InstanceId); err != nil {
		return "", err
	}
	return svcID, validateAttributeShapes(in.Attributes)
}

// checkRegistration checks a registration against its service: the
// attributes its records and health check need, no operation in progress
// on the instance, and, when the operation is queued, the rules applying
// it checks again (quota, record names).
func (r *Registry) checkRegistration(tx cloudmap.ReadTx, svc *cloudmap.Service, in *cloudmap.RegisterInstanceInput) error {
	var nsType cloudmap.NamespaceType
	if _, ec2 := in.Attributes[cloudmap.AttrEC2InstanceID]; ec2 {
		ns, err := loadNamespace(tx, svc.NamespaceId)
		if err != nil {
			return err
		}
		nsType = ns.Type
	}
	if err := validateInstanceAttributes(svc, nsType, in.Attributes); err != nil {
		return err
	}
	if err := checkBusy(tx, busyInstKey(svc.Id, in.InstanceId), "instance "+in.InstanceId); err != nil {
		return err
	}
	if !r.delayed() {
		return nil // applyRegister checks the rest in this transaction
	}
	if err := r.checkInstanceQuota(tx, svc.Id, in.InstanceId); err != nil {
		return err
	}
	return checkTargetName(tx, svc, in.InstanceId)
}

// checkInstanceQuota returns ResourceLimitExceeded when registering a new
// instance would exceed MaxInstancesPerService.
func (r *Registry) checkInstanceQuota(tx cloudmap.ReadTx, svcID, instID string) error {
	if r.cfg.MaxInstancesPerService <= 0 {
		return nil
	}
	exists, err := getRecordRaw(tx, cloudmap.InstanceKey(svcID, instID))
	if err != nil || exists {
		return err
	}
	n, err := count(tx, cloudmap.InstancePrefix(svcID))
	if err != nil {
		return err
	}
	if n >= r.cfg.MaxInstancesPerService {
		return cloudmap.Errorf(cloudmap.ErrResourceLimitExceeded,
			"service %s already has the maximum of %d instances", svcID, r.cfg.MaxInstancesPerService)
	}
	return nil
}

// DeregisterInstance removes an instance and its health record (see
// execute). Errors: InvalidInput, ServiceNotFound, InstanceNotFound,
// DuplicateRequest.
func (r *Registry) DeregisterInstance(ctx context.Context, in *cloudmap.InstanceInput) (*cloudmap.OperationOutput, error) {
	if in == nil {
		return nil, invalid("ServiceId is required")
	}
	svcID, err := r.instanceTarget(r.cellOf(ctx), in.ServiceId, in.InstanceId)
	if err != nil {
		return nil, err
	}
	opID := newOperationID()
	return r.execute(ctx, "DeregisterInstance", func(tx cloudmap.Tx) (*task, error) {
		svc, err := loadService(tx, svcID)
		if err != nil {
			return nil, err
		}
		if err := checkBusy(tx, busyInstKey(svcID, in.InstanceId), "instance "+in.InstanceId); err != nil {
			return nil, err
		}
		if _, err := loadInstance(tx, svcID, in.InstanceId); err != nil {
			return nil, err
		}
		op := r.newOp(r.cellOf(ctx), opID, cloudmap.OpDeregisterInstance,
			map[string]string{cloudmap.TargetService: svcID, cloudmap.TargetInstance: in.InstanceId})
		op.NamespaceId, op.ServiceId, op.Busy = svc.NamespaceId, svcID, busyInstKey(svcID, in.InstanceId)
		op.Instance = &cloudmap.Instance{Id: in.InstanceId, ServiceId: svcID}
		return &task{opID: opID, job: newJob(op)}, nil
	})
}

// GetInstance returns a registered instance. Errors: InvalidInput,
// ServiceNotFound, InstanceNotFound.
func (r *Registry) GetInstance(ctx context.Context, in *cloudmap.InstanceInput) (*cloudmap.GetInstanceOutput, error) {
	if in == nil {
		return nil, invalid("ServiceId is required")
	}
	svcID, err := r.instanceTarget(r.cellOf(ctx), in.ServiceId, in.InstanceId)
	if err != nil {
		return nil, err
	}
	var inst *cloudmap.Instance
	err = r.store.View(ctx, func(tx cloudmap.ReadTx) error {
		if _, err := loadService(tx, svcID); err != nil {
			return err
		}
		inst, err = loadInstance(tx, svcID, in.InstanceId)
		return err
	})
	if err != nil {
		return nil, wrap("GetInstance", err)
	}
	return &cloudmap.GetInstanceOutput{ResourceOwner: r.cellOf(ctx).Account, Instance: inst}, nil
}

// loadInstance reads an instance or returns InstanceNotFound.
func loadInstance(tx cloudmap.ReadTx, svcID, instID string) (*cloudmap.Instance, error) {
	var inst cloudmap.Instance
	found, err := getRecord(tx, cloudmap.InstanceKey(svcID, instID), &inst)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, cloudmap.NotFound(cloudmap.ErrInstanceNotFound, "instance", instID, "service "+svcID)
	}
	return &inst, nil
}

// validateInstanceID checks the model's InstanceId: 1-64 of [0-9a-zA-Z_/:.@-].
func validateInstanceID(id string) error {
	if id == "" {
		return invalid("InstanceId is required")
	}
	if len(id) > 64 {
		return invalid("InstanceId is longer than 64 characters")
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_/:.@-", c) >= 0) {
			return invalid("InstanceId %q may only contain letters, digits and _/:.@-", id)
		}
	}
	return nil
}

// validateAttributeShapes checks what needs no service: sizes and counts.
func validateAttributeShapes(attrs map[string]string) error {
	if len(attrs) == 0 {
		return invalid("Attributes is required and needs at least one attribute")
	}
	custom, size := 0, 0
	for k, v := range attrs {
		if k == "" || len(k) > maxAttrKey {
			return invalid("attribute key %q must be 1-%d characters", k, maxAttrKey)
		}
		if len(v) > maxAttrValue {
			return invalid("the value of attribute %s is longer than %d characters", k, maxAttrValue)
		}
		size += len(k) + len(v)
		if !reservedAttribute(k) {
			custom++
		}
	}
	if custom > maxCustomAttributes {
		return invalid("Attributes has %d custom attributes, at most %d are allowed", custom, maxCustomAttributes)
	}
	if size > maxAttributesSize {
		return invalid("Attributes keys and values total %d characters, at most %d are allowed", size, maxAttributesSize)
	}
	return nil
}

// canonicalPort reports whether s is a port number as AWS takes it: the
// canonical decimal form of 1-65535 (no sign, no leading zero).
func canonicalPort(s string) bool {
	if s == "" || len(s) > 5 || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	p, err := strconv.Atoi(s)
	return err == nil && p <= 65535
}

func reservedAttribute(k string) bool {
	switch k {
	case cloudmap.AttrIPv4, cloudmap.AttrIPv6, cloudmap.AttrPort, cloudmap.AttrCNAME,
		cloudmap.AttrAliasDNSName, cloudmap.AttrEC2InstanceID, cloudmap.AttrInitHealth:
		return true
	}
	return false
}

// validateInstanceAttributes checks the attributes a service's records and
// health check need (model doc of RegisterInstanceRequest.Attributes).
// nsType is only set when AWS_EC2_INSTANCE_ID is present.
func validateInstanceAttributes(svc *cloudmap.Service, nsType cloudmap.NamespaceType, attrs map[string]string) error {
	ipv4, hasV4 := attrs[cloudmap.AttrIPv4]
	ipv6, hasV6 := attrs[cloudmap.AttrIPv6]
	port, hasPort := attrs[cloudmap.AttrPort]
	if hasV4 {
		if a, err := netip.ParseAddr(ipv4); err != nil || !a.Is4() {
			return invalid("AWS_INSTANCE_IPV4 %q is not an IPv4 address", ipv4)
		}
	}
	if hasV6 {
		if a, err := netip.ParseAddr(ipv6); err != nil || !a.Is6() || a.Is4In6() {
			return invalid("AWS_INSTANCE_IPV6 %q is not an IPv6 address", ipv6)
		}
	}
	if hasPort && !canonicalPort(port) {
		return invalid("AWS_INSTANCE_PORT %q is not a port: a decimal number 1-65535 without sign or leading zeros", port)
	}
	if st, ok := attrs[cloudmap.AttrInitHealth]; ok {
		if svc.HealthCheckCustomConfig == nil {
			return invalid("AWS_INIT_HEALTH_STATUS applies only to services with HealthCheckCustomConfig")
		}
		if st != string(cloudmap.Healthy) && st != string(cloudmap.Unhealthy) {
			return invalid("AWS_INIT_HEALTH_STATUS %q is not HEALTHY or UNHEALTHY", st)
		}
	}
	if _, ok := attrs[cloudmap.AttrEC2InstanceID]; ok {
		if nsType != cloudmap.NamespaceHTTP {
			return invalid("AWS_EC2_INSTANCE_ID is only allowed in HTTP namespaces")
		}
		for k := range attrs {
			if k != cloudmap.AttrEC2InstanceID && k != cloudmap.AttrInitHealth {
				return invalid("with AWS_EC2_INSTANCE_ID the only other attribute allowed is AWS_INIT_HEALTH_STATUS, not %s", k)
			}
		}
		return nil
	}
	if _, alias := attrs[cloudmap.AttrAliasDNSName]; alias {
		return validateAlias(svc, attrs)
	}
	if svc.HealthCheckConfig != nil && (!hasPort || !hasV4) {
		return invalid("service %s has a HealthCheckConfig: AWS_INSTANCE_IPV4 and AWS_INSTANCE_PORT are required", svc.Id)
	}
	return requiredRecordAttributes(svc, attrs, hasV4, hasV6, hasPort)
}

func requiredRecordAttributes(svc *cloudmap.Service, attrs map[string]string, hasV4, hasV6, hasPort bool) error {
	if _, ok := svc.Record(cloudmap.RecordA); ok && !hasV4 {
		return invalid("service %s has an A record: AWS_INSTANCE_IPV4 is required", svc.Id)
	}
	if _, ok := svc.Record(cloudmap.RecordAAAA); ok && !hasV6 {
		return invalid("service %s has an AAAA record: AWS_INSTANCE_IPV6 is required", svc.Id)
	}
	if _, ok := svc.Record(cloudmap.RecordSRV); ok {
		if !hasPort {
			return invalid("service %s has an SRV record: AWS_INSTANCE_PORT is required", svc.Id)
		}
		if !hasV4 && !hasV6 {
			return invalid("service %s has an SRV record: AWS_INSTANCE_IPV4 or AWS_INSTANCE_IPV6 is required", svc.Id)
		}
	}
	if _, ok := svc.Record(cloudmap.RecordCNAME); ok {
		if v := attrs[cloudmap.AttrCNAME]; v == "" {
			return invalid("service %s has a CNAME record: AWS_INSTANCE_CNAME is required", svc.Id)
		}
	}
	return nil
}

// validateAlias checks AWS_ALIAS_DNS_NAME: A and/or AAAA records, WEIGHTED,
// and no AWS_INSTANCE_* attribute.
func validateAlias(svc *cloudmap.Service, attrs map[string]string) error {
	_, a := svc.Record(cloudmap.RecordA)
	_, aaaa := svc.Record(cloudmap.RecordAAAA)
	if !a && !aaaa {
		return invalid("AWS_ALIAS_DNS_NAME needs a service with an A or AAAA record")
	}
	if svc.DnsConfig.RoutingPolicy != cloudmap.RoutingWeighted {
		return invalid("AWS_ALIAS_DNS_NAME needs a service with the WEIGHTED routing policy")
	}
	for k := range attrs {
		if strings.HasPrefix(k, "AWS_INSTANCE_") {
			return invalid("AWS_ALIAS_DNS_NAME cannot be combined with %s", k)
		}
	}
	return nil
}

// instanceTarget checks the ServiceId and InstanceId members that every
// per-instance operation takes and returns the service id.
func (r *Registry) instanceTarget(c cloudmap.Cell, serviceID, instanceID string) (string, error) {
	svcID, err := r.serviceIDInput(c, serviceID)
	if err != nil {
		return "", err
	}
	if instanceID == "" {
		return "", invalid("InstanceId is required")
	}
	return svcID, nil
}

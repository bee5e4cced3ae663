package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/cloudmap/cloudmap"
)

// DefaultSOATTL is the SOA TTL (negative caching, seconds) of a DNS namespace
// created without Properties. Neither the model nor the API reference
// (https://docs.aws.amazon.com/cloud-map/latest/api/API_SOA.html, where TTL
// is required once Properties are given) documents a default; we use 15
// seconds, the short value the Cloud Map console proposes, so that a name
// registered right after a miss is found quickly.
const DefaultSOATTL = 15

// nsRequest is a namespace create request; its hash is what a reused
// CreatorRequestId must match.
type nsRequest struct {
	Type        cloudmap.NamespaceType
	Name        string
	Description string
	Vpc         string
	SOATTL      *int64
	Tags        []cloudmap.Tag
}

// CreateHttpNamespace submits the creation of an HTTP namespace. Errors:
// InvalidInput, NamespaceAlreadyExists, ResourceLimitExceeded,
// DuplicateRequest, TooManyTagsException.
func (r *Registry) CreateHttpNamespace(ctx context.Context, in *cloudmap.CreateHttpNamespaceInput) (*cloudmap.OperationOutput, error) {
	if in == nil {
		return nil, invalid("Name is required")
	}
	return r.createNamespace(ctx, nsRequest{Type: cloudmap.NamespaceHTTP, Name: in.Name,
		Description: in.Description, Tags: in.Tags}, in.CreatorRequestId)
}

// CreatePrivateDnsNamespace submits the creation of a private DNS namespace.
// Errors as CreateHttpNamespace.
func (r *Registry) CreatePrivateDnsNamespace(ctx context.Context, in *cloudmap.CreatePrivateDnsNamespaceInput) (*cloudmap.OperationOutput, error) {
	if in == nil {
		return nil, invalid("Name is required")
	}
	if in.Vpc == "" {
		return nil, invalid("Vpc is required for a private DNS namespace")
	}
	ttl, err := soaTTL(in.Properties)
	if err != nil {
		return nil, err
	}
	return r.createNamespace(ctx, nsRequest{Type: cloudmap.NamespaceDNSPrivate, Name: in.Name,
		Description: in.Description, Vpc: in.Vpc, SOATTL: ttl, Tags: in.Tags}, in.CreatorRequestId)
}

// CreatePublicDnsNamespace submits the creation of a public DNS namespace.
// Errors as CreateHttpNamespace.
func (r *Registry) CreatePublicDnsNamespace(ctx context.Context, in *cloudmap.CreatePublicDnsNamespaceInput) (*cloudmap.OperationOutput, error) {
	if in == nil {
		return nil, invalid("Name is required")
	}
	ttl, err := soaTTL(in.Properties)
	if err != nil {
		return nil, err
	}
	return r.createNamespace(ctx, nsRequest{Type: cloudmap.NamespaceDNSPublic, Name: in.Name,
		Description: in.Description, SOATTL: ttl, Tags: in.Tags}, in.CreatorRequestId)
}

// soaTTL returns the SOA TTL of create or change properties, nil when absent.
func soaTTL(p *cloudmap.DnsNamespaceProperties) (*int64, error) {
	if p == nil {
		return nil, nil
	}
	if p.DnsProperties == nil || p.DnsProperties.SOA == nil || p.DnsProperties.SOA.TTL == nil {
		return nil, invalid("Properties.DnsProperties.SOA.TTL is required when Properties is given")
	}
	ttl := *p.DnsProperties.SOA.TTL
	if ttl < 0 || ttl > maxTTL {
		return nil, invalid("Properties.DnsProperties.SOA.TTL %d is out of range 0-%d", ttl, maxTTL)
	}
	return &ttl, nil
}

// createNamespace checks a namespace create request and runs it (see
// execute): the request reserves the name, the operation stores the
// namespace and its tags.
func (r *Registry) createNamespace(ctx context.Context, req nsRequest, crid string) (*cloudmap.OperationOutput, error) {
	if err := validateNamespaceRequest(req); err != nil {
		return nil, err
	}
	nsID, opID, zoneID := newNamespaceID(), newOperationID(), newHostedZoneID()
	if len(dedupTags(req.Tags)) > maxTags {
		return nil, tooManyTags(arn(r.cellOf(ctx), "namespace", nsID))
	}
	hash := requestHash(req)
	return r.execute(ctx, "CreateNamespace", func(tx cloudmap.Tx) (*task, error) {
		rec, err := checkIdem(tx, "ns", crid, hash)
		if err != nil || rec != nil {
			if rec != nil {
				return replay(rec.OperationId), nil
			}
			return nil, err
		}
		if err := r.checkNewNamespace(tx, req); err != nil {
			return nil, err
		}
		httpName, err := uniqueHTTPName(tx, req, nsID)
		if err != nil {
			return nil, err
		}
		ns := r.buildNamespace(r.cellOf(ctx), req, nsID, zoneID, httpName, crid)
		op := r.newOp(r.cellOf(ctx), opID, cloudmap.OpCreateNamespace, map[string]string{cloudmap.TargetNamespace: nsID})
		ns.CreateDate = op.CreateDate
		_, cellPrefix := r.cell(ctx)
		if conflict, err := r.reserveVPCName(tx, req, cellPrefix, nsID); err != nil || conflict != "" {
			if err != nil {
				return nil, err
			}
			if err := failedOp(tx, op, errCannotCreateHostedZone, conflict); err != nil {
				return nil, err
			}
			if crid != "" {
				if err := put(tx, idemKey("ns", crid), idemRecord{Hash: hash, OperationId: opID}); err != nil {
					return nil, err
				}
			}
			return replay(opID), nil
		}
		op.NamespaceId, op.Busy, op.Namespace, op.Tags = nsID, busyNSKey(nsID), ns, dedupTags(req.Tags)
		for _, k := range []string{nsNameKey(req.Type, req.Name), httpNameKey(httpName)} {
			if err := putString(tx, k, nsID); err != nil {
				return nil, err
			}
		}
		if crid != "" {
			if err := put(tx, idemKey("ns", crid), idemRecord{Hash: hash, OperationId: opID}); err != nil {
				return nil, err
			}
		}
		return &task{opID: opID, job: newJob(op)}, nil
	})
}

// validateNamespaceRequest checks what a namespace create request needs
// no store for.
func validateNamespaceRequest(req nsRequest) error {
	if err := validateNamespaceName(req.Type, req.Name); err != nil {
		return err
	}
	if len(req.Description) > maxDescription {
		return invalid("Description is longer than %d characters", maxDescription)
	}
	return validateTags(req.Tags)
}

// checkNewNamespace checks the name and the namespace quota.
func (r *Registry) checkNewNamespace(tx cloudmap.ReadTx, req nsRequest) error {
	if err := r.checkNamespaceName(tx, req); err != nil {
		return err
	}
	if r.cfg.MaxNamespaces <= 0 {
		return nil
	}
	n, err := count(tx, prefixNSName)
	if err != nil {
		return err
	}
	if n >= r.cfg.MaxNamespaces {
		return cloudmap.Errorf(cloudmap.ErrResourceLimitExceeded,
			"the account already has the maximum of %d namespaces", r.cfg.MaxNamespaces)
	}
	return nil
}

// uniqueHTTPName returns the HttpName of a new namespace: its name, with a
// -<hash> suffix for a DNS namespace whose name another namespace already
// uses as HttpName (a private and a public DNS namespace may share a name).
func uniqueHTTPName(tx cloudmap.ReadTx, req nsRequest, nsID string) (string, error) {
	if !req.Type.IsDNS() {
		return req.Name, nil
	}
	taken, err := getString(tx, httpNameKey(req.Name))
	if err != nil || taken == "" {
		return req.Name, err
	}
	sum := sha256.Sum256([]byte(nsID))
	return req.Name + "-" + hex.EncodeToString(sum[:4]), nil
}

// checkNamespaceName returns NamespaceAlreadyExists when the name is taken:
// within the type family for DNS namespaces (a private and a public DNS
// namespace may share a name), among all HttpNames for HTTP namespaces.
func (r *Registry) checkNamespaceName(tx cloudmap.ReadTx, req nsRequest) error {
	keys := []string{nsNameKey(req.Type, req.Name)}
	if req.Type == cloudmap.NamespaceHTTP {
		keys = append(keys, httpNameKey(req.Name))
	}
	for _, k := range keys {
		id, err := getString(tx, k)
		if err != nil {
			return err
		}
		if id == "" {
			continue
		}
		crid, err := namespaceCreator(tx, id)
		if err != nil {
			return err
		}
		e := cloudmap.Errorf(cloudmap.ErrNamespaceAlreadyExists, "a namespace named %q already exists: %s", req.Name, id)
		return e.With("NamespaceId", id).With("CreatorRequestId", crid)
	}
	return nil
}

// namespaceCreator returns the CreatorRequestId of a namespace, created or
// still being created.
func namespaceCreator(tx cloudmap.ReadTx, id string) (string, error) {
	var ns cloudmap.Namespace
	found, err := getRecord(tx, cloudmap.NamespaceKey(id), &ns)
	if err != nil || found {
		return ns.CreatorRequestId, err
	}
	opID, err := getString(tx, busyNSKey(id))
	if err != nil || opID == "" {
		return "", err
	}
	var op opRecord
	if _, err := getRecord(tx, opKey(opID), &op); err != nil || op.Namespace == nil {
		return "", err
	}
	return op.Namespace.CreatorRequestId, nil
}

func (r *Registry) buildNamespace(c cloudmap.Cell, req nsRequest, id, zoneID, httpName, crid string) *cloudmap.Namespace {
	ns := &cloudmap.Namespace{Id: id, Arn: arn(c, "namespace", id), ResourceOwner: c.Account,
		Name: req.Name, Type: req.Type, Description: req.Description, CreatorRequestId: crid, Vpc: req.Vpc,
		Properties: cloudmap.NamespaceProperties{HttpProperties: &cloudmap.HttpProperties{HttpName: httpName}}}
	if req.Type.IsDNS() {
		ttl := int64(DefaultSOATTL)
		if req.SOATTL != nil {
			ttl = *req.SOATTL
		}
		ns.Properties.DnsProperties = &cloudmap.DnsProperties{HostedZoneId: zoneID, SOA: cloudmap.NewSOA(ttl)}
	}
	return ns
}

// UpdateHttpNamespace submits a change of an HTTP namespace's description.
// Errors: InvalidInput, NamespaceNotFound, DuplicateRequest.
func (r *Registry) UpdateHttpNamespace(ctx context.Context, in *cloudmap.UpdateHttpNamespaceInput) (*cloudmap.OperationOutput, error) {
	if in == nil {
		return nil, invalid("Id is required")
	}
	if in.Namespace != nil && in.Namespace.Description == nil {
		return nil, invalid("Namespace.Description is required")
	}
	if in.Namespace != nil && in.Namespace.Properties != nil {
		return nil, invalid("Namespace.Properties cannot be changed for an HTTP namespace")
	}
	return r.updateNamespace(ctx, cloudmap.NamespaceHTTP, in.Id, in.UpdaterRequestId, in.Namespace)
}

// UpdatePrivateDnsNamespace submits a change of a private DNS namespace's
// description or SOA TTL. Errors as UpdateHttpNamespace.
func (r *Registry) UpdatePrivateDnsNamespace(ctx context.Context, in *cloudmap.UpdateDnsNamespaceInput) (*cloudmap.OperationOutput, error) {
	if in == nil {
		return nil, invalid("Id is required")
	}
	return r.updateNamespace(ctx, cloudmap.NamespaceDNSPrivate, in.Id, in.UpdaterRequestId, in.Namespace)
}

// UpdatePublicDnsNamespace submits a change of a public DNS namespace's
// description or SOA TTL. Errors as UpdateHttpNamespace.
func (r *Registry) UpdatePublicDnsNamespace(ctx context.Context, in *cloudmap.UpdateDnsNamespaceInput) (*cloudmap.OperationOutput, error) {
	if in == nil {
		return nil, invalid("Id is required")
	}
	return r.updateNamespace(ctx, cloudmap.NamespaceDNSPublic, in.Id, in.UpdaterRequestId, in.Namespace)
}

func (r *Registry) updateNamespace(ctx context.Context, t cloudmap.NamespaceType, idOrArn, token string, change *cloudmap.NamespaceChange) (*cloudmap.OperationOutput, error) {
	if idOrArn == "" {
		return nil, invalid("Id is required")
	}
	if change == nil {
		return nil, invalid("Namespace is required")
	}
	if change.Description != nil && len(*change.Description) > maxDescription {
		return nil, invalid("Namespace.Description is longer than %d characters", maxDescription)
	}
	if _, err := soaTTL(change.Properties); err != nil {
		return nil, err
	}
	id, ok := resourceID(r.cellOf(ctx), "namespace", idOrArn)
	if !ok {
		return nil, namespaceNotFound(idOrArn)
	}
	opID := newOperationID()
	hash := requestHash(struct {
		Id     string
		Change *cloudmap.NamespaceChange
	}{id, change})
	return r.execute(ctx, "UpdateNamespace", func(tx cloudmap.Tx) (*task, error) {
		rec, err := checkIdem(tx, "nsupd", token, hash)
		if err != nil || rec != nil {
			if rec != nil {
				return replay(rec.OperationId), nil
			}
			return nil, err
		}
		ns, err := loadNamespace(tx, id)
		if err != nil {
			return nil, err
		}
		if ns.Type != t {
			return nil, invalid("Id: namespace %s is of type %s, not %s", id, ns.Type, t)
		}
		if err := checkBusy(tx, busyNSKey(id), "namespace "+id); err != nil {
			return nil, err
		}
		op := r.newOp(r.cellOf(ctx), opID, cloudmap.OpUpdateNamespace, map[string]string{cloudmap.TargetNamespace: id})
		op.NamespaceId, op.Busy, op.Change = id, busyNSKey(id), change
		if token != "" {
			if err := put(tx, idemKey("nsupd", token), idemRecord{Hash: hash, OperationId: opID}); err != nil {
				return nil, err
			}
		}
		return &task{opID: opID, job: newJob(op)}, nil
	})
}

// GetNamespace returns a namespace with its ServiceCount. Errors:
// InvalidInput, NamespaceNotFound.
func (r *Registry) GetNamespace(ctx context.Context, in *cloudmap.IdInput) (*cloudmap.GetNamespaceOutput, error) {
	if in == nil || in.Id == "" {
		return nil, invalid("Id is required")
	}
	id, ok := resourceID(r.cellOf(ctx), "namespace", in.Id)
	if !ok {
		return nil, namespaceNotFound(in.Id)
	}
	var ns *cloudmap.Namespace
	err := r.store.View(ctx, func(tx cloudmap.ReadTx) error {
		var err error
		if ns, err = loadNamespace(tx, id); err != nil {
			return err
		}
		return withServiceCount(tx, ns)
	})
	if err != nil {
		return nil, wrap("GetNamespace", err)
	}
	return &cloudmap.GetNamespaceOutput{Namespace: presentNamespace(ns)}, nil
}

// DeleteNamespace submits the deletion of a namespace without services.
// Errors: InvalidInput, NamespaceNotFound, ResourceInUse, DuplicateRequest.
func (r *Registry) DeleteNamespace(ctx context.Context, in *cloudmap.IdInput) (*cloudmap.OperationOutput, error) {
	if in == nil || in.Id == "" {
		return nil, invalid("Id is required")
	}
	id, ok := resourceID(r.cellOf(ctx), "namespace", in.Id)
	if !ok {
		return nil, namespaceNotFound(in.Id)
	}
	opID := newOperationID()
	return r.execute(ctx, "DeleteNamespace", func(tx cloudmap.Tx) (*task, error) {
		if _, err := loadNamespace(tx, id); err != nil {
			return nil, err
		}
		if err := checkBusy(tx, busyNSKey(id), "namespace "+id); err != nil {
			return nil, err
		}
		if err := checkNoServices(tx, id); err != nil {
			return nil, err
		}
		op := r.newOp(r.cellOf(ctx), opID, cloudmap.OpDeleteNamespace, map[string]string{cloudmap.TargetNamespace: id})
		op.NamespaceId, op.Busy = id, busyNSKey(id)
		return &task{opID: opID, job: newJob(op)}, nil
	})
}

func checkNoServices(tx cloudmap.ReadTx, nsID string) error {
	n, err := count(tx, svcNamePrefix(nsID))
	if err != nil {
		return err
	}
	if n > 0 {
		return cloudmap.Errorf(cloudmap.ErrResourceInUse, "namespace %s still contains %d services", nsID, n)
	}
	return nil
}

func namespaceNotFound(id string) error {
	return cloudmap.NotFound(cloudmap.ErrNamespaceNotFound, "namespace", id)
}

// loadNamespace reads a namespace or returns NamespaceNotFound.
func loadNamespace(tx cloudmap.ReadTx, id string) (*cloudmap.Namespace, error) {
	var ns cloudmap.Namespace
	found, err := getRecord(tx, cloudmap.NamespaceKey(id), &ns)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, namespaceNotFound(id)
	}
	return &ns, nil
}

// presentNamespace returns ns as the API shows it: an HTTP namespace has
// DnsProperties with an empty SOA, as real AWS output shows.
func presentNamespace(ns *cloudmap.Namespace) *cloudmap.Namespace {
	if ns.Properties.DnsProperties != nil {
		return ns
	}
	out := *ns
	out.Properties.DnsProperties = &cloudmap.DnsProperties{SOA: &cloudmap.SOA{}}
	return &out
}

func withServiceCount(tx cloudmap.ReadTx, ns *cloudmap.Namespace) error {
	n, err := count(tx, svcNamePrefix(ns.Id))
	ns.ServiceCount = int32(n)
	return err
}

// validateNamespaceName checks the name rules of each namespace type.
func validateNamespaceName(t cloudmap.NamespaceType, name string) error {
	if name == "" {
		return invalid("Name is required")
	}
	max := 253
	if t == cloudmap.NamespaceHTTP {
		max = 1024
	}
	if len(name) > max {
		return invalid("Name is longer than %d characters", max)
	}
	if strings.HasPrefix(name, "arn:") {
		return invalid("Name must not start with \"arn:\"")
	}
	for i := 0; i < len(name); i++ {
		if name[i] < '!' || name[i] > '~' {
			return invalid("Name %q contains a character that is not printable ASCII", name)
		}
	}
	if t == cloudmap.NamespaceDNSPublic && !isHostname(name) {
		return invalid("Name %q of a public DNS namespace is not a valid domain name", name)
	}
	if t.IsDNS() {
		if rule := validDNSName(name); rule != "" {
			return invalid("Name %q of a DNS namespace is not a valid DNS name: %s", name, rule)
		}
	}
	return nil
}

// isHostname reports whether name is dot-separated labels of letters, digits
// and inner hyphens, at least two labels (the model's public name pattern).
func isHostname(name string) bool {
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

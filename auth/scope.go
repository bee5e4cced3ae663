package auth

import (
	"context"
	"strings"

	"github.com/cloudmap/cloudmap"
)

// Namespace scope, per operation:
//
//   - Create*Namespace: the Name of the namespace being created.
//   - Get/Delete/Update*Namespace: Id (an ID or ARN).
//   - CreateService: NamespaceId (or the deprecated DnsConfig.NamespaceId).
//   - service and instance operations: the namespace of ServiceId (or Id).
//   - DiscoverInstances, DiscoverInstancesRevision: NamespaceName, the
//     namespace's HttpName; an allowed entry that is a namespace ID matches
//     when that namespace's HttpName is NamespaceName.
//   - TagResource, UntagResource, ListTagsForResource: the namespace of the
//     ResourceARN (the namespace itself, or the namespace of the service).
//   - ListServices and ListOperations: the values of their NAMESPACE_ID
//     filters (and SERVICE_ID filters of ListOperations); every value must
//     be in scope. Without such a filter the request is not tied to a
//     namespace.
//   - ListNamespaces and GetOperation are never tied to one namespace.
//
// A key scoped to namespaces may only make requests tied to namespaces of
// its scope; requests not tied to one namespace, and requests naming a
// namespace or service that does not exist, are denied for it (AccessDenied
// rather than NotFound, so a scoped key cannot probe for what exists). Keys
// without a namespace scope reach every operation their actions allow.

// nsRef is one namespace a request touches.
type nsRef struct {
	// raw is what the request named (ID, ARN or name), for messages.
	raw string
	// ns is the namespace when the request named an existing one.
	ns *cloudmap.Namespace
	// name is set instead of ns for a namespace being created (its Name)
	// or discovered (its HttpName).
	name     string
	discover bool
}

// authorize checks the key's action and namespace scope; the scope
// applies inside the request's cell: a namespace of another cell is
// unknown to it.
func (a *Authorizer) authorize(ctx context.Context, k *compiledKey, operation string, input any) error {
	if !k.allowsAction(operation) {
		return denied(k, operation, a.resourceOf(operation, input))
	}
	if k.allNamespaces {
		return nil
	}
	refs := a.namespacesOf(operation, input)
	if len(refs) == 0 {
		return denied(k, operation, "*")
	}
	same := func(ns *cloudmap.Namespace) bool { return a.inCell(ctx, ns) }
	for _, ref := range refs {
		if ref.ns != nil && !same(ref.ns) {
			ref.ns = nil
		}
		if !a.inScope(k, ref, same) {
			return denied(k, operation, ref.describe())
		}
	}
	if name, ok := dnsNamespaceName(input); ok && a.shadows(k, name, same) {
		return cloudmap.Errorf(cloudmap.ErrAccessDenied, "%s (a DNS namespace inside or above %s is outside the key's scope)",
			cloudmap.ErrorMessage(denied(k, operation, clip(name))), clip(name))
	}
	return nil
}

// dnsNamespaceName is the name of a DNS namespace being created.
func dnsNamespaceName(input any) (string, bool) {
	switch in := input.(type) {
	case *cloudmap.CreatePrivateDnsNamespaceInput:
		return in.Name, true
	case *cloudmap.CreatePublicDnsNamespaceInput:
		return in.Name, true
	}
	return "", false
}

// shadows reports whether a DNS namespace called name would hide, or be
// hidden by, a DNS namespace of the request's cell (same) outside k's
// scope: one with the same name, one above it (DNS answers from the most
// specific zone, so web.base.local would hide service web of base.local)
// or one below it. Namespaces of other cells are no business of the key's.
func (a *Authorizer) shadows(k *compiledKey, name string, same func(*cloudmap.Namespace) bool) bool {
	if a.resolver == nil {
		return false
	}
	name = strings.TrimSuffix(name, ".")
	outside := func(nss []*cloudmap.Namespace) bool {
		for _, ns := range nss {
			if same(ns) && !a.inScope(k, nsRef{raw: ns.Id, ns: ns}, same) {
				return true
			}
		}
		return false
	}
	for n := name; n != ""; {
		if outside(a.resolver.ZonesNamed(n)) {
			return true
		}
		_, n, _ = strings.Cut(n, ".")
	}
	return outside(a.resolver.ZonesBelow(name))
}

// allowsAction matches servicediscovery:<operation> against the key's
// action patterns.
func (k *compiledKey) allowsAction(operation string) bool {
	return k.allows(actionPrefix + operation)
}

// allows matches a full action name (service:Operation) against the key's
// action patterns.
func (k *compiledKey) allows(action string) bool {
	if k.actions == nil {
		return true
	}
	action = strings.ToLower(action)
	for _, p := range k.actions {
		if matchPattern(p, action) {
			return true
		}
	}
	return false
}

// inScope reports whether ref matches one of the key's namespaces; same
// tells the namespaces a discovery's allowed IDs may resolve to.
func (a *Authorizer) inScope(k *compiledKey, ref nsRef, same func(*cloudmap.Namespace) bool) bool {
	for _, allowed := range k.AllowedNamespaces {
		switch {
		case ref.ns != nil:
			if allowed == ref.ns.Id || allowed == ref.ns.Arn ||
				strings.EqualFold(allowed, ref.ns.Name) || strings.EqualFold(allowed, ref.ns.HttpName()) {
				return true
			}
		case ref.name == "":
			// An unknown namespace or service: never in a scope.
		case strings.EqualFold(allowed, ref.name):
			return true
		case ref.discover && a.resolver != nil:
			if ns, ok := a.resolver.Namespace(resourceID(allowed)); ok && same(ns) && strings.EqualFold(ns.HttpName(), ref.name) {
				return true
			}
		}
	}
	return false
}

// namespacesOf lists the namespaces a request touches; none when it is not
// tied to a namespace.
func (a *Authorizer) namespacesOf(operation string, input any) []nsRef {
	switch in := input.(type) {
	case *cloudmap.CreateHttpNamespaceInput:
		return []nsRef{{raw: in.Name, name: in.Name}}
	case *cloudmap.CreatePrivateDnsNamespaceInput:
		return []nsRef{{raw: in.Name, name: in.Name}}
	case *cloudmap.CreatePublicDnsNamespaceInput:
		return []nsRef{{raw: in.Name, name: in.Name}}
	case *cloudmap.UpdateHttpNamespaceInput:
		return []nsRef{a.namespaceNS(in.Id)}
	case *cloudmap.UpdateDnsNamespaceInput:
		return []nsRef{a.namespaceNS(in.Id)}
	case *cloudmap.IdInput:
		if strings.HasSuffix(operation, "Namespace") {
			return []nsRef{a.namespaceNS(in.Id)}
		}
		return []nsRef{a.serviceNS(in.Id)}
	case *cloudmap.CreateServiceInput:
		id := in.NamespaceId
		if id == "" && in.DnsConfig != nil {
			id = in.DnsConfig.NamespaceId
		}
		return []nsRef{a.namespaceNS(id)}
	case *cloudmap.UpdateServiceInput:
		return []nsRef{a.serviceNS(in.Id)}
	case *cloudmap.ServiceIdInput:
		return []nsRef{a.serviceNS(in.ServiceId)}
	case *cloudmap.UpdateServiceAttributesInput:
		return []nsRef{a.serviceNS(in.ServiceId)}
	case *cloudmap.DeleteServiceAttributesInput:
		return []nsRef{a.serviceNS(in.ServiceId)}
	case *cloudmap.RegisterInstanceInput:
		return []nsRef{a.serviceNS(in.ServiceId)}
	case *cloudmap.InstanceInput:
		return []nsRef{a.serviceNS(in.ServiceId)}
	case *cloudmap.ListInstancesInput:
		return []nsRef{a.serviceNS(in.ServiceId)}
	case *cloudmap.GetInstancesHealthStatusInput:
		return []nsRef{a.serviceNS(in.ServiceId)}
	case *cloudmap.UpdateInstanceCustomHealthStatusInput:
		return []nsRef{a.serviceNS(in.ServiceId)}
	case *cloudmap.DiscoverInstancesInput:
		return []nsRef{{raw: in.NamespaceName, name: in.NamespaceName, discover: true}}
	case *cloudmap.DiscoverInstancesRevisionInput:
		return []nsRef{{raw: in.NamespaceName, name: in.NamespaceName, discover: true}}
	case *cloudmap.TagResourceInput:
		return []nsRef{a.resource(in.ResourceARN)}
	case *cloudmap.UntagResourceInput:
		return []nsRef{a.resource(in.ResourceARN)}
	case *cloudmap.ResourceARNInput:
		return []nsRef{a.resource(in.ResourceARN)}
	case *cloudmap.ListInput:
		return a.filtered(operation, in.Filters)
	}
	return nil
}

// filtered lists the namespaces named by the NAMESPACE_ID (and, for
// ListOperations, SERVICE_ID) filters of ListServices and ListOperations.
func (a *Authorizer) filtered(operation string, filters []cloudmap.Filter) []nsRef {
	if operation != "ListServices" && operation != "ListOperations" {
		return nil
	}
	var refs []nsRef
	for _, f := range filters {
		switch {
		case f.Name == "NAMESPACE_ID":
			for _, v := range f.Values {
				refs = append(refs, a.namespaceNS(v))
			}
		case f.Name == "SERVICE_ID" && operation == "ListOperations":
			for _, v := range f.Values {
				refs = append(refs, a.serviceNS(v))
			}
		}
	}
	return refs
}

// namespaceNS resolves a namespace ID or ARN.
func (a *Authorizer) namespaceNS(idOrARN string) nsRef {
	ref := nsRef{raw: idOrARN}
	if a.resolver != nil && idOrARN != "" {
		ref.ns, _ = a.resolver.Namespace(resourceID(idOrARN))
	}
	return ref
}

// serviceNS resolves the namespace of a service ID or ARN.
func (a *Authorizer) serviceNS(idOrARN string) nsRef {
	ref := nsRef{raw: idOrARN}
	if a.resolver != nil && idOrARN != "" {
		ref.ns, _ = a.resolver.NamespaceOfService(resourceID(idOrARN))
	}
	return ref
}

// resource resolves the namespace of a namespace or service ARN.
func (a *Authorizer) resource(arn string) nsRef {
	_, res, _ := strings.Cut(arnResource(arn), "/")
	switch {
	case strings.HasPrefix(arnResource(arn), "namespace/"):
		r := a.namespaceNS(res)
		r.raw = arn
		return r
	case strings.HasPrefix(arnResource(arn), "service/"):
		r := a.serviceNS(res)
		r.raw = arn
		return r
	}
	return nsRef{raw: arn}
}

// resourceOf names what a denied request asked for, from its input alone:
// no lookups, so the message reveals nothing the caller did not send.
func (a *Authorizer) resourceOf(operation string, input any) string {
	var names []string
	// An Authorizer without a Resolver only echoes the input.
	for _, ref := range (&Authorizer{}).namespacesOf(operation, input) {
		names = append(names, ref.describe())
	}
	if len(names) == 0 {
		return "*"
	}
	return strings.Join(names, ", ")
}

// describe is the resource name of a reference in a message.
func (r nsRef) describe() string {
	if r.raw == "" {
		return "*"
	}
	if len(r.raw) > 256 {
		return r.raw[:256] + "..."
	}
	return r.raw
}

// arnResource returns the resource part of an ARN
// (arn:partition:service:region:account:resource), or s itself.
func arnResource(s string) string {
	if !strings.HasPrefix(s, "arn:") {
		return s
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 {
		return s
	}
	return parts[5]
}

// resourceID returns the ID of a namespace or service ARN, or s itself.
func resourceID(s string) string {
	res := arnResource(s)
	if res == s {
		return s
	}
	if _, id, ok := strings.Cut(res, "/"); ok {
		return id
	}
	return res
}

// denied is the AccessDeniedException for a key, action and resource.
func denied(k *compiledKey, operation, resource string) error {
	return cloudmap.Errorf(cloudmap.ErrAccessDenied, "User: %s is not authorized to perform: %s%s on resource: %s",
		k.label(), actionPrefix, operation, resource)
}

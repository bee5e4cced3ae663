package view

import (
	"context"
	"math/rand/v2"

	"github.com/cloudmap/cloudmap"
)

// DiscoverInstances limits of the model.
const (
	DefaultDiscoverMaxResults = 100
	MaxDiscoverMaxResults     = 1000
)

// DiscoverInstances returns the instances of a service found by the
// namespace's HttpName and the service name, from memory.
//
//   - NamespaceName matches the HttpName exactly, or case-insensitively for
//     DNS namespaces; ServiceName matches exactly in HTTP namespaces and
//     case-insensitively in DNS namespaces (where names differing only in
//     case cannot coexist, model doc of CreateService Name).
//   - HealthStatus defaults to HEALTHY. UNHEALTHY returns the instances
//     whose status is not HEALTHY (UNHEALTHY or UNKNOWN). HEALTHY_OR_ELSE_ALL
//     returns the healthy instances matching QueryParameters, or all the
//     matching instances when none of them is healthy (fail open). Services
//     without a health check ignore the filter and return every instance.
//   - QueryParameters must all match an attribute exactly; OptionalParameters
//     narrow the result only when at least one instance matches them too.
//   - HealthStatus in the result is the instance's status; it is UNKNOWN for
//     services without a health check, as in the AWS example answer
//     (nothing checks them), the same value GetInstancesHealthStatus gives.
//   - When more instances match than MaxResults (default 100, 1–1000), a
//     uniformly random subset is returned (selection sampling, without
//     replacement), so load spreads fairly; the order is always shuffled.
//
// The Attributes maps of the result are shared with the view and must not
// be modified. Errors: InvalidInput, NamespaceNotFound, ServiceNotFound.
func (v *View) DiscoverInstances(ctx context.Context, in *cloudmap.DiscoverInstancesInput) (*cloudmap.DiscoverInstancesOutput, error) {
	if in == nil {
		return nil, invalid("NamespaceName is required")
	}
	limit, filter, err := discoverParams(in)
	if err != nil {
		return nil, err
	}
	cell, _ := cloudmap.CellFrom(ctx)
	st, err := v.lookup(cell, in.NamespaceName, in.ServiceName, in.OwnerAccount)
	if err != nil {
		return nil, err
	}
	return &cloudmap.DiscoverInstancesOutput{
		Instances:         st.discover(filter, in.QueryParameters, in.OptionalParameters, limit),
		InstancesRevision: st.entry.Revision,
	}, nil
}

// DiscoverInstancesRevision returns the InstancesRevision of a service: the
// store revision of the last commit that registered, deregistered or
// changed the attributes or health of one of its instances (or created the
// service, or started or stopped its health checking). It is stable
// otherwise. After a restart (or a re-snapshot) it is the snapshot's
// revision: it still only grows. Errors: InvalidInput, NamespaceNotFound,
// ServiceNotFound.
func (v *View) DiscoverInstancesRevision(ctx context.Context, in *cloudmap.DiscoverInstancesRevisionInput) (*cloudmap.DiscoverInstancesRevisionOutput, error) {
	if in == nil {
		return nil, invalid("NamespaceName is required")
	}
	if err := requireNames(in.NamespaceName, in.ServiceName); err != nil {
		return nil, err
	}
	cell, _ := cloudmap.CellFrom(ctx)
	st, err := v.lookup(cell, in.NamespaceName, in.ServiceName, in.OwnerAccount)
	if err != nil {
		return nil, err
	}
	return &cloudmap.DiscoverInstancesRevisionOutput{InstancesRevision: st.entry.Revision}, nil
}

func requireNames(ns, svc string) error {
	if ns == "" {
		return invalid("NamespaceName is required")
	}
	if svc == "" {
		return invalid("ServiceName is required")
	}
	return nil
}

func discoverParams(in *cloudmap.DiscoverInstancesInput) (int, cloudmap.HealthStatusFilter, error) {
	if err := requireNames(in.NamespaceName, in.ServiceName); err != nil {
		return 0, "", err
	}
	limit := int(in.MaxResults)
	switch {
	case limit == 0:
		limit = DefaultDiscoverMaxResults
	case limit < 1 || limit > MaxDiscoverMaxResults:
		return 0, "", invalid("MaxResults %d is not between 1 and %d", in.MaxResults, MaxDiscoverMaxResults)
	}
	switch in.HealthStatus {
	case "":
		return limit, cloudmap.FilterHealthy, nil
	case cloudmap.FilterHealthy, cloudmap.FilterUnhealthy, cloudmap.FilterAll, cloudmap.FilterHealthyOrElseAll:
		return limit, in.HealthStatus, nil
	}
	return 0, "", invalid("HealthStatus %q is not HEALTHY, UNHEALTHY, ALL or HEALTHY_OR_ELSE_ALL", in.HealthStatus)
}

// lookup finds a service of the caller's cell by namespace HttpName and
// service name.
func (v *View) lookup(cell cloudmap.Cell, nsName, svcName, owner string) (*svcState, error) {
	x := &v.idx
	x.mu.RLock()
	ns := x.namespaceByHTTPName(cell, nsName)
	var slot *svcSlot
	var nsOwner string
	if ns != nil {
		slot = ns.service(svcName)
		nsOwner = ns.ns.ResourceOwner
	}
	x.mu.RUnlock()
	if ns == nil || (owner != "" && nsOwner != "" && owner != nsOwner) {
		return nil, cloudmap.NotFound(cloudmap.ErrNamespaceNotFound, "namespace named", nsName)
	}
	if slot == nil {
		return nil, cloudmap.NotFound(cloudmap.ErrServiceNotFound, "service named", svcName, "namespace "+nsName)
	}
	return slot.load(), nil
}

// pool is the set of instance indexes a query starts from; nil idx with
// all set means every instance.
type pool struct {
	idx []int32
	all bool
	n   int
}

func (p pool) at(i int) int {
	if p.all {
		return i
	}
	return int(p.idx[i])
}

// pair is one attribute condition. Conditions are copied from the request
// maps once, so matching an instance never iterates a map.
type pair struct{ k, v string }

func appendPairs(dst []pair, m map[string]string) []pair {
	for k, v := range m {
		dst = append(dst, pair{k, v})
	}
	return dst
}

func (st *svcState) pool(filter cloudmap.HealthStatusFilter, q []pair) pool {
	all := pool{all: true, n: len(st.entry.Instances)}
	if !st.checked {
		return all
	}
	switch filter {
	case cloudmap.FilterHealthy:
		return pool{idx: st.healthy, n: len(st.healthy)}
	case cloudmap.FilterUnhealthy:
		return pool{idx: st.unhealthy, n: len(st.unhealthy)}
	case cloudmap.FilterHealthyOrElseAll:
		healthy := pool{idx: st.healthy, n: len(st.healthy)}
		if len(q) == 0 && healthy.n > 0 {
			return healthy
		}
		for i := 0; i < healthy.n; i++ {
			if st.matches(healthy.at(i), q) {
				return healthy
			}
		}
	}
	return all
}

func (st *svcState) matches(i int, conds []pair) bool {
	attrs := st.entry.Instances[i].Instance.Attributes
	for _, c := range conds {
		if got, ok := attrs[c.k]; !ok || got != c.v {
			return false
		}
	}
	return true
}

// discover selects up to limit matching instances, uniformly at random
// when more match, and returns them in random order.
func (st *svcState) discover(filter cloudmap.HealthStatusFilter, qm, optm map[string]string, limit int) []cloudmap.HttpInstanceSummary {
	var buf [16]pair
	conds := appendPairs(appendPairs(buf[:0], qm), optm)
	q, opt := conds[:len(qm)], conds[len(qm):]
	p := st.pool(filter, q)
	n := p.n
	if len(conds) > 0 {
		nq, nopt := 0, 0
		for i := 0; i < p.n; i++ {
			j := p.at(i)
			if st.matches(j, q) {
				nq++
				if len(opt) > 0 && st.matches(j, opt) {
					nopt++
				}
			}
		}
		n = nq
		if nopt > 0 {
			n = nopt
		} else {
			conds = q // no instance matches the optional parameters: ignore them
		}
	}
	need := min(n, limit)
	out := make([]cloudmap.HttpInstanceSummary, 0, need)
	left := n
	for i := 0; i < p.n && need > 0; i++ {
		j := p.at(i)
		if len(conds) > 0 && !st.matches(j, conds) {
			continue
		}
		// Selection sampling (Knuth's algorithm S): keep this one with
		// probability need/left, which gives every subset the same chance.
		if need == left || rand.IntN(left) < need {
			out = append(out, st.summary(j))
			need--
		}
		left--
	}
	rand.Shuffle(len(out), func(a, b int) { out[a], out[b] = out[b], out[a] })
	return out
}

func (st *svcState) summary(i int) cloudmap.HttpInstanceSummary {
	e := &st.entry.Instances[i]
	return cloudmap.HttpInstanceSummary{
		InstanceId: e.Instance.Id, NamespaceName: st.nsName, ServiceName: st.entry.Service.Name,
		HealthStatus: e.Health, Attributes: e.Instance.Attributes,
	}
}

func invalid(format string, args ...any) error {
	return cloudmap.Errorf(cloudmap.ErrInvalidInput, format, args...)
}

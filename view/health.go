package view

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"

	"github.com/cloudmap/cloudmap"
)

// GetInstancesHealthStatus limits of the model.
const (
	DefaultHealthMaxResults = 100
	MaxHealthMaxResults     = 100
)

// GetInstancesHealthStatus returns the health of the instances of a service
// (ID or ARN), all of them or those listed in Instances, in pages of
// MaxResults (default 100, 1–100) ordered by instance ID. NextToken is
// opaque: it encodes the last instance ID returned. Instances of services
// without a health check, and of checked services before a status was
// recorded, are UNKNOWN. Errors: InvalidInput, ServiceNotFound,
// InstanceNotFound (a listed instance is not registered).
func (v *View) GetInstancesHealthStatus(ctx context.Context, in *cloudmap.GetInstancesHealthStatusInput) (*cloudmap.GetInstancesHealthStatusOutput, error) {
	if in == nil || in.ServiceId == "" {
		return nil, invalid("ServiceId is required")
	}
	limit := int(in.MaxResults)
	switch {
	case limit == 0:
		limit = DefaultHealthMaxResults
	case limit < 1 || limit > MaxHealthMaxResults:
		return nil, invalid("MaxResults %d is not between 1 and %d", in.MaxResults, MaxHealthMaxResults)
	}
	after := ""
	if in.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		if err != nil || len(b) == 0 {
			return nil, invalid("NextToken is not a token this service returned")
		}
		after = string(b)
	}
	cell, _ := cloudmap.CellFrom(ctx)
	st := v.serviceState(cell, in.ServiceId)
	if st == nil {
		return nil, cloudmap.NotFound(cloudmap.ErrServiceNotFound, "service", in.ServiceId)
	}
	insts := st.entry.Instances
	find := func(id string) (int, bool) {
		return slices.BinarySearchFunc(insts, id, func(e cloudmap.InstanceEntry, id string) int {
			return strings.Compare(e.Instance.Id, id)
		})
	}
	var pick []int // indexes into insts, in ID order
	if len(in.Instances) > 0 {
		for _, id := range in.Instances {
			i, ok := find(id)
			if !ok {
				return nil, cloudmap.NotFound(cloudmap.ErrInstanceNotFound, "instance", id, "service "+st.entry.Service.Id)
			}
			pick = append(pick, i)
		}
		slices.Sort(pick)
		pick = slices.Compact(pick)
	}
	out := &cloudmap.GetInstancesHealthStatusOutput{Status: map[string]cloudmap.HealthStatus{}}
	start, _ := find(after)
	if after != "" && start < len(insts) && insts[start].Instance.Id == after {
		start++
	}
	if pick == nil {
		for i := start; i < len(insts) && len(out.Status) < limit; i++ {
			out.Status[insts[i].Instance.Id] = insts[i].Health
		}
		if end := start + len(out.Status); end < len(insts) {
			out.NextToken = token(insts[end-1].Instance.Id)
		}
		return out, nil
	}
	from, _ := slices.BinarySearch(pick, start)
	for k := from; k < len(pick) && len(out.Status) < limit; k++ {
		out.Status[insts[pick[k]].Instance.Id] = insts[pick[k]].Health
	}
	if end := from + len(out.Status); end < len(pick) {
		out.NextToken = token(insts[pick[end-1]].Instance.Id)
	}
	return out, nil
}

func token(lastID string) string { return base64.RawURLEncoding.EncodeToString([]byte(lastID)) }

// serviceState returns the published state of a service of the cell by
// ID or ARN, or nil.
func (v *View) serviceState(cell cloudmap.Cell, idOrArn string) *svcState {
	id := idOrArn
	if strings.HasPrefix(idOrArn, "arn:") {
		i := strings.LastIndex(idOrArn, ":service/")
		if i < 0 {
			return nil
		}
		id = idOrArn[i+len(":service/"):]
	}
	v.idx.mu.RLock()
	slot := v.idx.svcByID[id]
	v.idx.mu.RUnlock()
	if slot == nil {
		return nil
	}
	st := slot.load()
	if want, ok := v.cells.id(cell); !ok || st.cell != want || id != idOrArn && st.entry.Service.Arn != idOrArn {
		return nil
	}
	return st
}

// HealthTargets returns every instance of every service with a
// HealthCheckConfig (active checks), with the stored status the checker
// starts from. The slice is new on each call; call again after Notify.
func (v *View) HealthTargets() []cloudmap.HealthTarget {
	v.idx.mu.RLock()
	slots := make([]*svcSlot, 0, len(v.idx.checked))
	for _, s := range v.idx.checked {
		slots = append(slots, s)
	}
	v.idx.mu.RUnlock()
	n := 0
	states := make([]*svcState, len(slots))
	for i, s := range slots {
		states[i] = s.load()
		n += len(states[i].entry.Instances)
	}
	slices.SortFunc(states, func(a, b *svcState) int { return strings.Compare(a.entry.Service.Id, b.entry.Service.Id) })
	out := make([]cloudmap.HealthTarget, 0, n)
	for _, st := range states {
		cfg := st.entry.Service.HealthCheckConfig
		if cfg == nil {
			continue
		}
		for _, e := range st.entry.Instances {
			out = append(out, cloudmap.HealthTarget{
				ServiceId: st.entry.Service.Id, InstanceId: e.Instance.Id, Config: *cfg,
				IPv4: e.Instance.Attributes[cloudmap.AttrIPv4], Port: e.Instance.Attributes[cloudmap.AttrPort],
				Health: e.Health, Cell: v.cells.cell(st.cell),
			})
		}
	}
	return out
}

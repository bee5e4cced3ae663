package registry

import (
	"context"
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cloudmap/cloudmap"
)

// tokenVersion prefixes every NextToken so the format can change later.
const tokenVersion = "v1."

// encodeToken returns the opaque NextToken that resumes after key.
func encodeToken(key string) string {
	if key == "" {
		return ""
	}
	return tokenVersion + base64.RawURLEncoding.EncodeToString([]byte(key))
}

// decodeToken returns the key a NextToken resumes after; the key must be
// under prefix (a token of another list, or of another service, is invalid).
func decodeToken(token, prefix string) (string, error) {
	if token == "" {
		return "", nil
	}
	rest, ok := strings.CutPrefix(token, tokenVersion)
	if ok {
		if b, err := base64.RawURLEncoding.DecodeString(rest); err == nil && strings.HasPrefix(string(b), prefix) {
			return string(b), nil
		}
	}
	return "", invalid("NextToken is invalid")
}

// pageSize checks MaxResults (1-100, 0 means the default 100).
func pageSize(n int32) (int, error) {
	switch {
	case n == 0:
		return 100, nil
	case n < 1 || n > 100:
		return 0, invalid("MaxResults %d is out of range 1-100", n)
	}
	return int(n), nil
}

// scanCheckEvery is how many keys a scan reads between two looks at its
// request's context: a scan stops soon after the client has gone.
const scanCheckEvery = 256

// scanPage returns up to max items of the keys under prefix after the key
// startAfter, in key order, for which decode says ok, and the NextToken when
// another matching key follows. Resuming after the last key returned pages
// through every key present throughout exactly once, whatever is added or
// deleted meanwhile. It stops with ctx's error when ctx ends.
func scanPage[T any](ctx context.Context, tx cloudmap.ReadTx, prefix, startAfter string, max int,
	decode func(key string, v []byte) (T, bool, error)) ([]T, string, error) {
	var (
		items   []T
		last    string
		more    bool
		scanErr error
		seen    int
	)
	err := tx.Range(prefix, startAfter, func(k string, v []byte) bool {
		if seen++; seen%scanCheckEvery == 0 {
			if scanErr = ctx.Err(); scanErr != nil {
				return false
			}
		}
		item, ok, err := decode(k, v)
		if err != nil {
			scanErr = err
			return false
		}
		if !ok {
			return true
		}
		if len(items) == max {
			more = true
			return false
		}
		items, last = append(items, item), k
		return true
	})
	if err == nil {
		err = scanErr
	}
	if err != nil {
		return nil, "", wrap("range "+prefix, err)
	}
	if !more {
		last = ""
	}
	return items, encodeToken(last), nil
}

// filterRule lists the conditions a filter name accepts; the first is the default.
type filterRule map[string][]string

// record is what a filter reads of one listed record.
type record interface {
	// field returns the value of a string filter (NAME, TYPE, STATUS, ...).
	field(name string) string
	// date returns the value of a date filter (UPDATE_DATE).
	date(name string) time.Time
}

// predicate matches one filter against a record.
type predicate func(r record) bool

// compileFilters checks filters against rules and returns one predicate
// per filter, with every value parsed once. A name or condition not
// allowed, or a name given twice (AWS's lists take one filter per name),
// is InvalidInput naming it.
func compileFilters(filters []cloudmap.Filter, rules filterRule) ([]predicate, error) {
	var preds []predicate
	for i, f := range filters {
		conds, ok := rules[f.Name]
		if !ok {
			return nil, invalid("filter name %q is not supported here", clipName(f.Name))
		}
		for _, g := range filters[:i] {
			if g.Name == f.Name {
				return nil, invalid("Filters: filter %s is given more than once; each filter name may be used once", f.Name)
			}
		}
		cond := f.Condition
		if cond == "" {
			cond = "EQ"
		}
		allowed := false
		for _, c := range conds {
			allowed = allowed || c == cond
		}
		if !allowed {
			return nil, invalid("condition %s is not supported for filter %s (use %s)", clipName(cond), f.Name, strings.Join(conds, " or "))
		}
		p, err := compileFilter(f.Name, cond, f.Values)
		if err != nil {
			return nil, err
		}
		preds = append(preds, p)
	}
	return preds, nil
}

// clipName shortens a name echoed in a message.
func clipName(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

func compileFilter(name, cond string, values []string) (predicate, error) {
	switch cond {
	case "EQ", "BEGINS_WITH":
		if len(values) != 1 {
			return nil, invalid("filter %s with condition %s takes exactly one value, got %d", name, cond, len(values))
		}
	case "IN":
		if len(values) == 0 {
			return nil, invalid("filter %s with condition IN takes at least one value", name)
		}
	case "BETWEEN":
		if len(values) != 2 {
			return nil, invalid("filter %s with condition BETWEEN takes two values, start and end, got %d", name, len(values))
		}
		from, err1 := epochSeconds(values[0])
		to, err2 := epochSeconds(values[1])
		if err1 != nil || err2 != nil {
			return nil, invalid("filter %s takes two dates in epoch seconds, got %q and %q", name,
				clipName(values[0]), clipName(values[1]))
		}
		return func(r record) bool {
			t := r.date(name)
			return !t.Before(from) && !t.After(to)
		}, nil
	}
	switch {
	case cond == "BEGINS_WITH":
		prefix := values[0]
		return func(r record) bool { return strings.HasPrefix(r.field(name), prefix) }, nil
	case len(values) == 1:
		want := values[0]
		return func(r record) bool { return r.field(name) == want }, nil
	}
	set := make(map[string]struct{}, len(values))
	for _, v := range values {
		set[v] = struct{}{}
	}
	return func(r record) bool {
		_, ok := set[r.field(name)]
		return ok
	}, nil
}

func epochSeconds(s string) (time.Time, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, invalid("not a number of seconds: %q", s)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

func matchAll(preds []predicate, r record) bool {
	for _, p := range preds {
		if !p(r) {
			return false
		}
	}
	return true
}

// opHead is the part of an operation record that ListOperations reads.
type opHead struct {
	cloudmap.Operation
	NamespaceId string
	ServiceId   string
}

// nsRecord, svcRecord and opFields are the filterable fields of the
// records the lists scan.
type (
	nsRecord  struct{ ns *cloudmap.Namespace }
	svcRecord struct{ svc *cloudmap.Service }
	opFields  struct{ op *opRecord }
)

func (r nsRecord) field(name string) string {
	switch name {
	case "TYPE":
		return string(r.ns.Type)
	case "NAME":
		return r.ns.Name
	case "HTTP_NAME":
		return r.ns.HttpName()
	}
	return resourceOwner
}

func (nsRecord) date(string) time.Time { return time.Time{} }

func (r svcRecord) field(name string) string {
	if name == "NAMESPACE_ID" {
		return r.svc.NamespaceId
	}
	return resourceOwner
}

func (svcRecord) date(string) time.Time { return time.Time{} }

func (r opFields) field(name string) string {
	switch name {
	case "NAMESPACE_ID":
		return r.op.NamespaceId
	case "SERVICE_ID":
		return r.op.ServiceId
	case "STATUS":
		return string(r.op.Status)
	case "TYPE":
		return string(r.op.Type)
	}
	return ""
}

func (r opFields) date(string) time.Time { return r.op.UpdateDate }

// resourceOwner is the RESOURCE_OWNER of everything here: one account.
const resourceOwner = "SELF"

var namespaceFilters = filterRule{
	"TYPE": {"EQ", "BEGINS_WITH"}, "NAME": {"EQ", "BEGINS_WITH"},
	"HTTP_NAME": {"EQ", "BEGINS_WITH"}, "RESOURCE_OWNER": {"EQ"},
}

// ListNamespaces lists namespaces in id order. Errors: InvalidInput.
func (r *Registry) ListNamespaces(ctx context.Context, in *cloudmap.ListInput) (*cloudmap.ListNamespacesOutput, error) {
	if in == nil {
		in = &cloudmap.ListInput{}
	}
	max, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken, cloudmap.PrefixNamespace)
	if err != nil {
		return nil, err
	}
	preds, err := compileFilters(in.Filters, namespaceFilters)
	if err != nil {
		return nil, err
	}
	out := &cloudmap.ListNamespacesOutput{}
	err = r.store.View(ctx, func(tx cloudmap.ReadTx) error {
		items, next, err := scanPage(ctx, tx, cloudmap.PrefixNamespace, after, max,
			func(_ string, v []byte) (cloudmap.NamespaceSummary, bool, error) {
				var ns cloudmap.Namespace
				if err := cloudmap.Decode(v, &ns); err != nil {
					return cloudmap.NamespaceSummary{}, false, err
				}
				if !matchAll(preds, nsRecord{&ns}) {
					return cloudmap.NamespaceSummary{}, false, nil
				}
				err := withServiceCount(tx, &ns)
				return presentNamespace(&ns).Summary(), true, err
			})
		out.Namespaces, out.NextToken = items, next
		return err
	})
	if err != nil {
		return nil, wrap("ListNamespaces", err)
	}
	if out.Namespaces == nil {
		out.Namespaces = []cloudmap.NamespaceSummary{}
	}
	return out, nil
}

var serviceFilters = filterRule{"NAMESPACE_ID": {"EQ"}, "RESOURCE_OWNER": {"EQ"}}

// ListServices lists services in id order. Errors: InvalidInput.
func (r *Registry) ListServices(ctx context.Context, in *cloudmap.ListInput) (*cloudmap.ListServicesOutput, error) {
	if in == nil {
		in = &cloudmap.ListInput{}
	}
	max, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken, cloudmap.PrefixService)
	if err != nil {
		return nil, err
	}
	filters := append([]cloudmap.Filter(nil), in.Filters...)
	for i, f := range filters {
		if f.Name == "NAMESPACE_ID" && len(f.Values) == 1 {
			id, ok := resourceID(r.cellOf(ctx), "namespace", f.Values[0])
			if !ok {
				id = "-" // an ARN of another account or kind matches nothing
			}
			filters[i].Values = []string{id}
		}
	}
	preds, err := compileFilters(filters, serviceFilters)
	if err != nil {
		return nil, err
	}
	out := &cloudmap.ListServicesOutput{}
	err = r.store.View(ctx, func(tx cloudmap.ReadTx) error {
		items, next, err := scanPage(ctx, tx, cloudmap.PrefixService, after, max,
			func(_ string, v []byte) (cloudmap.ServiceSummary, bool, error) {
				var svc cloudmap.Service
				if err := cloudmap.Decode(v, &svc); err != nil {
					return cloudmap.ServiceSummary{}, false, err
				}
				if !matchAll(preds, svcRecord{&svc}) {
					return cloudmap.ServiceSummary{}, false, nil
				}
				n, err := count(tx, cloudmap.InstancePrefix(svc.Id))
				svc.InstanceCount = int32(n)
				return present(&svc).Summary(), true, err
			})
		out.Services, out.NextToken = items, next
		return err
	})
	if err != nil {
		return nil, wrap("ListServices", err)
	}
	if out.Services == nil {
		out.Services = []cloudmap.ServiceSummary{}
	}
	return out, nil
}

var operationFilters = filterRule{
	"NAMESPACE_ID": {"EQ"}, "SERVICE_ID": {"EQ"}, "STATUS": {"EQ", "IN"},
	"TYPE": {"EQ", "IN"}, "UPDATE_DATE": {"BETWEEN"},
}

// ListOperations lists operations in id order. Errors: InvalidInput.
func (r *Registry) ListOperations(ctx context.Context, in *cloudmap.ListInput) (*cloudmap.ListOperationsOutput, error) {
	if in == nil {
		in = &cloudmap.ListInput{}
	}
	max, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken, prefixOp)
	if err != nil {
		return nil, err
	}
	preds, err := compileFilters(in.Filters, operationFilters)
	if err != nil {
		return nil, err
	}
	out := &cloudmap.ListOperationsOutput{}
	err = r.store.View(ctx, func(tx cloudmap.ReadTx) error {
		items, next, err := scanPage(ctx, tx, prefixOp, after, max,
			func(_ string, v []byte) (cloudmap.OperationSummary, bool, error) {
				var head opHead // not the payload: a scan decodes only what it reads
				if err := cloudmap.Decode(v, &head); err != nil {
					return cloudmap.OperationSummary{}, false, err
				}
				op := opRecord{Operation: head.Operation, NamespaceId: head.NamespaceId, ServiceId: head.ServiceId}
				if err := overlayStatus(tx, &op); err != nil {
					return cloudmap.OperationSummary{}, false, err
				}
				return cloudmap.OperationSummary{Id: op.Id, Status: op.Status}, matchAll(preds, opFields{&op}), nil
			})
		out.Operations, out.NextToken = items, next
		return err
	})
	if err != nil {
		return nil, wrap("ListOperations", err)
	}
	if out.Operations == nil {
		out.Operations = []cloudmap.OperationSummary{}
	}
	return out, nil
}

// ListInstances lists the instances of a service in id order. Errors:
// InvalidInput, ServiceNotFound.
func (r *Registry) ListInstances(ctx context.Context, in *cloudmap.ListInstancesInput) (*cloudmap.ListInstancesOutput, error) {
	if in == nil {
		return nil, invalid("ServiceId is required")
	}
	svcID, err := r.serviceIDInput(r.cellOf(ctx), in.ServiceId)
	if err != nil {
		return nil, err
	}
	max, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	prefix := cloudmap.InstancePrefix(svcID)
	after, err := decodeToken(in.NextToken, prefix)
	if err != nil {
		return nil, err
	}
	out := &cloudmap.ListInstancesOutput{ResourceOwner: r.cellOf(ctx).Account}
	err = r.store.View(ctx, func(tx cloudmap.ReadTx) error {
		if _, err := loadService(tx, svcID); err != nil {
			return err
		}
		items, next, err := scanPage(ctx, tx, prefix, after, max,
			func(_ string, v []byte) (cloudmap.InstanceSummary, bool, error) {
				var inst cloudmap.Instance
				if err := cloudmap.Decode(v, &inst); err != nil {
					return cloudmap.InstanceSummary{}, false, err
				}
				return cloudmap.InstanceSummary{Id: inst.Id, Attributes: inst.Attributes,
					CreatedByAccount: inst.CreatedByAccount}, true, nil
			})
		out.Instances, out.NextToken = items, next
		return err
	})
	if err != nil {
		return nil, wrap("ListInstances", err)
	}
	if out.Instances == nil {
		out.Instances = []cloudmap.InstanceSummary{}
	}
	return out, nil
}

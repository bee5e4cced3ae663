package registry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/registry"
)

// TestListFilters_OnePerName: AWS's lists take one filter per name; a name
// given twice is InvalidInput naming the filter and the rule, in every list
// (14,000 STATUS filters once cost 43 CPU-seconds).
func TestListFilters_OnePerName(t *testing.T) {
	e := newIdleEnv(t, registry.Config{})
	status := cloudmap.Filter{Name: "STATUS", Condition: "EQ", Values: []string{"SUCCESS"}}
	many := make([]cloudmap.Filter, 14000)
	for i := range many {
		many[i] = status
	}
	nsType := cloudmap.Filter{Name: "TYPE", Values: []string{"HTTP"}}
	svcNS := cloudmap.Filter{Name: "NAMESPACE_ID", Values: []string{"ns-1"}}
	calls := []struct {
		name, filter string
		call         func() error
	}{
		{"ListOperations", "STATUS", func() error {
			_, err := e.reg.ListOperations(e.ctx, &cloudmap.ListInput{Filters: many})
			return err
		}},
		{"ListNamespaces", "TYPE", func() error {
			_, err := e.reg.ListNamespaces(e.ctx, &cloudmap.ListInput{Filters: []cloudmap.Filter{nsType, nsType}})
			return err
		}},
		{"ListServices", "NAMESPACE_ID", func() error {
			_, err := e.reg.ListServices(e.ctx, &cloudmap.ListInput{Filters: []cloudmap.Filter{svcNS, svcNS}})
			return err
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			ce := wantCode(t, c.call(), cloudmap.ErrInvalidInput)
			if want := "filter " + c.filter + " is given more than once"; !strings.Contains(ce.Message, want) {
				t.Errorf("message %q does not name the rule %q", ce.Message, want)
			}
		})
	}
}

// TestListOperations_FiltersMatch: each condition selects what it says once
// its values are parsed up front (IN as a set, BETWEEN as dates).
func TestListOperations_FiltersMatch(t *testing.T) {
	e := newIdleEnv(t, registry.Config{})
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "f", NamespaceId: seedNamespace(t, e, "f.local")})
	submit(t, e, svc.Id, 5)
	f := func(name, cond string, values ...string) cloudmap.Filter {
		return cloudmap.Filter{Name: name, Condition: cond, Values: values}
	}
	cases := []struct {
		name    string
		filters []cloudmap.Filter
		want    int
	}{
		{"status IN, many values", []cloudmap.Filter{f("STATUS", "IN", append(seq("x", 50), "SUCCESS")...)}, 6},
		{"type EQ", []cloudmap.Filter{f("TYPE", "EQ", "REGISTER_INSTANCE")}, 5},
		{"service", []cloudmap.Filter{f("SERVICE_ID", "EQ", svc.Id)}, 5},
		{"dates around now", []cloudmap.Filter{f("UPDATE_DATE", "BETWEEN", "0", "99999999999")}, 6},
		{"dates long ago", []cloudmap.Filter{f("UPDATE_DATE", "BETWEEN", "0", "1000")}, 0},
		{"every filter at once", []cloudmap.Filter{f("STATUS", "IN", "SUCCESS", "FAIL"), f("TYPE", "EQ", "REGISTER_INSTANCE"),
			f("SERVICE_ID", "EQ", svc.Id), f("UPDATE_DATE", "BETWEEN", "0", "99999999999")}, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := e.reg.ListOperations(e.ctx, &cloudmap.ListInput{Filters: c.filters})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Operations) != c.want {
				t.Errorf("got %d operations, want %d", len(out.Operations), c.want)
			}
		})
	}
}

// TestListOperations_StopsWhenTheClientLeaves: a scan stops with the
// request's context instead of reading every record for nobody.
func TestListOperations_StopsWhenTheClientLeaves(t *testing.T) {
	e := newIdleEnv(t, registry.Config{})
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "c", NamespaceId: seedNamespace(t, e, "c.local")})
	submit(t, e, svc.Id, 600)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	none := []cloudmap.Filter{{Name: "TYPE", Values: []string{"DELETE_NAMESPACE"}}} // matches nothing: scans all
	_, err := e.reg.ListOperations(ctx, &cloudmap.ListInput{Filters: none})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("ListOperations with its context ended = %v, want context.Canceled", err)
	}
	if _, err := e.reg.ListOperations(e.ctx, &cloudmap.ListInput{Filters: none}); err != nil {
		t.Errorf("the same scan with a live context: %v", err)
	}
}

// submit registers n instances: n REGISTER_INSTANCE operations.
func submit(t testing.TB, e *env, svcID string, n int) {
	t.Helper()
	for i := range n {
		_, err := e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: svcID,
			InstanceId: fmt.Sprintf("i-%d", i), Attributes: attrs("AWS_INSTANCE_IPV4", "10.0.0.1")})
		if err != nil {
			t.Fatal(err)
		}
	}
}

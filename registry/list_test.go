package registry_test

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/registry"
)

func TestListNamespaces_Filters(t *testing.T) {
	e := newEnv(t, registry.Config{})
	for i := 0; i < 3; i++ {
		e.httpNamespace(t, fmt.Sprintf("list-%d", i))
	}
	e.privateNamespace(t, "priv.local")
	e.publicNamespace(t, "pub.example.com")
	f := func(name, cond string, values ...string) cloudmap.Filter {
		return cloudmap.Filter{Name: name, Condition: cond, Values: values}
	}
	cases := []struct {
		name    string
		filters []cloudmap.Filter
		want    int
	}{
		{"all", nil, 5},
		{"type EQ default", []cloudmap.Filter{f("TYPE", "", "HTTP")}, 3},
		{"type BEGINS_WITH", []cloudmap.Filter{f("TYPE", "BEGINS_WITH", "DNS_")}, 2},
		{"name EQ", []cloudmap.Filter{f("NAME", "EQ", "list-1")}, 1},
		{"name BEGINS_WITH", []cloudmap.Filter{f("NAME", "BEGINS_WITH", "list-")}, 3},
		{"http name", []cloudmap.Filter{f("HTTP_NAME", "EQ", "priv.local")}, 1},
		{"owner self", []cloudmap.Filter{f("RESOURCE_OWNER", "EQ", "SELF")}, 5},
		{"owner others", []cloudmap.Filter{f("RESOURCE_OWNER", "EQ", "OTHER_ACCOUNTS")}, 0},
		{"and", []cloudmap.Filter{f("TYPE", "EQ", "HTTP"), f("NAME", "EQ", "priv.local")}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := e.reg.ListNamespaces(e.ctx, &cloudmap.ListInput{Filters: c.filters})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Namespaces) != c.want || out.NextToken != "" {
				t.Errorf("got %d namespaces (token %q), want %d", len(out.Namespaces), out.NextToken, c.want)
			}
		})
	}
	bad := []struct {
		filter         cloudmap.Filter
		member, reason string
	}{
		{f("TYPE", "EQ", "HTTP", "DNS_PRIVATE"), "filter TYPE", "with condition EQ takes exactly one value, got 2"},
		{f("TYPE", "EQ"), "filter TYPE", "with condition EQ takes exactly one value, got 0"},
		{f("RESOURCE_OWNER", "BEGINS_WITH", "S"), "filter RESOURCE_OWNER", "condition BEGINS_WITH is not supported"},
		{f("TYPE", "IN", "HTTP"), "filter TYPE", "condition IN is not supported"},
		{f("NAMESPACE_ID", "EQ", "x"), "filter name", `"NAMESPACE_ID" is not supported here`},
	}
	for _, c := range bad {
		_, err := e.reg.ListNamespaces(e.ctx, &cloudmap.ListInput{Filters: []cloudmap.Filter{c.filter}})
		wantInvalid(t, err, c.member, c.reason)
	}
}

func TestListServices_Filters(t *testing.T) {
	e := newEnv(t, registry.Config{})
	a, b := e.httpNamespace(t, "a"), e.httpNamespace(t, "b")
	e.service(t, &cloudmap.CreateServiceInput{Name: "x", NamespaceId: a})
	e.service(t, &cloudmap.CreateServiceInput{Name: "y", NamespaceId: b})
	e.service(t, &cloudmap.CreateServiceInput{Name: "z", NamespaceId: b})
	for _, c := range []struct {
		value string
		want  int
	}{
		{a, 1}, {b, 2}, {"arn:aws:servicediscovery:us-east-1:123456789012:namespace/" + b, 2},
		{"arn:aws:servicediscovery:us-east-1:999999999999:namespace/" + b, 0}, {"ns-none", 0},
	} {
		out, err := e.reg.ListServices(e.ctx, &cloudmap.ListInput{Filters: []cloudmap.Filter{{Name: "NAMESPACE_ID", Values: []string{c.value}}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Services) != c.want {
			t.Errorf("services in %s = %d, want %d", c.value, len(out.Services), c.want)
		}
	}
	_, err := e.reg.ListServices(e.ctx, &cloudmap.ListInput{Filters: []cloudmap.Filter{{Name: "NAMESPACE_ID", Condition: "IN", Values: []string{a}}}})
	wantInvalid(t, err, "filter NAMESPACE_ID", "condition IN is not supported")
	_, err = e.reg.ListServices(e.ctx, &cloudmap.ListInput{Filters: []cloudmap.Filter{{Name: "TYPE", Values: []string{"HTTP"}}}})
	wantInvalid(t, err, "filter name", `"TYPE" is not supported here`)
}

func TestListOperations_Filters(t *testing.T) {
	e := newEnv(t, registry.Config{})
	before := time.Now().Add(-time.Minute)
	nsID := e.httpNamespace(t, "ops")
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "s", NamespaceId: nsID})
	e.register(t, svc.Id, "i-1", attrs("a", "b"))
	e.register(t, svc.Id, "i-2", attrs("a", "b"))
	out, _ := e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: "ops"})
	_ = out // NamespaceAlreadyExists: no operation
	after := time.Now().Add(time.Minute)
	sec := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	f := func(name, cond string, values ...string) cloudmap.Filter {
		return cloudmap.Filter{Name: name, Condition: cond, Values: values}
	}
	cases := []struct {
		name    string
		filters []cloudmap.Filter
		want    int
	}{
		{"all", nil, 3},
		{"type", []cloudmap.Filter{f("TYPE", "", "REGISTER_INSTANCE")}, 2},
		{"type IN", []cloudmap.Filter{f("TYPE", "IN", "REGISTER_INSTANCE", "CREATE_NAMESPACE")}, 3},
		{"status", []cloudmap.Filter{f("STATUS", "IN", "SUCCESS", "FAIL")}, 3},
		{"pending", []cloudmap.Filter{f("STATUS", "EQ", "PENDING")}, 0},
		{"namespace", []cloudmap.Filter{f("NAMESPACE_ID", "EQ", nsID)}, 3},
		{"service", []cloudmap.Filter{f("SERVICE_ID", "EQ", svc.Id)}, 2},
		{"update date", []cloudmap.Filter{f("UPDATE_DATE", "BETWEEN", sec(before), sec(after))}, 3},
		{"update date past", []cloudmap.Filter{f("UPDATE_DATE", "BETWEEN", "0", sec(before))}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := e.reg.ListOperations(e.ctx, &cloudmap.ListInput{Filters: c.filters})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Operations) != c.want {
				t.Errorf("got %d operations, want %d: %+v", len(out.Operations), c.want, out.Operations)
			}
		})
	}
	bad := []struct {
		filter         cloudmap.Filter
		member, reason string
	}{
		{f("UPDATE_DATE", "EQ", "1"), "filter UPDATE_DATE", "condition EQ is not supported"},
		{f("UPDATE_DATE", "BETWEEN", "1"), "filter UPDATE_DATE", "takes two values, start and end, got 1"},
		{f("UPDATE_DATE", "BETWEEN", "a", "b"), "filter UPDATE_DATE", `takes two dates in epoch seconds, got "a" and "b"`},
		{f("NAMESPACE_ID", "IN", nsID), "filter NAMESPACE_ID", "condition IN is not supported"},
		{f("STATUS", "BEGINS_WITH", "S"), "filter STATUS", "condition BEGINS_WITH is not supported"},
		{f("NAME", "EQ", "x"), "filter name", `"NAME" is not supported here`},
	}
	for _, c := range bad {
		_, err := e.reg.ListOperations(e.ctx, &cloudmap.ListInput{Filters: []cloudmap.Filter{c.filter}})
		wantInvalid(t, err, c.member, c.reason)
	}
}

func TestList_TokensAndPageSize(t *testing.T) {
	e := newEnv(t, registry.Config{})
	nsID := e.httpNamespace(t, "tok")
	svc := e.service(t, &cloudmap.CreateServiceInput{Name: "s", NamespaceId: nsID})
	other := e.service(t, &cloudmap.CreateServiceInput{Name: "o", NamespaceId: nsID})
	for _, id := range seq("i-", 5) {
		e.register(t, svc.Id, id, attrs("a", "b"))
	}
	page, err := e.reg.ListInstances(e.ctx, &cloudmap.ListInstancesInput{ServiceId: svc.Id, MaxResults: 2})
	if err != nil || len(page.Instances) != 2 || page.NextToken == "" || page.ResourceOwner != account {
		t.Fatalf("first page = %+v, %v", page, err)
	}
	// A token of one service's instances is invalid for another's, and for other lists.
	_, err = e.reg.ListInstances(e.ctx, &cloudmap.ListInstancesInput{ServiceId: other.Id, NextToken: page.NextToken})
	wantInvalid(t, err, "NextToken", "is invalid")
	_, err = e.reg.ListServices(e.ctx, &cloudmap.ListInput{NextToken: page.NextToken})
	wantInvalid(t, err, "NextToken", "is invalid")
	for _, tok := range []string{"garbage!", "v1.!!!", "v2.aW5zdC8"} {
		_, err = e.reg.ListNamespaces(e.ctx, &cloudmap.ListInput{NextToken: tok})
		if ie := wantCode(t, err, cloudmap.ErrInvalidInput); ie.Message != "NextToken is invalid" {
			t.Errorf("message = %q", ie.Message)
		}
	}
	for _, n := range []int32{-1, 101} {
		_, err = e.reg.ListOperations(e.ctx, &cloudmap.ListInput{MaxResults: n})
		wantInvalid(t, err, "MaxResults", fmt.Sprintf("%d is out of range 1-100", n))
	}
	// The last page has no token; an exact fit does not promise more.
	page, _ = e.reg.ListInstances(e.ctx, &cloudmap.ListInstancesInput{ServiceId: svc.Id, MaxResults: 5})
	if len(page.Instances) != 5 || page.NextToken != "" {
		t.Errorf("exact page = %d instances, token %q", len(page.Instances), page.NextToken)
	}
	_, err = e.reg.ListInstances(e.ctx, &cloudmap.ListInstancesInput{ServiceId: "srv-aaaaaaaaaaaaaaaa"})
	wantCode(t, err, cloudmap.ErrServiceNotFound)
}

// TestListServices_ExactlyOnceUnderConcurrentChanges pages through services
// while other services are created and deleted: every service present
// throughout is listed exactly once and nothing twice.
func TestListServices_ExactlyOnceUnderConcurrentChanges(t *testing.T) {
	e := newEnv(t, registry.Config{})
	nsID := e.httpNamespace(t, "page")
	original := map[string]bool{}
	for _, name := range seq("s", 60) {
		original[e.service(t, &cloudmap.CreateServiceInput{Name: name, NamespaceId: nsID}).Id] = true
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // churn: create and delete other services, bounded
		defer wg.Done()
		for i := 0; i < 500; i++ {
			select {
			case <-stop:
				return
			default:
			}
			out, err := e.reg.CreateService(e.ctx, &cloudmap.CreateServiceInput{Name: fmt.Sprintf("churn-%d", i), NamespaceId: nsID})
			if err != nil {
				t.Error(err)
				return
			}
			if i%2 == 0 {
				if _, err := e.reg.DeleteService(e.ctx, &cloudmap.IdInput{Id: out.Service.Id}); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	for round := 0; round < 5; round++ {
		seen := map[string]int{}
		token := ""
		for pages := 0; pages < 1000; pages++ {
			out, err := e.reg.ListServices(e.ctx, &cloudmap.ListInput{NextToken: token, MaxResults: 7})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Services) > 7 {
				t.Fatalf("page of %d > 7", len(out.Services))
			}
			for _, s := range out.Services {
				seen[s.Id]++
			}
			if token = out.NextToken; token == "" {
				break
			}
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("round %d: %s listed %d times", round, id, n)
			}
		}
		for id := range original {
			if seen[id] != 1 {
				t.Errorf("round %d: original service %s listed %d times", round, id, seen[id])
			}
		}
	}
	close(stop)
	wg.Wait()
}

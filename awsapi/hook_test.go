package awsapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/awsapi"
)

// denyAll rejects every request with AccessDeniedException.
type denyAll struct{}

func (denyAll) Authorize(*http.Request, []byte, string, any) (context.Context, error) {
	return nil, cloudmap.Errorf(cloudmap.ErrAccessDenied, "denied")
}

// TestHandler_HooksSeeEveryRequest: each request passes every hook once,
// outermost first, with its operation, request id and input, and failures
// before dispatch (unknown operation, validation, authorization) too, with
// the error they answer; a hook's error is the answer.
func TestHandler_HooksSeeEveryRequest(t *testing.T) {
	type seen struct {
		hook, op, reqID, code string
		input                 bool
	}
	var mu sync.Mutex
	var log []seen
	built := map[string]int{}
	record := func(name string) awsapi.Hook {
		return func(op string, next awsapi.Invoker) awsapi.Invoker {
			built[name+" "+op]++
			return func(ctx context.Context, c *awsapi.Call) (any, error) {
				out, err := next(ctx, c)
				mu.Lock()
				log = append(log, seen{name, c.Operation, c.RequestID, cloudmap.ErrorCode(err), c.Input != nil})
				mu.Unlock()
				if name == "outer" && c.Operation == "GetService" {
					return nil, cloudmap.Errorf(cloudmap.ErrServiceUnavailable, "from the hook")
				}
				return out, err
			}
		}
	}
	api := func(_ context.Context, op string, _ any) (any, error) {
		if op == "GetService" {
			return &cloudmap.ServiceOutput{}, nil
		}
		return &cloudmap.ListNamespacesOutput{}, nil
	}
	url := start(t, api, awsapi.Config{Hooks: []awsapi.Hook{record("outer"), record("inner")}})
	if built["outer DiscoverInstances"] != 1 || built["inner "+awsapi.UnknownOperation] != 1 {
		t.Errorf("hooks built per operation once: %v", built)
	}
	c := client(url)
	if _, err := c.ListNamespaces(context.Background(), &sd.ListNamespacesInput{}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetService(context.Background(), &sd.GetServiceInput{Id: aws.String("srv-1")})
	var su interface{ ErrorCode() string }
	if !errors.As(err, &su) || su.ErrorCode() != cloudmap.ErrServiceUnavailable {
		t.Errorf("GetService through a failing hook: %v, want the hook's ServiceUnavailable", err)
	}
	_, err = c.ListServices(context.Background(), &sd.ListServicesInput{MaxResults: aws.Int32(0)})
	var inv *types.InvalidInput
	if !errors.As(err, &inv) {
		t.Errorf("ListServices MaxResults 0: %v, want InvalidInput", err)
	}
	post(t, url, "Route53AutoNaming_v20170314.NoSuchThing", "{}")

	deny := start(t, api, awsapi.Config{Authorizer: denyAll{}, Hooks: []awsapi.Hook{record("outer")}})
	client(deny).ListNamespaces(context.Background(), &sd.ListNamespacesInput{})

	var got []string
	for _, s := range log {
		got = append(got, fmt.Sprintf("%s %s %s input=%v", s.hook, s.op, s.code, s.input))
		if len(s.reqID) != 36 {
			t.Errorf("%s: request id %q", s.op, s.reqID)
		}
	}
	want := []string{
		"inner ListNamespaces  input=true", "outer ListNamespaces  input=true",
		"inner GetService  input=true", "outer GetService  input=true",
		"inner ListServices InvalidInput input=false", "outer ListServices InvalidInput input=false",
		"inner UnknownOperation UnknownOperationException input=false", "outer UnknownOperation UnknownOperationException input=false",
		"outer ListNamespaces AccessDeniedException input=false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("hooks saw:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

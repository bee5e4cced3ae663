package awsapi_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/aws/smithy-go"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/awsapi"
)

// errorAs reports whether err holds a *T and returns it.
func errorAs[T error](err error) (T, bool) {
	var e T
	ok := errors.As(err, &e)
	return e, ok
}

func TestHandler_ModeledErrors(t *testing.T) {
	var next *cloudmap.Error
	url := start(t, func(context.Context, string, any) (any, error) { return nil, next }, awsapi.Config{})
	c := client(url)
	ctx := context.Background()
	s := aws.String
	calls := map[string]func() error{
		"GetNamespace": func() error { _, err := c.GetNamespace(ctx, &sd.GetNamespaceInput{Id: s("ns-1")}); return err },
		"DeregisterInstance": func() error {
			_, err := c.DeregisterInstance(ctx, &sd.DeregisterInstanceInput{ServiceId: s("srv-1"), InstanceId: s("i-1")})
			return err
		},
		"GetOperation": func() error { _, err := c.GetOperation(ctx, &sd.GetOperationInput{OperationId: s("op")}); return err },
		"TagResource": func() error {
			_, err := c.TagResource(ctx, &sd.TagResourceInput{ResourceARN: s("arn:ns"),
				Tags: []types.Tag{{Key: s("k"), Value: s("")}}})
			return err
		},
		"CreateHttpNamespace": func() error {
			_, err := c.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: s("ns")})
			return err
		},
		"CreateService": func() error { _, err := c.CreateService(ctx, &sd.CreateServiceInput{Name: s("web")}); return err },
		"DiscoverInstances": func() error {
			_, err := c.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: s("ns"), ServiceName: s("web")})
			return err
		},
		"UpdateInstanceCustomHealthStatus": func() error {
			_, err := c.UpdateInstanceCustomHealthStatus(ctx, &sd.UpdateInstanceCustomHealthStatusInput{
				ServiceId: s("srv-1"), InstanceId: s("i-1"), Status: types.CustomHealthStatusHealthy})
			return err
		},
		"UpdateServiceAttributes": func() error {
			_, err := c.UpdateServiceAttributes(ctx, &sd.UpdateServiceAttributesInput{ServiceId: s("srv-1"),
				Attributes: map[string]string{"k": "v"}})
			return err
		},
	}
	// The SDK decodes only the errors modeled for the operation called.
	opFor := map[string]string{
		cloudmap.ErrInvalidInput: "GetNamespace", cloudmap.ErrNamespaceNotFound: "GetNamespace",
		cloudmap.ErrServiceNotFound: "DeregisterInstance", cloudmap.ErrInstanceNotFound: "DeregisterInstance",
		cloudmap.ErrDuplicateRequest: "DeregisterInstance", cloudmap.ErrResourceInUse: "DeregisterInstance",
		cloudmap.ErrOperationNotFound: "GetOperation", cloudmap.ErrResourceNotFound: "TagResource",
		cloudmap.ErrTooManyTags: "TagResource", cloudmap.ErrNamespaceAlreadyExists: "CreateHttpNamespace",
		cloudmap.ErrResourceLimitExceeded: "CreateHttpNamespace", cloudmap.ErrServiceAlreadyExists: "CreateService",
		cloudmap.ErrRequestLimitExceeded: "DiscoverInstances", cloudmap.ErrCustomHealthNotFound: "UpdateInstanceCustomHealthStatus",
		cloudmap.ErrServiceAttributesLimitExceeded: "UpdateServiceAttributes",
	}
	tests := []struct {
		code   string
		fields map[string]string
		check  func(error) bool
	}{
		{cloudmap.ErrInvalidInput, nil, func(e error) bool { _, ok := errorAs[*types.InvalidInput](e); return ok }},
		{cloudmap.ErrNamespaceNotFound, nil, func(e error) bool { _, ok := errorAs[*types.NamespaceNotFound](e); return ok }},
		{cloudmap.ErrServiceNotFound, nil, func(e error) bool { _, ok := errorAs[*types.ServiceNotFound](e); return ok }},
		{cloudmap.ErrInstanceNotFound, nil, func(e error) bool { _, ok := errorAs[*types.InstanceNotFound](e); return ok }},
		{cloudmap.ErrOperationNotFound, nil, func(e error) bool { _, ok := errorAs[*types.OperationNotFound](e); return ok }},
		{cloudmap.ErrResourceNotFound, nil, func(e error) bool { _, ok := errorAs[*types.ResourceNotFoundException](e); return ok }},
		{cloudmap.ErrNamespaceAlreadyExists, map[string]string{"NamespaceId": "ns-x", "CreatorRequestId": "crid"},
			func(e error) bool {
				x, ok := errorAs[*types.NamespaceAlreadyExists](e)
				return ok && aws.ToString(x.NamespaceId) == "ns-x" && aws.ToString(x.CreatorRequestId) == "crid"
			}},
		{cloudmap.ErrServiceAlreadyExists, map[string]string{"ServiceId": "srv-x", "ServiceArn": "arn:s", "CreatorRequestId": "c"},
			func(e error) bool {
				x, ok := errorAs[*types.ServiceAlreadyExists](e)
				return ok && aws.ToString(x.ServiceId) == "srv-x" && aws.ToString(x.ServiceArn) == "arn:s" &&
					aws.ToString(x.CreatorRequestId) == "c"
			}},
		{cloudmap.ErrDuplicateRequest, map[string]string{"DuplicateOperationId": "op-1"},
			func(e error) bool {
				x, ok := errorAs[*types.DuplicateRequest](e)
				return ok && aws.ToString(x.DuplicateOperationId) == "op-1"
			}},
		{cloudmap.ErrResourceInUse, nil, func(e error) bool { _, ok := errorAs[*types.ResourceInUse](e); return ok }},
		{cloudmap.ErrResourceLimitExceeded, nil, func(e error) bool { _, ok := errorAs[*types.ResourceLimitExceeded](e); return ok }},
		{cloudmap.ErrRequestLimitExceeded, nil, func(e error) bool { _, ok := errorAs[*types.RequestLimitExceeded](e); return ok }},
		{cloudmap.ErrCustomHealthNotFound, nil, func(e error) bool { _, ok := errorAs[*types.CustomHealthNotFound](e); return ok }},
		{cloudmap.ErrServiceAttributesLimitExceeded, nil, func(e error) bool {
			_, ok := errorAs[*types.ServiceAttributesLimitExceededException](e)
			return ok
		}},
		{cloudmap.ErrTooManyTags, map[string]string{"ResourceName": "arn:ns"},
			func(e error) bool {
				x, ok := errorAs[*types.TooManyTagsException](e)
				return ok && aws.ToString(x.ResourceName) == "arn:ns"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			next = &cloudmap.Error{Code: tt.code, Message: "msg for " + tt.code, Fields: tt.fields}
			err := calls[opFor[tt.code]]()
			if err == nil || !tt.check(err) {
				t.Fatalf("got %v (%T), want typed %s with its members", err, err, tt.code)
			}
			api, ok := errorAs[smithy.APIError](err)
			if !ok {
				t.Fatalf("got %T, want a smithy.APIError", err)
			}
			if got, want := api.ErrorMessage(), "msg for "+tt.code; got != want {
				t.Errorf("message: got %q, want %q", got, want)
			}
		})
	}
}

func TestHandler_ErrorStatuses(t *testing.T) {
	var next error
	url := start(t, func(context.Context, string, any) (any, error) { return nil, next }, awsapi.Config{})
	tests := []struct {
		err        error
		wantStatus int
		wantCode   string
	}{
		{cloudmap.Errorf(cloudmap.ErrNamespaceNotFound, "x"), 400, "NamespaceNotFound"},
		{cloudmap.Errorf(cloudmap.ErrAccessDenied, "x"), 400, "AccessDeniedException"},
		{cloudmap.Errorf(cloudmap.ErrMissingAuthenticationToken, "x"), 403, "MissingAuthenticationTokenException"},
		{cloudmap.Errorf(cloudmap.ErrIncompleteSignature, "x"), 400, "IncompleteSignatureException"},
		{cloudmap.Errorf(cloudmap.ErrInvalidSignature, "x"), 403, "InvalidSignatureException"},
		{cloudmap.Errorf(cloudmap.ErrUnrecognizedClient, "x"), 403, "UnrecognizedClientException"},
		{cloudmap.Errorf(cloudmap.ErrThrottling, "x"), 400, "ThrottlingException"},
		{cloudmap.Errorf(cloudmap.ErrRequestLimitExceeded, "x"), 400, "RequestLimitExceeded"},
		{cloudmap.Errorf(cloudmap.ErrServiceUnavailable, "x"), 503, "ServiceUnavailable"},
		{cloudmap.Errorf(cloudmap.ErrNotImplemented, "x"), 501, "NotImplementedException"},
		{cloudmap.Errorf("SomethingNew", "x"), 400, "SomethingNew"},
		{errors.New("disk on fire: /secret/path"), 500, "InternalFailure"},
		{fmtWrap(cloudmap.Errorf(cloudmap.ErrServiceNotFound, "x")), 400, "ServiceNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.wantCode, func(t *testing.T) {
			next = tt.err
			r := post(t, url, targetPrefix+"GetNamespace", `{"Id":"ns-1"}`)
			if r.status != tt.wantStatus {
				t.Errorf("status: got %d, want %d", r.status, tt.wantStatus)
			}
			doc := r.doc(t)
			if got := doc["__type"]; got != tt.wantCode {
				t.Errorf("__type: got %v, want %s", got, tt.wantCode)
			}
			if got := r.header.Get("X-Amzn-ErrorType"); got != tt.wantCode {
				t.Errorf("X-Amzn-ErrorType: got %q, want %s", got, tt.wantCode)
			}
			if msg, _ := doc["Message"].(string); msg == "" || strings.Contains(msg, "secret") {
				t.Errorf("Message %q is empty or leaks the cause", msg)
			}
			if r.header.Get("X-Amzn-RequestId") == "" {
				t.Error("no x-amzn-RequestId")
			}
			if got := r.header.Get("Content-Type"); got != "application/x-amz-json-1.1" {
				t.Errorf("Content-Type: got %q", got)
			}
		})
	}
}

type wrapped struct{ err error }

func (w wrapped) Error() string { return "registry: " + w.err.Error() }
func (w wrapped) Unwrap() error { return w.err }

func fmtWrap(err error) error { return wrapped{err} }

func TestHandler_PanicIs500(t *testing.T) {
	url := start(t, func(context.Context, string, any) (any, error) { panic("boom") }, awsapi.Config{})
	r := post(t, url, targetPrefix+"GetNamespace", `{"Id":"ns-1"}`)
	if r.status != http.StatusInternalServerError || r.doc(t)["__type"] != "InternalFailure" {
		t.Errorf("got %d %s, want 500 InternalFailure", r.status, r.body)
	}
}

func TestStatusOf(t *testing.T) {
	for code, want := range map[string]int{"InvalidInput": 400, "RequestEntityTooLargeException": 413,
		"InternalFailure": 500, "UnrecognizedClientException": 403} {
		if got := awsapi.StatusOf(code); got != want {
			t.Errorf("StatusOf(%s): got %d, want %d", code, got, want)
		}
	}
}

// records is a slog handler keeping "LEVEL message" of each record.
type records struct {
	mu   sync.Mutex
	list []string
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, rec.Level.String()+" "+rec.Message)
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

func (r *records) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.list
	r.list = nil
	return l
}

// TestHandler_ErrorLogLevels: an error the client caused is answered
// without a log record; a server-side failure with an AWS code (5xx) is
// logged as a warning; an error without a code is logged as an internal
// error (its cause stays in the log), a canceled request as information.
func TestHandler_ErrorLogLevels(t *testing.T) {
	var next error
	logs := &records{}
	h := awsapi.NewHandler(&fakeAPI{Fn: func(context.Context, string, any) (any, error) { return nil, next }},
		awsapi.Config{Logger: slog.New(logs)})
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"client error", cloudmap.Errorf(cloudmap.ErrNamespaceNotFound, "x"), nil},
		{"client error with its own status", cloudmap.Errorf(cloudmap.ErrRequestEntityTooLarge, "x"), nil},
		{"service unavailable", cloudmap.Errorf(cloudmap.ErrServiceUnavailable, "x"), []string{"WARN awsapi: server error"}},
		{"not implemented", cloudmap.Errorf(cloudmap.ErrNotImplemented, "x"), []string{"WARN awsapi: server error"}},
		{"internal failure with its code", cloudmap.Errorf(cloudmap.ErrInternalFailure, "x"), nil},
		{"error without a code", errors.New("disk on fire"), []string{"ERROR awsapi: internal error"}},
		{"canceled", fmtWrap(context.Canceled), []string{"INFO awsapi: request canceled"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next = tt.err
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"Id":"ns-1"}`))
			req.Header.Set("X-Amz-Target", targetPrefix+"GetNamespace")
			h.ServeHTTP(httptest.NewRecorder(), req)
			if got := logs.take(); !slices.Equal(got, tt.want) {
				t.Errorf("logged %q, want %q", got, tt.want)
			}
		})
	}
}

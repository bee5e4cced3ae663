package awsapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/awsapi"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestHandler_Protocol(t *testing.T) {
	url := start(t, func(context.Context, string, any) (any, error) { return nil, nil }, awsapi.Config{MaxBodyBytes: 1024})
	newReq := func(method, path, ctype, target, body string) *http.Request {
		req, err := http.NewRequest(method, url+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		return req
	}
	big := `{"Id":"` + strings.Repeat("x", 2000) + `"}`
	chunked := newReq("POST", "/", "", targetPrefix+"GetNamespace", "")
	chunked.Body = io.NopCloser(strings.NewReader(big))
	chunked.ContentLength = -1
	dataHost := newReq("POST", "/", "", targetPrefix+"DiscoverInstances", `{"NamespaceName":"n","ServiceName":"s"}`)
	dataHost.Host = "data-127.0.0.1"
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"ok", newReq("POST", "/", "application/x-amz-json-1.1", targetPrefix+"GetNamespace", `{"Id":"n"}`), 200, "", ""},
		{"json content type", newReq("POST", "/", "application/json; charset=utf-8", targetPrefix+"GetNamespace", `{"Id":"n"}`), 200, "", ""},
		{"no content type", newReq("POST", "/", "", targetPrefix+"GetNamespace", `{"Id":"n"}`), 200, "", ""},
		{"data- host", dataHost, 200, "", ""},
		{"other content type", newReq("POST", "/", "text/plain", targetPrefix+"GetNamespace", `{"Id":"n"}`), 400,
			"SerializationException", "Content-Type"},
		{"GET", newReq("GET", "/", "", targetPrefix+"GetNamespace", ""), 405, "MethodNotAllowedException", "GET"},
		{"other path", newReq("POST", "/v1/x", "", targetPrefix+"GetNamespace", `{}`), 400, "UnknownOperationException", "/v1/x"},
		{"unknown target", newReq("POST", "/", "", targetPrefix+"LaunchRocket", `{}`), 400, "UnknownOperationException", "LaunchRocket"},
		{"other prefix", newReq("POST", "/", "", "DynamoDB_20120810.GetItem", `{}`), 400, "UnknownOperationException", "GetItem"},
		{"missing target", newReq("POST", "/", "", "", `{}`), 400, "UnknownOperationException", "missing X-Amz-Target"},
		{"too large by Content-Length", newReq("POST", "/", "", targetPrefix+"GetNamespace", big), 413,
			"RequestEntityTooLargeException", "1024 bytes"},
		{"too large chunked", chunked, 413, "RequestEntityTooLargeException", "1024 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, tt.req)
			if r.status != tt.wantStatus {
				t.Fatalf("status: got %d %s, want %d", r.status, r.body, tt.wantStatus)
			}
			if id := r.header.Get("X-Amzn-RequestId"); !uuidV4.MatchString(id) {
				t.Errorf("x-amzn-RequestId %q is not a UUID v4", id)
			}
			if tt.wantCode == "" {
				return
			}
			doc := r.doc(t)
			if doc["__type"] != tt.wantCode {
				t.Errorf("__type: got %v, want %s", doc["__type"], tt.wantCode)
			}
			if msg, _ := doc["Message"].(string); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q lacks %q", msg, tt.wantMsg)
			}
		})
	}
}

func TestHandler_RequestIDsDiffer(t *testing.T) {
	url := start(t, nil, awsapi.Config{})
	seen := map[string]bool{}
	for range 20 {
		id := post(t, url, targetPrefix+"GetNamespace", `{"Id":"n"}`).header.Get("X-Amzn-RequestId")
		if seen[id] {
			t.Fatalf("request id %s repeated", id)
		}
		seen[id] = true
	}
}

// recordingAuth records the calls and answers with err.
type recordingAuth struct {
	ops    []string
	inputs []any
	bodies []string
	err    error
}

func (a *recordingAuth) Authorize(r *http.Request, body []byte, op string, in any) (context.Context, error) {
	a.ops, a.inputs, a.bodies = append(a.ops, op), append(a.inputs, in), append(a.bodies, string(body))
	if a.err != nil {
		return nil, a.err
	}
	return r.Context(), nil
}

func TestHandler_Authorizer(t *testing.T) {
	auth := &recordingAuth{}
	called := 0
	url := start(t, func(context.Context, string, any) (any, error) { called++; return nil, nil }, awsapi.Config{Authorizer: auth})
	c := client(url)
	ctx := context.Background()

	if _, err := c.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("ns"),
		ServiceName: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	in, ok := auth.inputs[0].(*cloudmap.DiscoverInstancesInput)
	if auth.ops[0] != "DiscoverInstances" || !ok || in.NamespaceName != "ns" || !strings.Contains(auth.bodies[0], `"ns"`) {
		t.Errorf("authorizer got %s %#v %s", auth.ops[0], auth.inputs[0], auth.bodies[0])
	}

	auth.err = cloudmap.Errorf(cloudmap.ErrMissingAuthenticationToken, "Missing Authentication Token")
	r := post(t, url, targetPrefix+"GetNamespace", `{"Id":"n"}`)
	if r.status != 403 || r.doc(t)["__type"] != "MissingAuthenticationTokenException" || called != 1 {
		t.Errorf("rejected request: got %d %s, API called %d times, want 403 and 1", r.status, r.body, called)
	}
	// Authentication comes before unknown operations and bad bodies.
	for _, tt := range []struct{ target, body, wantOp string }{
		{"", "{}", ""},
		{targetPrefix + "Nope", "{}", "Nope"},
		{".Nope", "{}", "Nope"}, // the part after the last dot, even the first character
		{targetPrefix + "GetNamespace", "{bad", "GetNamespace"},
		{targetPrefix + "GetNamespace", "{}", "GetNamespace"},
	} {
		auth.ops, auth.inputs = nil, nil
		r := post(t, url, tt.target, tt.body)
		if r.status != 403 {
			t.Errorf("%s %s: got %d %s, want 403", tt.target, tt.body, r.status, r.body)
		}
		if len(auth.ops) != 1 || auth.ops[0] != tt.wantOp || auth.inputs[0] != nil {
			t.Errorf("%s %s: authorizer got ops %v inputs %v, want %q with nil input", tt.target, tt.body,
				auth.ops, auth.inputs, tt.wantOp)
		}
	}
	// Allowed but invalid: the decoding error is answered.
	auth.err = nil
	if r := post(t, url, targetPrefix+"GetNamespace", "{}"); r.doc(t)["__type"] != "InvalidInput" {
		t.Errorf("allowed invalid request: got %s", r.body)
	}
}

// TestHandler_Concurrent checks pooled buffers and decoders under
// concurrent requests: every answer carries its own request's values.
func TestHandler_Concurrent(t *testing.T) {
	url := start(t, func(_ context.Context, _ string, in any) (any, error) {
		id := in.(*cloudmap.IdInput).Id
		return &cloudmap.GetNamespaceOutput{Namespace: &cloudmap.Namespace{Id: id, Description: strings.Repeat(id, 50)}}, nil
	}, awsapi.Config{})
	c := client(url)
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			for i := range 25 {
				id := "ns-" + strings.Repeat(string(rune('a'+g)), i+1)
				out, err := c.GetNamespace(context.Background(), &sd.GetNamespaceInput{Id: aws.String(id)})
				if err == nil && (aws.ToString(out.Namespace.Id) != id || aws.ToString(out.Namespace.Description) != strings.Repeat(id, 50)) {
					err = fmt.Errorf("asked %s, got %s", id, aws.ToString(out.Namespace.Id))
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestHandler_LimitsAtTheirEnds: a body of exactly MaxBodyBytes is
// accepted, declared or chunked, one byte more is not; an unknown target
// is echoed whole up to 128 characters and cut beyond.
func TestHandler_LimitsAtTheirEnds(t *testing.T) {
	const limit = 64
	url := start(t, func(context.Context, string, any) (any, error) { return nil, nil }, awsapi.Config{MaxBodyBytes: limit})
	body := func(n int) string { return `{"Id":"` + strings.Repeat("x", n-len(`{"Id":""}`)) + `"}` }
	for _, c := range []struct {
		name    string
		size    int
		chunked bool
		want    string
	}{
		{"declared at the limit", limit, false, ""},
		{"declared over the limit", limit + 1, false, "RequestEntityTooLargeException"},
		{"chunked at the limit", limit, true, ""},
		{"chunked over the limit", limit + 1, true, "RequestEntityTooLargeException"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body(c.size)))
			if err != nil {
				t.Fatal(err)
			}
			if c.chunked {
				req.Body, req.ContentLength = io.NopCloser(strings.NewReader(body(c.size))), -1
			}
			req.Header.Set("X-Amz-Target", targetPrefix+"GetNamespace")
			r := do(t, req)
			if c.want == "" {
				checkAnswer(t, r, "", nil)
				return
			}
			doc := r.doc(t)
			if want := fmt.Sprintf("request body is larger than the limit of %d bytes", limit); r.status != 413 ||
				doc["__type"] != c.want || doc["Message"] != want {
				t.Errorf("got %d %s, want 413 %s %q", r.status, r.body, c.want, want)
			}
		})
	}
	for _, c := range []struct {
		name   string
		target string
		shown  string
	}{
		{"target of 128 characters", strings.Repeat("t", 128), strings.Repeat("t", 128)},
		{"target of 129 characters", strings.Repeat("t", 129), strings.Repeat("t", 128) + "..."},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkAnswer(t, post(t, url, c.target, `{}`), "UnknownOperationException",
				[]string{fmt.Sprintf("unknown operation %q: expected X-Amz-Target %s<Operation>", c.shown, targetPrefix)})
		})
	}
}

package awsapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/awsapi"
)

// FuzzHandler sends random targets and bodies. The fake API always
// succeeds, so any 5xx is a bug (a recovered panic or an internal error),
// and every answer must be well-formed.
func FuzzHandler(f *testing.F) {
	seeds := []struct{ op, body string }{
		{"DiscoverInstances", `{"NamespaceName":"ns","ServiceName":"web","QueryParameters":{"a":"b"},"MaxResults":5}`},
		{"CreateService", `{"Name":"web","DnsConfig":{"DnsRecords":[{"Type":"A","TTL":60}]},"Tags":[{"Key":"k","Value":""}]}`},
		{"RegisterInstance", `{"ServiceId":"s","InstanceId":"i","Attributes":{"AWS_INSTANCE_IPV4":"10.0.0.1"}}`},
		{"UpdatePrivateDnsNamespace", `{"Id":"n","Namespace":{"Properties":{"DnsProperties":{"SOA":{"TTL":1}}}}}`},
		{"ListOperations", `{"Filters":[{"Name":"STATUS","Values":["SUCCESS"]}]}`},
		{"GetNamespace", `{"Id":"\ud800\u00e9\"\\"}`},
		{"Nope", `[1,2,{"a":null}]`},
		{"GetNamespace", `{"Id":1e999}`},
	}
	for _, s := range seeds {
		f.Add(s.op, []byte(s.body))
	}
	var logs bytes.Buffer
	h := awsapi.NewHandler(&fakeAPI{Fn: func(context.Context, string, any) (any, error) { return nil, nil }},
		awsapi.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil)), MaxBodyBytes: 64 << 10})
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		logs.Reset()
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", "Route53AutoNaming_v20170314."+op)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q %q: %s\n%s", rec.Code, op, body, rec.Body, logs.String())
		}
		if rec.Code == 200 {
			if rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("invalid JSON answer %q", rec.Body)
			}
			return
		}
		var doc map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("error answer %q is not JSON: %v", rec.Body, err)
		}
		code, _ := doc["__type"].(string)
		switch code {
		case cloudmap.ErrSerialization, cloudmap.ErrInvalidInput, cloudmap.ErrUnknownOperation:
		default:
			t.Fatalf("unexpected code %q for %q %q", code, op, body)
		}
		if msg, _ := doc["Message"].(string); strings.TrimSpace(msg) == "" {
			t.Fatalf("empty message for %q %q", op, body)
		}
	})
}

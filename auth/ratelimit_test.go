package auth_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/auth"
)

func TestAuthorizer_RateLimit(t *testing.T) {
	other := auth.Key{Name: "other", AccessKeyID: "AKIDOTHER", SecretAccessKey: "o"}
	clock := now
	a := newAuthorizer([]auth.Key{admin, other}, func(c *auth.Config) {
		c.RateLimit, c.Burst = 1, 2
		c.Now = func() time.Time { return clock }
	})
	call := func(k auth.Key) error {
		r := sign(t, signing{id: k.AccessKeyID, secret: k.SecretAccessKey, at: clock}, "{}")
		return authorize(a, r, []byte("{}"), "ListNamespaces", &cloudmap.ListInput{})
	}
	steps := []struct {
		advance time.Duration
		key     auth.Key
		code    string
	}{
		{0, admin, ""},
		{0, admin, ""},
		{0, admin, cloudmap.ErrRequestLimitExceeded},
		{0, other, ""}, // buckets are per key
		{500 * time.Millisecond, admin, cloudmap.ErrRequestLimitExceeded},
		{500 * time.Millisecond, admin, ""},
		{0, admin, cloudmap.ErrRequestLimitExceeded},
		{10 * time.Second, admin, ""}, // refilled to the burst, not beyond
		{0, admin, ""},
		{0, admin, cloudmap.ErrRequestLimitExceeded},
	}
	for i, s := range steps {
		clock = clock.Add(s.advance)
		err := call(s.key)
		if got := cloudmap.ErrorCode(err); got != s.code {
			t.Fatalf("step %d (%s): got %v, want code %q", i, s.key.Name, err, s.code)
		}
		if err != nil && !strings.Contains(cloudmap.ErrorMessage(err), "key admin is limited to 1 requests per second (burst 2)") {
			t.Errorf("step %d: message %q", i, cloudmap.ErrorMessage(err))
		}
	}
}

func TestAuthorizer_RateLimitAnonymousPerClient(t *testing.T) {
	a := newAuthorizer(nil, func(c *auth.Config) { c.RateLimit = 1 })
	req := func(remote string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/", strings.NewReader("{}"))
		r.RemoteAddr = remote
		return r
	}
	tests := []struct {
		remote, code string
	}{
		{"127.0.0.1:1000", ""},
		{"127.0.0.1:1001", cloudmap.ErrRequestLimitExceeded}, // same client, other port
		{"[::1]:1000", ""},
	}
	for _, tt := range tests {
		checkErr(t, authorize(a, req(tt.remote), nil, "ListNamespaces", &cloudmap.ListInput{}), tt.code, "")
	}
}

func TestAuthorizer_RateLimitBucketsBounded(t *testing.T) {
	a := newAuthorizer(nil, func(c *auth.Config) { c.RateLimit, c.Burst = 1, 5 })
	for i := range auth.MaxBuckets + 100 {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/", nil)
		r.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:1", i>>16&255, i>>8&255, i&255)
		if err := authorize(a, r, nil, "ListNamespaces", &cloudmap.ListInput{}); err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
	}
	if got := auth.NumBuckets(a); got > auth.MaxBuckets {
		t.Errorf("got %d buckets, want at most %d", got, auth.MaxBuckets)
	}
}

func TestAuthorizer_RateLimitIdleBucketsDropped(t *testing.T) {
	clock := now
	a := newAuthorizer(nil, func(c *auth.Config) {
		c.RateLimit, c.Burst = 10, 1
		c.Now = func() time.Time { return clock }
	})
	for i := range 50 {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/", nil)
		r.RemoteAddr = fmt.Sprintf("10.0.0.%d:1", i)
		if err := authorize(a, r, nil, "ListNamespaces", &cloudmap.ListInput{}); err != nil {
			t.Fatal(err)
		}
	}
	clock = clock.Add(2 * time.Minute) // every bucket refilled and the sweep is due
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/", nil)
	r.RemoteAddr = "10.0.1.1:1"
	if err := authorize(a, r, nil, "ListNamespaces", &cloudmap.ListInput{}); err != nil {
		t.Fatal(err)
	}
	if got, want := auth.NumBuckets(a), 1; got != want {
		t.Errorf("got %d buckets after the idle sweep, want %d", got, want)
	}
}

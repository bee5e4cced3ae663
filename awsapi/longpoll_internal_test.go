package awsapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
)

func TestParseLongPoll(t *testing.T) {
	cases := []struct {
		name, index, wait string // "-" leaves the header out
		ok                bool
		wantIndex         int64
		wantWait          time.Duration
		errHeader, rule   string
	}{
		{"both", "42", "30s", true, 42, 30 * time.Second, "", ""},
		{"seconds", "42", "600", true, 42, 10 * time.Minute, "", ""},
		{"index alone waits the default", "42", "-", true, 42, DefaultLongPollWait, "", ""},
		{"wait alone does not wait", "-", "30s", false, 0, 30 * time.Second, "", ""},
		{"neither", "-", "-", false, 0, DefaultLongPollWait, "", ""},
		{"index zero", "0", "30s", true, 0, 30 * time.Second, "", ""},
		{"wait zero", "1", "0", true, 1, 0, "", ""},
		{"wait at the maximum", "1", "10m", true, 1, MaxLongPollWait, "", ""},
		{"index not a number", "abc", "30s", false, 0, 0, IndexHeader, "non-negative integer"},
		{"index negative", "-1", "30s", false, 0, 0, IndexHeader, "non-negative integer"},
		{"wait not a duration", "1", "soon", false, 0, 0, WaitHeader, "not a duration"},
		{"wait over 10m", "1", "10m1s", false, 0, 0, WaitHeader, "maximum of 10m"},
		{"seconds over 10m", "1", "601", false, 0, 0, WaitHeader, "maximum of 10m"},
		{"huge seconds", "1", "99999999999999999", false, 0, 0, WaitHeader, "maximum of 10m"},
		{"negative wait", "1", "-1s", false, 0, 0, WaitHeader, "negative"},
		{"negative seconds", "1", "-5", false, 0, 0, WaitHeader, "negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := http.Header{}
			if c.index != "-" {
				hdr.Set(IndexHeader, c.index)
			}
			if c.wait != "-" {
				hdr.Set(WaitHeader, c.wait)
			}
			index, wait, ok, err := parseLongPoll(hdr)
			if c.errHeader != "" {
				msg := cloudmap.ErrorMessage(err)
				if cloudmap.ErrorCode(err) != cloudmap.ErrInvalidInput || !strings.Contains(msg, c.errHeader) || !strings.Contains(msg, c.rule) {
					t.Fatalf("err %v, want InvalidInput naming %s and %q", err, c.errHeader, c.rule)
				}
				return
			}
			if err != nil || ok != c.ok || index != c.wantIndex || wait != c.wantWait {
				t.Fatalf("got %d %v %v %v, want %d %v %v", index, wait, ok, err, c.wantIndex, c.wantWait, c.ok)
			}
		})
	}
}

// TestNewExtensions_StreamLot: a handler with a change stream source hands
// HTTP/1.1 streams to a lot of streams; without one it keeps none.
func TestNewExtensions_StreamLot(t *testing.T) {
	if x := newExtensions(Config{}); x.streams != nil {
		t.Error("a stream lot without a change stream source")
	}
	if x := newExtensions(Config{Watch: noWatch{}}); x.streams == nil {
		t.Error("no stream lot for a change stream source")
	}
}

// noWatch is a WatchSource with nothing to watch.
type noWatch struct{}

func (noWatch) WatchService(cloudmap.Cell, string, string) (*cloudmap.ServiceEntry, <-chan struct{}, error) {
	return nil, nil, cloudmap.Errorf(cloudmap.ErrServiceNotFound, "none")
}

func (noWatch) WatchNamespace(cloudmap.Cell, string) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, <-chan struct{}, error) {
	return nil, nil, 0, nil, cloudmap.Errorf(cloudmap.ErrNamespaceNotFound, "none")
}

func (noWatch) AfterService(cloudmap.Cell, string, string, func()) (*cloudmap.ServiceEntry, error) {
	return nil, cloudmap.Errorf(cloudmap.ErrServiceNotFound, "none")
}

func (noWatch) AfterNamespace(cloudmap.Cell, string, func()) (*cloudmap.Namespace, []*cloudmap.ServiceEntry, uint32, error) {
	return nil, nil, 0, cloudmap.Errorf(cloudmap.ErrNamespaceNotFound, "none")
}

package awsapi

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap"
)

// TestReadBody_GrowsWithBytesReceived: a request that declares a
// Content-Length of 1 MiB and then stalls after 150 bytes holds a buffer
// the size of what arrived, not of what was declared.
func TestReadBody_GrowsWithBytesReceived(t *testing.T) {
	h := NewHandler(nil, Config{}).(*handler)
	stalled := errors.New("client stalled")
	body := io.MultiReader(strings.NewReader(strings.Repeat("x", 150)), errReader{stalled})
	r := httptest.NewRequest(http.MethodPost, "/", body)
	r.ContentLength = 1 << 20
	buf, err := h.readBody(httptest.NewRecorder(), r)
	if cloudmap.ErrorCode(err) != cloudmap.ErrSerialization || !strings.Contains(cloudmap.ErrorMessage(err), "client stalled") {
		t.Fatalf("readBody error = %v, want SerializationException naming the read error", err)
	}
	if buf.Len() != 150 || buf.Cap() > 4096 {
		t.Errorf("after 150 bytes of a declared 1 MiB the buffer holds %d bytes in a capacity of %d; want 150 in at most 4096",
			buf.Len(), buf.Cap())
	}
}

// TestReadBody_LimitWithoutLength: a chunked body (no Content-Length)
// longer than the limit is refused with RequestEntityTooLarge.
func TestReadBody_LimitWithoutLength(t *testing.T) {
	h := NewHandler(nil, Config{MaxBodyBytes: 100}).(*handler)
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", 101)))
	r.ContentLength = -1
	if _, err := h.readBody(httptest.NewRecorder(), r); cloudmap.ErrorCode(err) != cloudmap.ErrRequestEntityTooLarge {
		t.Errorf("101 bytes without a length over a limit of 100: error %v, want RequestEntityTooLarge", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

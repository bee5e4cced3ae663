package awsapi

import (
	"bytes"
	"regexp"
	"testing"
)

// TestHandler_PoolKeepsOnlySmallBuffers: body buffers, answer buffers and
// decoder scratch space of up to maxPooledBuffer bytes are kept for reuse,
// bigger ones are dropped, so a large request leaves no large buffer
// behind.
func TestHandler_PoolKeepsOnlySmallBuffers(t *testing.T) {
	// sync.Pool may drop what it is given (always under the race
	// detector, sometimes), so a kept buffer is one that comes back
	// within a few tries, and a dropped one never does.
	const tries = 100
	t.Run("body", func(t *testing.T) {
		h := &handler{}
		small := bytes.NewBuffer(make([]byte, 0, maxPooledBuffer))
		big := bytes.NewBuffer(make([]byte, 0, maxPooledBuffer+1))
		kept := false
		for range tries {
			h.putBuf(big)
			if h.getBuf() == big {
				t.Fatalf("a body buffer of %d bytes was kept", big.Cap())
			}
			h.putBuf(small)
			if h.getBuf() == small {
				kept = true
			}
		}
		if !kept {
			t.Errorf("a body buffer of %d bytes was never reused", maxPooledBuffer)
		}
	})
	t.Run("answer", func(t *testing.T) {
		h := &handler{}
		small, big := new([]byte), new([]byte)
		kept := false
		for range tries {
			*big = make([]byte, 10, maxPooledBuffer+1)
			h.putOut(big)
			if h.getOut() == big {
				t.Fatalf("an answer buffer of %d bytes was kept", cap(*big))
			}
			*small = make([]byte, 10, maxPooledBuffer)
			h.putOut(small)
			if got := h.getOut(); got == small {
				kept = true
				if len(*got) != 0 {
					t.Fatalf("a reused answer buffer holds %d bytes", len(*got))
				}
			}
		}
		if !kept {
			t.Errorf("an answer buffer of %d bytes was never reused", maxPooledBuffer)
		}
	})
	t.Run("decoder scratch", func(t *testing.T) {
		h := &handler{}
		for _, c := range []struct {
			size int
			kept bool
		}{{maxPooledBuffer, true}, {maxPooledBuffer + 1, false}} {
			d := &decoder{data: []byte("{}"), scratch: make([]byte, 0, c.size)}
			h.putDecoder(d)
			if kept := d.scratch != nil; kept != c.kept || d.data != nil {
				t.Errorf("scratch of %d bytes kept %v (want %v), body released %v", c.size, kept, c.kept, d.data == nil)
			}
		}
	})
}

// TestRequestID: request IDs are version 4 UUIDs (RFC 9562) in lowercase
// hex, every one of their 122 random bits drawn: across 64 IDs each random
// hex digit takes more than one value.
func TestRequestID(t *testing.T) {
	form := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	var ids []string
	for range 64 {
		id := new(respHeaders).requestID()
		if !form.MatchString(id) {
			t.Fatalf("request ID %q is not a version 4 UUID", id)
		}
		ids = append(ids, id)
	}
	for i := range ids[0] {
		if i == 8 || i == 13 || i == 14 || i == 18 || i == 23 {
			continue // hyphens and the version digit
		}
		seen := map[byte]bool{}
		for _, id := range ids {
			seen[id[i]] = true
		}
		if len(seen) < 2 {
			t.Errorf("digit %d of the request ID is %q in all %d IDs", i, ids[0][i], len(ids))
		}
	}
}

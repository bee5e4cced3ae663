package awsapi

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"unsafe"
)

func (h *handler) getBuf() *bytes.Buffer {
	if b, ok := h.bufs.Get().(*bytes.Buffer); ok {
		b.Reset()
		return b
	}
	return new(bytes.Buffer)
}

func (h *handler) putBuf(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		h.bufs.Put(b)
	}
}

// getOut returns a pooled response buffer, or an empty one that grows as
// the answer is written: a request that stalls before its answer (a slow
// body) holds no answer buffer of its own.
func (h *handler) getOut() *[]byte {
	if b, ok := h.outs.Get().(*[]byte); ok {
		return b
	}
	return new([]byte)
}

func (h *handler) putOut(b *[]byte) {
	if cap(*b) <= maxPooledBuffer {
		*b = (*b)[:0]
		h.outs.Put(b)
	}
}

func (h *handler) getDecoder() *decoder {
	if d, ok := h.decs.Get().(*decoder); ok {
		return d
	}
	return &decoder{}
}

func (h *handler) putDecoder(d *decoder) {
	d.data = nil
	if cap(d.scratch) > maxPooledBuffer {
		d.scratch = nil
	}
	h.decs.Put(d)
}

// respHeaders holds the per-request header values of an answer in one
// allocation: the request ID and the body length, as strings over its own
// bytes (never modified once set), and the one-element slices the header
// map takes.
type respHeaders struct {
	id     [36]byte
	length [20]byte
	values [2]string
	call   Call // what the hooks see
}

// requestID fills in a random (version 4) UUID and returns it. Request IDs
// need to be unique, not secret, so the runtime's fast generator serves.
func (rh *respHeaders) requestID() string {
	var u [16]byte
	a, b := rand.Uint64(), rand.Uint64()
	for i := range 8 {
		u[i], u[8+i] = byte(a>>(8*i)), byte(b>>(8*i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	s := &rh.id
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	rh.values[0] = unsafe.String(&s[0], len(s))
	return rh.values[0]
}

// requestIDHeader is the header value of the request ID.
func (rh *respHeaders) requestIDHeader() []string { return rh.values[0:1:1] }

// contentLength returns the header value of a body of n bytes.
func (rh *respHeaders) contentLength(n int) []string {
	b := strconv.AppendInt(rh.length[:0], int64(n), 10)
	rh.values[1] = unsafe.String(&b[0], len(b))
	return rh.values[1:2:2]
}

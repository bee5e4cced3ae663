package awsapi

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// What a parked long-poll keeps of its request. The hooks of its answer
// see a *http.Request (Call.Request), but keeping the request itself for
// minutes costs about a kilobyte per waiter: the request, its header map
// (a map, a slice per name and a string per value, every header the
// client sent), its URL and the strings they reach. A parked long-poll
// keeps instead one string of the few headers the hooks read
// (parkedHeaders) and the request line's parts, and rebuilds the request
// for its answer; the remote address and TLS state are its connection's,
// as they were the request's.

// parkedHeaders are the headers a parked long-poll keeps for the hooks of
// its answer: the caller (Authorization, whose access key id the access
// log reads), the operation as sent, and the long-poll's own. The others
// (User-Agent, X-Amz-Date, the body's, an SDK's invocation ids) are gone
// once the request is authorized and decoded.
var parkedHeaders = [...]string{"Authorization", "X-Amz-Target", IndexHeader, WaitHeader}

// parkedRequest is what a parked long-poll keeps of its HTTP/1.x request.
type parkedRequest struct {
	method, uri, host string
	// hdr is every value of parkedHeaders the request had, each as the
	// index of its name (one byte), the value and a newline (a value holds
	// no newline: net/http reads a header line up to one).
	hdr    string
	length int64 // ContentLength
	minor  uint8 // HTTP/1.minor
	close  bool  // Close: the client asked to close the connection
}

// parkRequest keeps of r what the hooks of its answer see (see
// parkedRequest), in few allocations that do not reach r: the request
// line's parts are substrings of the line, which they would keep.
func parkRequest(r *http.Request) parkedRequest {
	q := parkedRequest{method: intern(r.Method, http.MethodPost, http.MethodGet), uri: intern(r.RequestURI, "/"),
		host: r.Host, length: r.ContentLength, minor: uint8(min(max(r.ProtoMinor, 0), 255)), close: r.Close}
	var buf [512]byte
	b := buf[:0]
	for i, name := range parkedHeaders {
		for _, v := range r.Header[name] {
			b = append(b, byte('0'+i))
			b = append(b, v...)
			b = append(b, '\n')
		}
	}
	q.hdr = string(b)
	return q
}

// intern returns the one of common equal to s, else a copy of s.
func intern(s string, common ...string) string {
	for _, c := range common {
		if s == c {
			return c
		}
	}
	return strings.Clone(s)
}

// request rebuilds the request for the hooks: method, URL, protocol,
// Host, RemoteAddr and TLS (conn's), ContentLength, Close and the headers
// kept, without a body, with a background context.
func (q *parkedRequest) request(conn net.Conn) *http.Request {
	u, err := url.ParseRequestURI(q.uri)
	if err != nil {
		u = &url.URL{Path: q.uri}
	}
	r := &http.Request{Method: q.method, URL: u, ProtoMajor: 1, ProtoMinor: int(q.minor), Header: make(http.Header, 4),
		Body: http.NoBody, ContentLength: q.length, Close: q.close, Host: q.host, RequestURI: q.uri}
	switch q.minor {
	case 0:
		r.Proto = "HTTP/1.0"
	case 1:
		r.Proto = "HTTP/1.1"
	default:
		r.Proto = "HTTP/1." + strconv.Itoa(int(q.minor))
	}
	for line := range strings.SplitSeq(q.hdr, "\n") {
		if line != "" {
			name := parkedHeaders[line[0]-'0']
			r.Header[name] = append(r.Header[name], line[1:])
		}
	}
	if conn != nil {
		r.RemoteAddr = conn.RemoteAddr().String()
		if tc, ok := conn.(interface{ ConnectionState() tls.ConnectionState }); ok {
			cs := tc.ConnectionState()
			r.TLS = &cs
		}
	}
	return r
}

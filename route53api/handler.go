package route53api

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"

	"github.com/cloudmap/cloudmap"
)

// PathPrefix is the path every Route 53 request starts with; embed routes
// the API listener's requests under it to this package.
const PathPrefix = "/2013-04-01/"

// maxBodyBytes bounds a request body (only writes carry one, and they are
// refused; the body is read to verify its signature).
const maxBodyBytes = 1 << 20

// Zones is what the Route 53 API reads: the DNS namespaces and the record
// sets the DNS server answers from.
type Zones interface {
	// DNSNamespaces returns every DNS namespace, in any order.
	DNSNamespaces() []*cloudmap.Namespace
	// RecordSets returns every record set of the zone of ns, in any order.
	RecordSets(ns *cloudmap.Namespace) []cloudmap.RecordSet
	// RecordSetCount returns len(RecordSets(ns)), cheaply.
	RecordSetCount(ns *cloudmap.Namespace) int
}

// ZoneCheck reports whether the caller may see the hosted zone of ns (nil
// for a zone that does not exist): nil, or an AccessDenied error naming
// resource (an ARN).
type ZoneCheck = func(ns *cloudmap.Namespace, resource string) error

// Authorizer authenticates a Route 53 request (its body is the payload
// that was signed) for an operation ("" when the request matches none) on
// resource (the ARN an AccessDenied message names) and returns the
// caller's ZoneCheck, or an error with an AWS code.
type Authorizer interface {
	AuthorizeRoute53(r *http.Request, body []byte, operation, resource string) (ZoneCheck, error)
}

// HeaderChecker is an optional interface of an Authorizer.
// CheckRoute53Headers is called before the body is read and gets only the
// request's headers (and URL); an error rejects the request at once,
// without reading the body and with the connection closed after the
// answer, so that a caller without a usable key cannot make the server
// hold a body for it.
type HeaderChecker interface {
	CheckRoute53Headers(r *http.Request) error
}

// Config configures a Handler.
type Config struct {
	// Region is the VPCRegion reported for the VPC of a private zone.
	Region string
	// Authorizer checks every request; nil lets every request through.
	Authorizer Authorizer
	// Logger receives internal errors; nil discards them.
	Logger *slog.Logger
}

// Handler serves the Route 53 API. Make one with New.
type Handler struct {
	zones  Zones
	region string
	auth   Authorizer
	log    *slog.Logger
}

// New returns a Handler reading zones.
func New(zones Zones, cfg Config) *Handler {
	h := &Handler{zones: zones, region: cfg.Region, auth: cfg.Authorizer, log: cfg.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h
}

// request is one request being served.
type request struct {
	r      *http.Request
	op     string
	zoneID string // the raw zone id path segment, "" when none
	check  ZoneCheck
}

// ServeHTTP answers one Route 53 request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("route53api: panic serving request", "panic", p, "request_id", reqID, "stack", string(debug.Stack()))
			h.writeError(w, reqID, errors.New("panic"))
		}
	}()
	if hc, ok := h.auth.(HeaderChecker); ok {
		if err := hc.CheckRoute53Headers(r); err != nil {
			w.Header().Set("Connection", "close") // do not wait for the unread body
			h.writeError(w, reqID, err)
			return
		}
	}
	out, err := h.serve(r)
	if err != nil {
		h.writeError(w, reqID, err)
		return
	}
	h.writeXML(w, reqID, http.StatusOK, out)
}

// serve authorizes a request and returns the response document.
func (h *Handler) serve(r *http.Request) (any, error) {
	op, zoneID, known := match(r.Method, r.URL.EscapedPath())
	if r.Body == nil { // server requests always have one; handlers called directly may not
		r.Body = http.NoBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	if err != nil {
		return nil, cloudmap.Errorf(cloudmap.ErrRequestEntityTooLarge, "The request body is larger than %d bytes.", maxBodyBytes)
	}
	resource := "*"
	if zoneID != "" {
		resource = zoneARN(zoneID)
	}
	check := func(*cloudmap.Namespace, string) error { return nil }
	if h.auth != nil {
		if check, err = h.auth.AuthorizeRoute53(r, body, op, resource); err != nil {
			return nil, err
		}
	}
	req := &request{r: r, op: op, zoneID: zoneID, check: check}
	switch {
	case !known:
		return nil, cloudmap.Errorf(errInvalidAction, "No Route 53 operation is %s %s.", r.Method, r.URL.Path)
	case isWrite(r.Method, op):
		return nil, h.refuse(req)
	case !served[op]:
		return nil, cloudmap.Errorf(errInvalidAction,
			"cloudmap's Route 53 API serves GetHostedZone, GetHostedZoneCount, ListHostedZones, ListHostedZonesByName and ListResourceRecordSets; %s is not supported.", op)
	}
	switch op {
	case "GetHostedZone":
		return h.getHostedZone(req)
	case "GetHostedZoneCount":
		return h.getHostedZoneCount(req)
	case "ListHostedZones":
		return h.listHostedZones(req)
	case "ListHostedZonesByName":
		return h.listHostedZonesByName(req)
	default: // ListResourceRecordSets
		return h.listResourceRecordSets(req)
	}
}

// refuse answers a write: every zone here is managed by Cloud Map, and
// Route 53 refuses changes to such a zone with AccessDenied.
func (h *Handler) refuse(req *request) error {
	if req.zoneID == "" {
		return cloudmap.Errorf(cloudmap.ErrAccessDenied,
			"cloudmap serves only the hosted zones of Cloud Map DNS namespaces, which can only be managed through servicediscovery.amazonaws.com: %s is not allowed (create a DNS namespace with servicediscovery instead).", req.op)
	}
	ns, err := h.zone(req)
	if err != nil {
		return err
	}
	return cloudmap.Errorf(cloudmap.ErrAccessDenied,
		"The resource hostedzone/%s can only be managed through servicediscovery.amazonaws.com (%s): %s is not allowed on it.",
		zoneIDOf(ns), ns.Arn, req.op)
}

// writeXML writes a 200 (or error) document.
func (h *Handler) writeXML(w http.ResponseWriter, reqID string, status int, doc any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(doc); err != nil {
		h.log.Error("route53api: encode response", "request_id", reqID, "err", err)
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(xml.Header)
		xml.NewEncoder(&buf).Encode(errorResponse{RequestId: reqID,
			Error: errorXML{Type: "Receiver", Code: cloudmap.ErrInternalFailure, Message: "An internal error occurred."}})
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/xml")
	hdr.Set("Content-Length", strconv.Itoa(buf.Len()))
	hdr.Set("X-Amzn-RequestId", reqID)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// newRequestID returns a random request id in the UUID format AWS uses.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	s := hex.EncodeToString(b[:])
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

package awsapi

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"

	"github.com/cloudmap/cloudmap"
)

// errorBody appends the AWS JSON error document for err to out and returns
// the HTTP status. Errors that are not a *cloudmap.Error are internal: they
// are logged with their cause and answered 500 "internal error".
func (h *handler) errorBody(w http.ResponseWriter, out []byte, reqID string, err error) (int, []byte) {
	var ce *cloudmap.Error
	if !errors.As(err, &ce) {
		if errors.Is(err, context.Canceled) {
			h.log.Info("awsapi: request canceled", "request_id", reqID, "err", err)
		} else {
			h.log.Error("awsapi: internal error", "request_id", reqID, "err", err)
		}
		ce = &cloudmap.Error{Code: cloudmap.ErrInternalFailure, Message: "internal error (request id " + reqID + ")"}
	}
	w.Header()["X-Amzn-Errortype"] = []string{ce.Code}
	status := StatusOf(ce.Code)
	if status >= http.StatusInternalServerError && ce.Code != cloudmap.ErrInternalFailure {
		h.log.Warn("awsapi: server error", "request_id", reqID, "code", ce.Code, "message", ce.Message)
	}
	return status, appendError(out, ce)
}

// appendError writes {"__type":..., "Message":..., <Fields>}.
func appendError(b []byte, e *cloudmap.Error) []byte {
	b = append(b, `{"__type":`...)
	b = appendString(b, e.Code)
	b = append(b, `,"Message":`...)
	b = appendString(b, e.Message)
	if len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			if k != "__type" && k != "Message" && k != "message" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			b = append(b, ',')
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, e.Fields[k])
		}
	}
	return append(b, '}')
}

// writeError answers err directly; it is the last resort after a panic.
func (h *handler) writeError(w http.ResponseWriter, reqID string, err error) {
	status, body := h.errorBody(w, nil, reqID, err)
	w.Header()["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	w.Write(body)
}

// WriteError answers err in the AWS JSON error format (a *cloudmap.Error;
// anything else is an internal failure without details). It serves
// callers that refuse a request before the handler runs, such as a
// connection limit.
func WriteError(w http.ResponseWriter, err error) {
	var ce *cloudmap.Error
	if !errors.As(err, &ce) {
		ce = &cloudmap.Error{Code: cloudmap.ErrInternalFailure, Message: "internal error"}
	}
	rh := new(respHeaders)
	rh.requestID()
	hdr := w.Header()
	hdr["X-Amzn-Requestid"] = rh.requestIDHeader()
	hdr["Content-Type"] = jsonContentType
	hdr["X-Amzn-Errortype"] = []string{ce.Code}
	body := appendError(nil, ce)
	hdr["Content-Length"] = rh.contentLength(len(body))
	w.WriteHeader(StatusOf(ce.Code))
	w.Write(body)
}

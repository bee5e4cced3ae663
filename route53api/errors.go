package route53api

import (
	"net/http"

	"github.com/cloudmap/cloudmap"
)

// Route 53 error codes of the model this package answers with.
const (
	errNoSuchHostedZone    = "NoSuchHostedZone"
	errInvalidDomainName   = "InvalidDomainName"
	errNoSuchDelegationSet = "NoSuchDelegationSet"
	errInvalidAction       = "InvalidAction"
)

// wireError is how a code goes on the wire: Route 53's code and status.
type wireError struct {
	code   string
	status int
}

// wireErrors maps the codes of cloudmap.Error (its own and those of auth)
// to Route 53's. Route 53 is a REST-XML service: its authentication
// errors are the common ones of the AWS query/XML services
// (SignatureDoesNotMatch, InvalidClientTokenId, ...) rather than the JSON
// protocol's *Exception names. A code not listed is an internal error.
var wireErrors = map[string]wireError{
	cloudmap.ErrInvalidInput:               {cloudmap.ErrInvalidInput, http.StatusBadRequest},
	errNoSuchHostedZone:                    {errNoSuchHostedZone, http.StatusNotFound},
	errInvalidDomainName:                   {errInvalidDomainName, http.StatusBadRequest},
	errNoSuchDelegationSet:                 {errNoSuchDelegationSet, http.StatusBadRequest},
	errInvalidAction:                       {errInvalidAction, http.StatusBadRequest},
	cloudmap.ErrAccessDenied:               {"AccessDenied", http.StatusForbidden},
	cloudmap.ErrMissingAuthenticationToken: {"MissingAuthenticationToken", http.StatusForbidden},
	cloudmap.ErrIncompleteSignature:        {"IncompleteSignature", http.StatusBadRequest},
	cloudmap.ErrInvalidSignature:           {"SignatureDoesNotMatch", http.StatusForbidden},
	cloudmap.ErrUnrecognizedClient:         {"InvalidClientTokenId", http.StatusForbidden},
	cloudmap.ErrRequestLimitExceeded:       {"Throttling", http.StatusBadRequest},
	cloudmap.ErrThrottling:                 {"Throttling", http.StatusBadRequest},
	cloudmap.ErrRequestEntityTooLarge:      {"RequestEntityTooLarge", http.StatusRequestEntityTooLarge},
	cloudmap.ErrServiceUnavailable:         {"ServiceUnavailable", http.StatusServiceUnavailable},
}

// writeError answers err in Route 53's XML error envelope. Errors that are
// not a *cloudmap.Error with a mapped code are logged and answered 500
// InternalFailure without details.
func (h *Handler) writeError(w http.ResponseWriter, reqID string, err error) {
	we, ok := wireErrors[cloudmap.ErrorCode(err)]
	msg := cloudmap.ErrorMessage(err)
	if !ok {
		h.log.Error("route53api: internal error", "request_id", reqID, "err", err)
		we, msg = wireError{cloudmap.ErrInternalFailure, http.StatusInternalServerError}, "An internal error occurred."
	}
	kind := "Sender"
	if we.status >= 500 {
		kind = "Receiver"
	}
	h.writeXML(w, reqID, we.status, errorResponse{Error: errorXML{Type: kind, Code: we.code, Message: msg}, RequestId: reqID})
}

func invalid(format string, args ...any) error {
	return cloudmap.Errorf(cloudmap.ErrInvalidInput, format, args...)
}

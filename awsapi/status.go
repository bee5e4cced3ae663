package awsapi

import (
	"net/http"

	"github.com/cloudmap/cloudmap"
)

// Codes awsapi itself answers with that the root package does not name.
const (
	// codeMethodNotAllowed answers a request that is not a POST.
	codeMethodNotAllowed = "MethodNotAllowedException"
)

// statusByCode is the one table from error code to HTTP status. The model's
// 15 exceptions are client faults (400), as are the common errors of AWS
// JSON services except where AWS documents otherwise: the authentication
// failures MissingAuthenticationToken, InvalidSignature and
// UnrecognizedClient are 403; AccessDeniedException is 400 (the common
// errors page of the AWS JSON API references). ThrottlingException and
// RequestLimitExceeded are 400: aws-sdk-go-v2 retries them as throttles by
// code (aws/retry DefaultThrottleErrorCodes), as botocore does.
var statusByCode = map[string]int{
	cloudmap.ErrInvalidInput:                   http.StatusBadRequest,
	cloudmap.ErrNamespaceNotFound:              http.StatusBadRequest,
	cloudmap.ErrServiceNotFound:                http.StatusBadRequest,
	cloudmap.ErrInstanceNotFound:               http.StatusBadRequest,
	cloudmap.ErrOperationNotFound:              http.StatusBadRequest,
	cloudmap.ErrResourceNotFound:               http.StatusBadRequest,
	cloudmap.ErrNamespaceAlreadyExists:         http.StatusBadRequest,
	cloudmap.ErrServiceAlreadyExists:           http.StatusBadRequest,
	cloudmap.ErrDuplicateRequest:               http.StatusBadRequest,
	cloudmap.ErrResourceInUse:                  http.StatusBadRequest,
	cloudmap.ErrResourceLimitExceeded:          http.StatusBadRequest,
	cloudmap.ErrRequestLimitExceeded:           http.StatusBadRequest,
	cloudmap.ErrCustomHealthNotFound:           http.StatusBadRequest,
	cloudmap.ErrServiceAttributesLimitExceeded: http.StatusBadRequest,
	cloudmap.ErrTooManyTags:                    http.StatusBadRequest,
	cloudmap.ErrSerialization:                  http.StatusBadRequest,
	cloudmap.ErrUnknownOperation:               http.StatusBadRequest,
	cloudmap.ErrAccessDenied:                   http.StatusBadRequest,
	cloudmap.ErrMissingAuthenticationToken:     http.StatusForbidden,
	cloudmap.ErrIncompleteSignature:            http.StatusBadRequest,
	cloudmap.ErrInvalidSignature:               http.StatusForbidden,
	cloudmap.ErrUnrecognizedClient:             http.StatusForbidden,
	cloudmap.ErrThrottling:                     http.StatusBadRequest,
	cloudmap.ErrRequestEntityTooLarge:          http.StatusRequestEntityTooLarge,
	cloudmap.ErrInternalFailure:                http.StatusInternalServerError,
	cloudmap.ErrServiceUnavailable:             http.StatusServiceUnavailable,
	cloudmap.ErrNotImplemented:                 http.StatusNotImplemented,
	codeMethodNotAllowed:                       http.StatusMethodNotAllowed,
}

// StatusOf returns the HTTP status awsapi answers an error code with; codes
// it does not know are client faults (400).
func StatusOf(code string) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusBadRequest
}

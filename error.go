package cloudmap

import (
	"errors"
	"fmt"
)

// Error codes, named exactly like the AWS Cloud Map exceptions of the model
// and the common AWS errors. awsapi maps each to its HTTP status once.
const (
	ErrInvalidInput                   = "InvalidInput"
	ErrNamespaceNotFound              = "NamespaceNotFound"
	ErrServiceNotFound                = "ServiceNotFound"
	ErrInstanceNotFound               = "InstanceNotFound"
	ErrOperationNotFound              = "OperationNotFound"
	ErrResourceNotFound               = "ResourceNotFoundException"
	ErrNamespaceAlreadyExists         = "NamespaceAlreadyExists"
	ErrServiceAlreadyExists           = "ServiceAlreadyExists"
	ErrDuplicateRequest               = "DuplicateRequest"
	ErrResourceInUse                  = "ResourceInUse"
	ErrResourceLimitExceeded          = "ResourceLimitExceeded"
	ErrRequestLimitExceeded           = "RequestLimitExceeded"
	ErrCustomHealthNotFound           = "CustomHealthNotFound"
	ErrServiceAttributesLimitExceeded = "ServiceAttributesLimitExceededException"
	ErrTooManyTags                    = "TooManyTagsException"
	ErrSerialization                  = "SerializationException"
	ErrUnknownOperation               = "UnknownOperationException"
	ErrAccessDenied                   = "AccessDeniedException"
	ErrMissingAuthenticationToken     = "MissingAuthenticationTokenException"
	ErrIncompleteSignature            = "IncompleteSignatureException"
	ErrInvalidSignature               = "InvalidSignatureException"
	ErrUnrecognizedClient             = "UnrecognizedClientException"
	ErrThrottling                     = "ThrottlingException"
	ErrInternalFailure                = "InternalFailure"
	ErrServiceUnavailable             = "ServiceUnavailable"
	ErrRequestEntityTooLarge          = "RequestEntityTooLargeException"
	ErrNotImplemented                 = "NotImplementedException"
)

// Error is an error with an AWS error code. Message says which field and why.
// Fields holds the extra members some exceptions carry (NamespaceId,
// CreatorRequestId, ServiceId, ServiceArn, DuplicateOperationId,
// ResourceName), keyed by their model member name.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
}

// Error returns "Code: Message".
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// With returns e with one extra member set; it is meant for construction.
func (e *Error) With(member, value string) *Error {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	e.Fields[member] = value
	return e
}

// ErrorCode returns the AWS code of err, or "" when err is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// ErrorMessage returns the message of an *Error, or err.Error() otherwise.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// NotFound returns the error every package answers for a missing resource,
// one wording naming what was looked for: code is one of the *NotFound
// codes, kind the resource ("namespace", "service", "instance",
// "operation", "resource"), by how it was named ("namespace named" for a
// name), and id the identifier the caller gave. scope, when given, names
// the resource it was looked for in, for example "service srv-1".
func NotFound(code, kind, id string, scope ...string) *Error {
	if len(scope) > 0 {
		return Errorf(code, "%s %q not found in %s", kind, id, scope[0])
	}
	return Errorf(code, "%s %q not found", kind, id)
}

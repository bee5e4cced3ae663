package cloudmap

import "time"

// OperationType is the kind of an asynchronous operation.
type OperationType string

// Operation types of the model.
const (
	OpCreateNamespace    OperationType = "CREATE_NAMESPACE"
	OpDeleteNamespace    OperationType = "DELETE_NAMESPACE"
	OpUpdateNamespace    OperationType = "UPDATE_NAMESPACE"
	OpUpdateService      OperationType = "UPDATE_SERVICE"
	OpRegisterInstance   OperationType = "REGISTER_INSTANCE"
	OpDeregisterInstance OperationType = "DEREGISTER_INSTANCE"
)

// OperationStatus is where an operation is in its life.
type OperationStatus string

// Operation statuses of the model.
const (
	OpSubmitted OperationStatus = "SUBMITTED"
	OpPending   OperationStatus = "PENDING"
	OpSuccess   OperationStatus = "SUCCESS"
	OpFail      OperationStatus = "FAIL"
)

// Done reports whether the status is final.
func (s OperationStatus) Done() bool { return s == OpSuccess || s == OpFail }

// Operation target types (keys of Operation.Targets).
const (
	TargetNamespace = "NAMESPACE"
	TargetService   = "SERVICE"
	TargetInstance  = "INSTANCE"
)

// Operation is an asynchronous operation as returned by GetOperation.
type Operation struct {
	Id           string
	OwnerAccount string
	Type         OperationType
	Status       OperationStatus
	ErrorMessage string
	ErrorCode    string
	CreateDate   time.Time
	UpdateDate   time.Time
	Targets      map[string]string
}

// OperationSummary is an item of ListOperations.
type OperationSummary struct {
	Id     string
	Status OperationStatus
}

// Tag is a key/value tag on a namespace or a service.
type Tag struct {
	Key   string
	Value string `wire:"keep"`
}

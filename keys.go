package cloudmap

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Key prefixes of the records the view reads. registry owns every other key
// (operations, indexes, tags, idempotency records) under other prefixes,
// except lease/ (forwarded lease renewals, package lease).
const (
	PrefixNamespace = "ns/"
	PrefixService   = "svc/"
	PrefixInstance  = "inst/"
	PrefixHealth    = "health/"
)

// NamespaceKey is the key of a namespace record.
func NamespaceKey(id string) string { return PrefixNamespace + id }

// ServiceKey is the key of a service record.
func ServiceKey(id string) string { return PrefixService + id }

// InstanceKey is the key of an instance record.
func InstanceKey(serviceID, instanceID string) string {
	return PrefixInstance + serviceID + "/" + instanceID
}

// InstancePrefix is the prefix of every instance key of a service.
func InstancePrefix(serviceID string) string { return PrefixInstance + serviceID + "/" }

// HealthKey is the key of an instance's health record.
func HealthKey(serviceID, instanceID string) string {
	return PrefixHealth + serviceID + "/" + instanceID
}

// HealthPrefix is the prefix of every health key of a service.
func HealthPrefix(serviceID string) string { return PrefixHealth + serviceID + "/" }

// SplitInstanceKey returns the service and instance IDs of an instance or
// health key (with its prefix given), or ok false.
func SplitInstanceKey(prefix, key string) (serviceID, instanceID string, ok bool) {
	rest, found := strings.CutPrefix(key, prefix)
	if !found {
		return "", "", false
	}
	serviceID, instanceID, ok = strings.Cut(rest, "/")
	return serviceID, instanceID, ok && serviceID != "" && instanceID != ""
}

// Encode returns the stored form of a record.
func Encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Records are plain structs of strings, numbers, maps and times.
		panic(fmt.Sprintf("cloudmap: encode %T: %v", v, err))
	}
	return b
}

// Decode reads the stored form of a record into v.
func Decode(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("cloudmap: decode %T: %w", v, err)
	}
	return nil
}

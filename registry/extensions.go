package registry

import (
	"reflect"

	"github.com/cloudmap/cloudmap"
)

// Extension attributes (cloudmap.lease-seconds, ...) are service attributes
// like any other for GetServiceAttributes; their parsed form is copied into
// the service record (Service.Extensions), which the view and the lease
// keeper read, whenever the attributes change.

// checkExtensionInput refuses an UpdateServiceAttributes whose extension
// attributes are out of range, before anything is read.
func checkExtensionInput(attrs map[string]string) error {
	_, err := cloudmap.ParseServiceExtensions(attrs)
	return err
}

// syncExtensions writes the extensions of attrs (the service's attributes
// after an edit) into the service record when they changed. A lease needs
// a service with HealthCheckCustomConfig: only its instances have a
// health status that a lease can turn UNHEALTHY.
func syncExtensions(tx cloudmap.Tx, id string, attrs map[string]string) error {
	x, err := cloudmap.ParseServiceExtensions(attrs)
	if err != nil {
		return err
	}
	svc, err := loadService(tx, id)
	if err != nil {
		return err
	}
	if x != nil && x.LeaseSeconds > 0 && svc.HealthCheckCustomConfig == nil {
		return invalid("service attribute %s needs a service with HealthCheckCustomConfig: service %s has none",
			cloudmap.AttrLeaseSeconds, id)
	}
	if reflect.DeepEqual(x, svc.Extensions) {
		return nil
	}
	svc.Extensions = x
	return put(tx, cloudmap.ServiceKey(id), svc)
}

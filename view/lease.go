package view

import "github.com/cloudmap/cloudmap"

// LeasedServices returns the current entries of the services whose
// registrations are leases (service attribute cloudmap.lease-seconds).
func (v *View) LeasedServices() []*cloudmap.ServiceEntry {
	x := &v.idx
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []*cloudmap.ServiceEntry
	for _, sl := range x.svcByID {
		if e := sl.load().entry; e.Service.Extensions != nil && e.Service.Extensions.LeaseSeconds > 0 {
			out = append(out, e)
		}
	}
	return out
}

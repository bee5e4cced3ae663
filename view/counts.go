package view

// Counts returns how many namespaces, services and instances the view
// holds (for metrics). It walks the published services under the read
// lock, so it costs O(services): call it at scrape time, not per request.
func (v *View) Counts() (namespaces, services, instances int) {
	x := &v.idx
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, sl := range x.svcByID {
		if st := sl.load(); st != nil && st.entry != nil {
			services++
			instances += len(st.entry.Instances)
		}
	}
	return len(x.nsByID), services, instances
}

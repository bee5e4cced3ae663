package awsapi

import (
	"reflect"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
)

// TestDiffService: a change event lists the instances registered or
// changed (in id order) and those removed; a new service lists all its
// instances as changed, a service gone all as removed.
func TestDiffService(t *testing.T) {
	ns := &cloudmap.Namespace{Name: "ns", Type: cloudmap.NamespaceHTTP,
		Properties: cloudmap.NamespaceProperties{HttpProperties: &cloudmap.HttpProperties{HttpName: "ns"}}}
	inst := func(id string) cloudmap.InstanceEntry {
		return cloudmap.InstanceEntry{Instance: &cloudmap.Instance{Id: id}, Health: cloudmap.Healthy}
	}
	a, b, c := inst("a"), inst("b"), inst("c")
	bUnhealthy := cloudmap.InstanceEntry{Instance: b.Instance, Health: cloudmap.Unhealthy}
	entry := func(rev int64, is ...cloudmap.InstanceEntry) *cloudmap.ServiceEntry {
		return &cloudmap.ServiceEntry{Service: &cloudmap.Service{Name: "web"}, Namespace: ns, Revision: rev, Instances: is}
	}
	sum := func(ie cloudmap.InstanceEntry) watchInstance {
		return watchInstance{InstanceId: ie.Instance.Id, NamespaceName: "ns", ServiceName: "web", HealthStatus: ie.Health}
	}
	tests := []struct {
		name     string
		old, cur *cloudmap.ServiceEntry
		want     watchService
	}{
		{"new service", nil, entry(1, a, b), watchService{Service: "web", InstancesRevision: 1, Changed: []watchInstance{sum(a), sum(b)}}},
		{"service gone", entry(3, a, b), nil, watchService{Service: "web", InstancesRevision: 3, Removed: []string{"a", "b"}, Deleted: true}},
		{"one added, one removed, one changed", entry(1, a, b), entry(2, bUnhealthy, c),
			watchService{Service: "web", InstancesRevision: 2, Changed: []watchInstance{sum(bUnhealthy), sum(c)}, Removed: []string{"a"}}},
		{"nothing changed", entry(1, a), entry(1, a), watchService{Service: "web", InstancesRevision: 1}},
	}
	for _, tt := range tests {
		if got := diffService(tt.old, tt.cur); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// discardSink takes every write.
type discardSink struct{}

func (discardSink) write([]byte, time.Time) error { return nil }

// TestStream_FlushKeepsOnlySmallBuffers: after a flush a stream keeps a
// buffer of up to 4 KiB for the next events, not a larger one (a
// snapshot).
func TestStream_FlushKeepsOnlySmallBuffers(t *testing.T) {
	for _, c := range []struct {
		size int
		kept bool
	}{{4096, true}, {4097, false}} {
		s := &stream{h: &handler{}, out: discardSink{}, buf: make([]byte, 10, c.size)}
		if err := s.flush(); err != nil {
			t.Fatal(err)
		}
		if kept := s.buf != nil; kept != c.kept || len(s.buf) != 0 {
			t.Errorf("a buffer of %d bytes kept %v (%d bytes left), want kept %v and empty", c.size, kept, len(s.buf), c.kept)
		}
	}
}

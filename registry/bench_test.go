package registry_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/registry"
)

// BenchmarkRegisterInstance measures acknowledged registrations (one
// Store.Update each) from parallel clients while the worker applies them in
// batches. Run with -tags boltstore for the durable figure.
func BenchmarkRegisterInstance(b *testing.B) {
	b.Run("worker", func(b *testing.B) {
		e := newEnv(b, registry.Config{})
		svc := e.service(b, &cloudmap.CreateServiceInput{Name: "bench", NamespaceId: e.httpNamespace(b, "bench")})
		benchRegister(b, e, svc.Id)
	})
	// Requests alone: the cost of acknowledging, without applying.
	b.Run("requests-only", func(b *testing.B) {
		e := newIdleEnv(b, registry.Config{})
		svc := e.service(b, &cloudmap.CreateServiceInput{Name: "bench", NamespaceId: seedNamespace(b, e, "bench")})
		benchRegister(b, e, svc.Id)
	})
}

func benchRegister(b *testing.B, e *env, svcID string) {
	var n atomic.Int64
	b.SetParallelism(32) // 32 x GOMAXPROCS clients
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			_, err := e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: svcID,
				InstanceId: fmt.Sprintf("i-%d", i), CreatorRequestId: fmt.Sprintf("c-%d", i),
				Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1", "AWS_INSTANCE_PORT": "80"}})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "registrations/s")
}

// BenchmarkListOperations_FullScan is the cost of a ListOperations whose
// filters (every filter name, IN with many values) match nothing, so that
// it scans every operation: the budget is a few milliseconds per thousand
// records scanned (reported as ns/record).
func BenchmarkListOperations_FullScan(b *testing.B) {
	const records = 5000
	e := newIdleEnv(b, registry.Config{})
	svc := e.service(b, &cloudmap.CreateServiceInput{Name: "scan", NamespaceId: seedNamespace(b, e, "scan.local")})
	submit(b, e, svc.Id, records)
	in := &cloudmap.ListInput{Filters: []cloudmap.Filter{
		{Name: "STATUS", Condition: "IN", Values: append(seq("NOPE", 100), "SUCCESS")},
		{Name: "TYPE", Condition: "IN", Values: []string{"REGISTER_INSTANCE"}},
		{Name: "SERVICE_ID", Values: []string{svc.Id}},
		{Name: "NAMESPACE_ID", Values: []string{"ns-nope"}},
		{Name: "UPDATE_DATE", Condition: "BETWEEN", Values: []string{"0", "99999999999"}},
	}}
	b.ResetTimer()
	for b.Loop() {
		out, err := e.reg.ListOperations(e.ctx, in)
		if err != nil || len(out.Operations) != 0 {
			b.Fatal(err, len(out.Operations))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/records, "ns/record")
}

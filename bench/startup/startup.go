// Package startup measures how fast a cloudmap node is ready to serve after
// a restart: a store on disk holding many instances, and the view loading
// it (bolt's snapshot, decoding, building every service entry). Populate
// fills a store with a realistic population in big transactions; the
// benchmarks in this package open a bolt store filled once per run and time
// view.New(store).Start.
package startup

import (
	"context"
	"fmt"

	"github.com/cloudmap/cloudmap"
)

// Population describes what Populate writes: one HTTP namespace "bench"
// with Services services named svc-0…, PerService instances each with 4
// attributes (IPv4, port, stage, zone). Every other service has a custom
// health check, and each of its instances a health record (every fourth
// UNHEALTHY).
type Population struct {
	Services   int
	PerService int
	// ServicesPerTx is how many services (with their instances and health)
	// one transaction writes; 0 means 100.
	ServicesPerTx int
}

// Keys returns the number of keys the population stores.
func (p Population) Keys() int {
	checked := p.Services / 2
	return 1 + p.Services + p.Services*p.PerService + checked*p.PerService
}

// Instances returns the number of instances of the population.
func (p Population) Instances() int { return p.Services * p.PerService }

// Populate writes p into store and returns the revision of the last
// commit. It is meant for empty stores.
func Populate(ctx context.Context, store cloudmap.Store, p Population) (int64, error) {
	per := p.ServicesPerTx
	if per <= 0 {
		per = 100
	}
	rev, err := store.Update(ctx, func(tx cloudmap.Tx) error {
		return tx.Put(cloudmap.NamespaceKey(NamespaceID), cloudmap.Encode(namespace()))
	})
	if err != nil {
		return 0, fmt.Errorf("startup: write namespace: %w", err)
	}
	for lo := 0; lo < p.Services; lo += per {
		hi := min(lo+per, p.Services)
		rev, err = store.Update(ctx, func(tx cloudmap.Tx) error {
			for s := lo; s < hi; s++ {
				if err := putService(tx, s, p.PerService); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("startup: write services %d-%d: %w", lo, hi-1, err)
		}
	}
	return rev, nil
}

// NamespaceID is the ID of the namespace Populate writes; its name is "bench".
const NamespaceID = "ns-bench"

func namespace() *cloudmap.Namespace {
	return &cloudmap.Namespace{Id: NamespaceID, Name: "bench", Type: cloudmap.NamespaceHTTP,
		Arn:           "arn:aws:servicediscovery:us-east-1:123456789012:namespace/" + NamespaceID,
		ResourceOwner: "123456789012",
		Properties:    cloudmap.NamespaceProperties{HttpProperties: &cloudmap.HttpProperties{HttpName: "bench"}}}
}

// ServiceID returns the ID of the s-th service Populate writes.
func ServiceID(s int) string { return fmt.Sprintf("srv-%07d", s) }

// putService writes service s with its instances and health records.
func putService(tx cloudmap.Tx, s, perService int) error {
	id := ServiceID(s)
	svc := &cloudmap.Service{Id: id, NamespaceId: NamespaceID, Name: fmt.Sprintf("svc-%d", s),
		Type: cloudmap.ServiceHTTP, ResourceOwner: "123456789012", CreatedByAccount: "123456789012",
		Arn: "arn:aws:servicediscovery:us-east-1:123456789012:service/" + id}
	checked := s%2 == 1
	if checked {
		svc.HealthCheckCustomConfig = &cloudmap.HealthCheckCustomConfig{FailureThreshold: 1}
	}
	if err := tx.Put(cloudmap.ServiceKey(id), cloudmap.Encode(svc)); err != nil {
		return err
	}
	for i := range perService {
		iid := fmt.Sprintf("i-%07d-%04d", s, i)
		in := &cloudmap.Instance{Id: iid, ServiceId: id, CreatedByAccount: "123456789012",
			CreatorRequestId: fmt.Sprintf("6f1c2d9e-4b7a-4c1e-9d2f-%012d", s*perService+i),
			Attributes: map[string]string{
				cloudmap.AttrIPv4: fmt.Sprintf("10.%d.%d.%d", s/256%256, s%256, i%256),
				cloudmap.AttrPort: "8080",
				"stage":           []string{"prod", "dev"}[i%2],
				"zone":            fmt.Sprintf("us-east-1%c", 'a'+i%3),
			}}
		if err := tx.Put(cloudmap.InstanceKey(id, iid), cloudmap.Encode(in)); err != nil {
			return err
		}
		if !checked {
			continue
		}
		st := cloudmap.Healthy
		if i%4 == 3 {
			st = cloudmap.Unhealthy
		}
		if err := tx.Put(cloudmap.HealthKey(id, iid), cloudmap.Encode(&cloudmap.Health{Status: st})); err != nil {
			return err
		}
	}
	return nil
}

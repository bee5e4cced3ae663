package embed

import (
	"context"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/lease"
)

// renewing is the control plane with lease renewals (a successful
// RegisterInstance, UpdateInstanceCustomHealthStatus HEALTHY) reported to
// the lease keeper, in memory.
type renewing struct {
	cloudmap.ControlPlane
	keeper *lease.Keeper
}

func (r renewing) RegisterInstance(ctx context.Context, in *cloudmap.RegisterInstanceInput) (*cloudmap.OperationOutput, error) {
	out, err := r.ControlPlane.RegisterInstance(ctx, in)
	if err == nil {
		r.keeper.Renew(in.ServiceId, in.InstanceId)
	}
	return out, err
}

func (r renewing) UpdateInstanceCustomHealthStatus(ctx context.Context, in *cloudmap.UpdateInstanceCustomHealthStatusInput) (*cloudmap.Empty, error) {
	out, err := r.ControlPlane.UpdateInstanceCustomHealthStatus(ctx, in)
	if err == nil && in.Status == cloudmap.Healthy {
		r.keeper.Renew(in.ServiceId, in.InstanceId)
	}
	return out, err
}

// runLeases runs the lease keeper while ctx (the leadership) lasts.
func (s *Server) runLeases(ctx context.Context) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.lease.Run(ctx)
	}()
	return func() { <-done }
}

// forwardRenewals sends the lease renewals this node receives while it does
// not lead to the leader, until ctx ends (lease/forward.go).
func (s *Server) forwardRenewals(ctx context.Context) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.lease.Forward(ctx)
	}()
}

package registry

import (
	"context"

	"github.com/cloudmap/cloudmap"
)

// maxServiceAttributes is the model's limit of attributes per service.
const maxServiceAttributes = 30

func loadAttributes(tx cloudmap.ReadTx, svcID string) (map[string]string, error) {
	attrs := map[string]string{}
	if _, err := getRecord(tx, attrKey(svcID), &attrs); err != nil {
		return nil, err
	}
	return attrs, nil
}

func (r *Registry) serviceIDInput(c cloudmap.Cell, v string) (string, error) {
	if v == "" {
		return "", invalid("ServiceId is required")
	}
	id, ok := resourceID(c, "service", v)
	if !ok {
		return "", serviceNotFound(v)
	}
	return id, nil
}

// GetServiceAttributes returns the attributes of a service. Errors:
// InvalidInput, ServiceNotFound.
func (r *Registry) GetServiceAttributes(ctx context.Context, in *cloudmap.ServiceIdInput) (*cloudmap.GetServiceAttributesOutput, error) {
	if in == nil {
		return nil, invalid("ServiceId is required")
	}
	id, err := r.serviceIDInput(r.cellOf(ctx), in.ServiceId)
	if err != nil {
		return nil, err
	}
	var attrs map[string]string
	err = r.store.View(ctx, func(tx cloudmap.ReadTx) error {
		if _, err := loadService(tx, id); err != nil {
			return err
		}
		attrs, err = loadAttributes(tx, id)
		return err
	})
	if err != nil {
		return nil, wrap("GetServiceAttributes", err)
	}
	return &cloudmap.GetServiceAttributesOutput{ServiceAttributes: &cloudmap.ServiceAttributes{
		ServiceArn: arn(r.cellOf(ctx), "service", id), ResourceOwner: r.cellOf(ctx).Account, Attributes: attrs}}, nil
}

// UpdateServiceAttributes merges attributes into a service's. Errors:
// InvalidInput, ServiceNotFound, ServiceAttributesLimitExceededException.
func (r *Registry) UpdateServiceAttributes(ctx context.Context, in *cloudmap.UpdateServiceAttributesInput) (*cloudmap.Empty, error) {
	if in == nil {
		return nil, invalid("ServiceId is required")
	}
	id, err := r.serviceIDInput(r.cellOf(ctx), in.ServiceId)
	if err != nil {
		return nil, err
	}
	if len(in.Attributes) == 0 {
		return nil, invalid("Attributes needs at least one entry")
	}
	if len(in.Attributes) > maxServiceAttributes {
		return nil, invalid("Attributes has %d entries, at most %d are allowed", len(in.Attributes), maxServiceAttributes)
	}
	for k, v := range in.Attributes {
		if k == "" || len(k) > 255 {
			return nil, invalid("service attribute key %q must be 1-255 characters", k)
		}
		if len(v) > 1024 {
			return nil, invalid("the value of service attribute %q is longer than 1024 characters", k)
		}
	}
	if err := checkExtensionInput(in.Attributes); err != nil {
		return nil, err
	}
	return r.editAttributes(ctx, "UpdateServiceAttributes", id, func(attrs map[string]string) error {
		for k, v := range in.Attributes {
			attrs[k] = v
		}
		if len(attrs) > maxServiceAttributes {
			return cloudmap.Errorf(cloudmap.ErrServiceAttributesLimitExceeded,
				"service %s would have %d attributes, at most %d are allowed", id, len(attrs), maxServiceAttributes)
		}
		return nil
	})
}

// DeleteServiceAttributes removes attribute keys from a service; missing
// keys are ignored. Errors: InvalidInput, ServiceNotFound.
func (r *Registry) DeleteServiceAttributes(ctx context.Context, in *cloudmap.DeleteServiceAttributesInput) (*cloudmap.Empty, error) {
	if in == nil {
		return nil, invalid("ServiceId is required")
	}
	id, err := r.serviceIDInput(r.cellOf(ctx), in.ServiceId)
	if err != nil {
		return nil, err
	}
	if len(in.Attributes) == 0 || len(in.Attributes) > maxServiceAttributes {
		return nil, invalid("Attributes must list 1-%d keys", maxServiceAttributes)
	}
	return r.editAttributes(ctx, "DeleteServiceAttributes", id, func(attrs map[string]string) error {
		for _, k := range in.Attributes {
			delete(attrs, k)
		}
		return nil
	})
}

// editAttributes changes the attributes of service id with edit in one
// transaction; a service left without attributes loses its record. It
// returns once the view shows the change (the extension attributes act
// through the service record the view holds).
func (r *Registry) editAttributes(ctx context.Context, op, id string, edit func(map[string]string) error) (*cloudmap.Empty, error) {
	_, err := r.commit(ctx, func(tx cloudmap.Tx) error {
		if _, err := loadService(tx, id); err != nil {
			return err
		}
		attrs, err := loadAttributes(tx, id)
		if err != nil {
			return err
		}
		if err := edit(attrs); err != nil {
			return err
		}
		if err := syncExtensions(tx, id, attrs); err != nil {
			return err
		}
		if len(attrs) == 0 {
			return del(tx, attrKey(id))
		}
		return put(tx, attrKey(id), attrs)
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return &cloudmap.Empty{}, nil
}

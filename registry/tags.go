package registry

import (
	"context"
	"errors"
	"strings"

	"github.com/cloudmap/cloudmap"
)

// Limits of the model and the Cloud Map developer guide
// (https://docs.aws.amazon.com/cloud-map/latest/dg/using-tags.html).
const (
	maxTags        = 50
	maxTagKey      = 128
	maxTagValue    = 256
	maxDescription = 1024
	maxTTL         = 2147483647
)

// validateTags checks the tags of a request: key 1-128, value ≤256, no
// reserved "aws:" prefix.
func validateTags(tags []cloudmap.Tag) error {
	for _, t := range tags {
		if err := validateTagKey(t.Key); err != nil {
			return err
		}
		if len(t.Value) > maxTagValue {
			return invalid("the value of tag %q is longer than %d characters", t.Key, maxTagValue)
		}
	}
	return nil
}

func validateTagKey(k string) error {
	if k == "" || len(k) > maxTagKey {
		return invalid("tag key %q must be 1-%d characters", k, maxTagKey)
	}
	if strings.HasPrefix(strings.ToLower(k), "aws:") {
		return invalid("tag key %q uses the reserved prefix aws:", k)
	}
	return nil
}

// dedupTags returns the tags with later duplicates of a key overwriting
// earlier ones, in first-seen order.
func dedupTags(tags []cloudmap.Tag) []cloudmap.Tag {
	var out []cloudmap.Tag
	idx := map[string]int{}
	for _, t := range tags {
		if i, ok := idx[t.Key]; ok {
			out[i].Value = t.Value
			continue
		}
		idx[t.Key] = len(out)
		out = append(out, t)
	}
	return out
}

func tooManyTags(arn string) error {
	return cloudmap.Errorf(cloudmap.ErrTooManyTags, "resource %s would have more than %d tags", arn, maxTags).
		With("ResourceName", arn)
}

// putTags writes tags of a resource, enforcing the per-resource limit.
func putTags(tx cloudmap.Tx, resID, arn string, tags []cloudmap.Tag) error {
	n, err := count(tx, tagPrefix(resID))
	if err != nil {
		return err
	}
	for _, t := range dedupTags(tags) {
		old, err := getRecordRaw(tx, tagPrefix(resID)+t.Key)
		if err != nil {
			return err
		}
		if !old {
			n++
		}
		if err := putString(tx, tagPrefix(resID)+t.Key, t.Value); err != nil {
			return err
		}
	}
	if n > maxTags {
		return tooManyTags(arn)
	}
	return nil
}

// getRecordRaw reports whether key exists.
func getRecordRaw(tx cloudmap.ReadTx, key string) (bool, error) {
	_, err := tx.Get(key)
	if errors.Is(err, cloudmap.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, wrap("get "+key, err)
	}
	return true, nil
}

// taggedResource resolves a namespace or service ARN to its id and checks
// that the resource exists. Errors: InvalidInput, ResourceNotFoundException.
func (r *Registry) taggedResource(tx cloudmap.ReadTx, arn string) (string, error) {
	if arn == "" {
		return "", invalid("ResourceARN is required")
	}
	if !strings.HasPrefix(arn, "arn:") {
		return "", invalid("ResourceARN %q is not an ARN", arn)
	}
	notFound := cloudmap.NotFound(cloudmap.ErrResourceNotFound, "resource", arn)
	for _, kind := range []string{"namespace", "service"} {
		id, ok := resourceID(txCell(tx, r.defaultCell()), kind, arn)
		if !ok {
			continue
		}
		key := cloudmap.NamespaceKey(id)
		if kind == "service" {
			key = cloudmap.ServiceKey(id)
		}
		found, err := getRecordRaw(tx, key)
		if err != nil {
			return "", err
		}
		if !found {
			return "", notFound
		}
		return id, nil
	}
	return "", notFound
}

// TagResource adds or overwrites tags of a namespace or service. Errors:
// InvalidInput, ResourceNotFoundException, TooManyTagsException.
func (r *Registry) TagResource(ctx context.Context, in *cloudmap.TagResourceInput) (*cloudmap.Empty, error) {
	if in == nil {
		return nil, invalid("ResourceARN is required")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	_, err := r.store.Update(ctx, func(tx cloudmap.Tx) error {
		id, err := r.taggedResource(tx, in.ResourceARN)
		if err != nil {
			return err
		}
		return putTags(tx, id, in.ResourceARN, in.Tags)
	})
	if err != nil {
		return nil, wrap("TagResource", err)
	}
	return &cloudmap.Empty{}, nil
}

// UntagResource removes tags from a namespace or service; missing keys are
// ignored. Errors: InvalidInput, ResourceNotFoundException.
func (r *Registry) UntagResource(ctx context.Context, in *cloudmap.UntagResourceInput) (*cloudmap.Empty, error) {
	if in == nil {
		return nil, invalid("ResourceARN is required")
	}
	for _, k := range in.TagKeys {
		if k == "" || len(k) > maxTagKey {
			return nil, invalid("tag key %q must be 1-%d characters", k, maxTagKey)
		}
	}
	_, err := r.store.Update(ctx, func(tx cloudmap.Tx) error {
		id, err := r.taggedResource(tx, in.ResourceARN)
		if err != nil {
			return err
		}
		for _, k := range in.TagKeys {
			if err := del(tx, tagPrefix(id)+k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("UntagResource", err)
	}
	return &cloudmap.Empty{}, nil
}

// ListTagsForResource returns the tags of a namespace or service in key
// order. Errors: InvalidInput, ResourceNotFoundException.
func (r *Registry) ListTagsForResource(ctx context.Context, in *cloudmap.ResourceARNInput) (*cloudmap.ListTagsForResourceOutput, error) {
	if in == nil {
		return nil, invalid("ResourceARN is required")
	}
	out := &cloudmap.ListTagsForResourceOutput{Tags: []cloudmap.Tag{}}
	err := r.store.View(ctx, func(tx cloudmap.ReadTx) error {
		out.Tags = out.Tags[:0]
		id, err := r.taggedResource(tx, in.ResourceARN)
		if err != nil {
			return err
		}
		p := tagPrefix(id)
		return wrap("range tags", tx.Range(p, "", func(k string, v []byte) bool {
			out.Tags = append(out.Tags, cloudmap.Tag{Key: strings.TrimPrefix(k, p), Value: string(v)})
			return true
		}))
	})
	if err != nil {
		return nil, wrap("ListTagsForResource", err)
	}
	return out, nil
}

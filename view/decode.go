package view

import "github.com/cloudmap/cloudmap"

// decodeInstance decodes a stored instance record.
func decodeInstance(b []byte) (*cloudmap.Instance, error) {
	in := new(cloudmap.Instance)
	if err := cloudmap.Decode(b, in); err != nil {
		return nil, err
	}
	return in, nil
}

package view

import (
	"bytes"

	"github.com/cloudmap/cloudmap"
)

// Instance and health records are most of a snapshot. They are decoded by a
// small scanner for the exact shape cloudmap.Encode writes (flat objects of
// strings, one map of strings, no escapes); anything else falls back to
// encoding/json. The scanner converts the record to one string and slices
// every field out of it: one allocation for all the strings, and no
// pointers inside for the collector to scan.

// decodeInstance decodes a stored instance record.
func decodeInstance(b []byte) (*cloudmap.Instance, error) {
	if in, ok := scanInstance(b); ok {
		return in, nil
	}
	in := new(cloudmap.Instance)
	if err := cloudmap.Decode(b, in); err != nil {
		return nil, err
	}
	return in, nil
}

// decodeHealth decodes a stored health record.
func decodeHealth(b []byte) (cloudmap.HealthStatus, error) {
	switch string(b) { // no allocation: compared in place
	case `{"Status":"HEALTHY"}`:
		return cloudmap.Healthy, nil
	case `{"Status":"UNHEALTHY"}`:
		return cloudmap.Unhealthy, nil
	case `{"Status":"UNKNOWN"}`:
		return cloudmap.Unknown, nil
	}
	var h cloudmap.Health
	err := cloudmap.Decode(b, &h)
	return h.Status, err
}

func scanInstance(b []byte) (*cloudmap.Instance, bool) {
	if bytes.IndexByte(b, '\\') >= 0 {
		return nil, false
	}
	sc := scanner{s: string(b)}
	in := new(cloudmap.Instance)
	ok := sc.object(func(key string) bool {
		switch key {
		case "Id":
			return sc.str(&in.Id)
		case "CreatorRequestId":
			return sc.str(&in.CreatorRequestId)
		case "CreatedByAccount":
			return sc.str(&in.CreatedByAccount)
		case "ServiceId":
			return sc.str(&in.ServiceId)
		case "Attributes":
			if sc.null() {
				return true
			}
			in.Attributes = map[string]string{}
			return sc.object(func(k string) bool {
				var v string
				if !sc.str(&v) {
					return false
				}
				in.Attributes[k] = v
				return true
			})
		}
		return false
	})
	sc.ws()
	if !ok || sc.i != len(sc.s) {
		return nil, false
	}
	return in, true
}

// scanner reads JSON without escapes from s.
type scanner struct {
	s string
	i int
}

func (sc *scanner) ws() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

func (sc *scanner) lit(c byte) bool {
	sc.ws()
	if sc.i < len(sc.s) && sc.s[sc.i] == c {
		sc.i++
		return true
	}
	return false
}

func (sc *scanner) null() bool {
	sc.ws()
	if len(sc.s)-sc.i >= 4 && sc.s[sc.i:sc.i+4] == "null" {
		sc.i += 4
		return true
	}
	return false
}

// str reads a string (or null, as "") into dst.
func (sc *scanner) str(dst *string) bool {
	if sc.null() {
		*dst = ""
		return true
	}
	if !sc.lit('"') {
		return false
	}
	end := sc.i
	for end < len(sc.s) && sc.s[end] != '"' {
		if sc.s[end] < 0x20 {
			return false
		}
		end++
	}
	if end == len(sc.s) {
		return false
	}
	*dst = sc.s[sc.i:end]
	sc.i = end + 1
	return true
}

// object reads {"key": value, ...}, calling member to read each value.
func (sc *scanner) object(member func(key string) bool) bool {
	if !sc.lit('{') {
		return false
	}
	if sc.lit('}') {
		return true
	}
	for {
		var key string
		if !sc.str(&key) || !sc.lit(':') || !member(key) {
			return false
		}
		if sc.lit('}') {
			return true
		}
		if !sc.lit(',') {
			return false
		}
	}
}

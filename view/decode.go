package view

import (
	"encoding/binary"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/cloudmap/cloudmap"
)

// Instance and health records are most of a snapshot. They are decoded by a
// small scanner for the exact shape cloudmap.Encode writes (flat objects of
// strings, one map of strings, no escapes, no control characters, valid
// UTF-8: checked first, 8 bytes at a time); anything else falls back to
// encoding/json. The scanner slices every field out of the record's bytes
// without copying them; compactInstance then copies what the view keeps
// into one string (see compact.go).

// decodeInstance decodes a stored instance record; its strings may alias
// b (see scanInstance).
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

// scanInstance decodes an instance record whose strings alias b (no
// copy): the caller keeps it only after compactInstance, and b must not
// change before.
func scanInstance(b []byte) (*cloudmap.Instance, bool) {
	if !plain(b) || len(b) == 0 {
		return nil, false
	}
	sc := scanner{s: unsafe.String(&b[0], len(b))}
	in := new(cloudmap.Instance)
	ok := sc.object(func(key string) bool {
		switch key {
		case "Id":
			return sc.field(&in.Id)
		case "CreatorRequestId":
			return sc.field(&in.CreatorRequestId)
		case "CreatedByAccount":
			return sc.field(&in.CreatedByAccount)
		case "ServiceId":
			return sc.field(&in.ServiceId)
		case "Attributes":
			if sc.null() {
				in.Attributes = nil
				return true
			}
			if in.Attributes == nil { // a repeated member adds to the map, as encoding/json does
				in.Attributes = make(map[string]string, 4)
			}
			return sc.object(func(k string) bool {
				var v string // null is the zero value
				if !sc.null() && !sc.str(&v) {
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

// SWAR constants: one byte repeated in every byte of a word.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plain reports whether b has no escapes ('\\'), no control characters
// and only valid UTF-8: then every JSON string in it means its bytes
// exactly, and the scanner needs to look for nothing but the closing
// quote. It tests 8 bytes at a time.
func plain(b []byte) bool {
	ascii := true
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if (w-0x20*ones)&^w&highs != 0 { // a byte below 0x20 (or a high byte: rechecked below)
			if w&highs == 0 || !plainBytes(b[i:i+8]) {
				return false
			}
		}
		if x := w ^ '\\'*ones; (x-ones)&^x&highs != 0 {
			return false // a backslash (or a high byte, which cannot equal it: exact)
		}
		if w&highs != 0 {
			ascii = false
		}
	}
	if !plainBytes(b[i:]) {
		return false
	}
	return ascii && allASCII(b[i:]) || utf8.Valid(b)
}

// plainBytes reports whether b has no control character and no backslash.
func plainBytes(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == '\\' {
			return false
		}
	}
	return true
}

func allASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// scanner reads JSON from s, which plain accepted.
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

// field reads a string member into dst; null leaves dst as it is (as
// encoding/json does for a string field).
func (sc *scanner) field(dst *string) bool {
	return sc.null() || sc.str(dst)
}

// str reads a string into dst.
func (sc *scanner) str(dst *string) bool {
	if !sc.lit('"') {
		return false
	}
	n := strings.IndexByte(sc.s[sc.i:], '"')
	if n < 0 {
		return false
	}
	*dst = sc.s[sc.i : sc.i+n]
	sc.i += n + 1
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

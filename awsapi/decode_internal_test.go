package awsapi

import (
	"testing"

	"github.com/cloudmap/cloudmap"
)

// TestDecoder_StopsAtTheBodysEnd: a body comes in a pooled buffer whose
// capacity may hold an earlier, longer body; a literal cut off at the end
// of this body is not completed by the bytes past it.
func TestDecoder_StopsAtTheBodysEnd(t *testing.T) {
	o := defaultTable.lookup(defaultTable.prefix + "GetNamespace")
	for _, c := range []struct{ earlier, want string }{
		{`{"Id":true}`, "Malformed JSON in GetNamespace input at offset 6: invalid character 't'"},
		{`{"Id":null}`, "Malformed JSON in GetNamespace input at offset 6: invalid character 'n'"},
	} {
		body := []byte(c.earlier)[:len(c.earlier)-2] // {"Id":tru, with "e}" past its end
		err := new(decoder).decodeInput(o.input, body, o.name, o.newInput())
		if cloudmap.ErrorCode(err) != cloudmap.ErrSerialization || err.(*cloudmap.Error).Message != c.want {
			t.Errorf("body %q (before %q): got %v, want %s %q", body, c.earlier[len(body):], err, cloudmap.ErrSerialization, c.want)
		}
	}
}

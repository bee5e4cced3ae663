package awsapi

import (
	"math"
	"reflect"
	"testing"
	"time"
)

// TestAppendString: the JSON string encoding escapes quotes, backslashes
// and control characters (and U+2028, U+2029), replaces each invalid UTF-8
// byte by \ufffd, and writes everything else as it is: a space, DEL,
// multi-byte characters and a genuine U+FFFD.
func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{" ", `" "`},
		{"\x7f~", "\"\x7f~\""},
		{"\"\\/", `"\"\\/"`},
		{"\n\r\t\x00\x1f", `"\n\r\t\u0000\u001f"`},
		{"é€😀", `"é€😀"`},
		{"\ufffd", "\"\ufffd\""},
		{"a\x80b", `"a\ufffdb"`},
		{"\xff", `"\ufffd"`},
		{"\xe2\x82", `"\ufffd\ufffd"`},
		{"x\u2028y\u2029z", `"x\u2028y\u2029z"`},
	}
	for _, tt := range tests {
		if got := string(appendString([]byte("<"), tt.in)); got != "<"+tt.want {
			t.Errorf("appendString(%q) = %s, want <%s", tt.in, got, tt.want)
		}
	}
}

// TestAppendEpoch: times are epoch seconds with three decimals, the
// fraction always written, before the epoch as a negative number.
func TestAppendEpoch(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Unix(1587081368, 0), "1587081368.000"},
		{time.Unix(1587081368, 334_999_999), "1587081368.334"},
		{time.Unix(1587081368, 5_000_000), "1587081368.005"},
		{time.Unix(0, 0), "0.000"},
		{time.Unix(0, 999_000_000), "0.999"},
		{time.Unix(-1, 500_000_000), "-0.500"},
		{time.Unix(-2, 0), "-2.000"},
		{time.UnixMilli(math.MinInt64), "-9223372036854775.808"},
	}
	for _, tt := range tests {
		if got := string(appendEpoch(nil, tt.t)); got != tt.want {
			t.Errorf("appendEpoch(%v) = %s, want %s", tt.t.UTC(), got, tt.want)
		}
	}
}

// TestEncoderFor_Maps: a map with string keys encodes as an object of its
// values; a map whose keys are not strings, or whose values cannot be
// encoded, is refused when the encoder is built.
func TestEncoderFor_Maps(t *testing.T) {
	enc, err := encoderFor(reflect.TypeFor[map[string]int]())
	if err != nil {
		t.Fatal(err)
	}
	if got := string(enc(nil, reflect.ValueOf(map[string]int{"a": 1}))); got != `{"a":1}` {
		t.Errorf("map[string]int encoded as %s, want {\"a\":1}", got)
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[map[int]string](), reflect.TypeFor[map[string]chan int]()} {
		if f, err := encoderFor(typ); err == nil || f != nil {
			t.Errorf("encoder of %s built (error %v), want it refused", typ, err)
		}
	}
}

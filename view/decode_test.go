package view

import (
	"reflect"
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap"
)

func TestDecodeInstance_MatchesEncodingJSON(t *testing.T) {
	cases := []struct {
		name string
		raw  []byte
		fast bool
	}{
		{"encoded", cloudmap.Encode(&cloudmap.Instance{Id: "i-1", CreatorRequestId: "r", ServiceId: "srv",
			Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1", "k": "", "ünï": "cödé"}}), true},
		{"no attributes", cloudmap.Encode(&cloudmap.Instance{Id: "i-2"}), true},
		{"whitespace", []byte(` { "Id" : "i-3" , "Attributes" : { "a" : "b" } } `), true},
		{"escapes fall back", cloudmap.Encode(&cloudmap.Instance{Id: "i-4", Attributes: map[string]string{"q": `"<&>\`}}), false},
		{"number falls back", []byte(`{"Id":"i-5","Extra":1}`), false},
		{"null keeps an earlier value", []byte(`{"Id":"i-6","Id":null}`), true},
		{"repeated attributes merge", []byte(`{"Attributes":{"a":"b"},"Attributes":{"c":"d","a":"e"}}`), true},
		{"null attributes after some", []byte(`{"Attributes":{"a":"b"},"Attributes":null}`), true},
		{"null attribute value", []byte(`{"Attributes":{"a":null}}`), true},
		{"long ascii", cloudmap.Encode(&cloudmap.Instance{Id: "i-7", CreatorRequestId: strings.Repeat("r", 100),
			Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1", "AWS_INSTANCE_PORT": "8080", "x": strings.Repeat("y", 33)}}), true},
		{"invalid utf-8 falls back", []byte("{\"Id\":\"i-8\",\"Attributes\":{\"a\":\"\xff\xfe\"}}"), false},
		{"truncated utf-8 at the end falls back", []byte("{\"Id\":\"\xc3\"}"), false},
		{"newlines between tokens fall back", []byte("{\"Id\":\"i-9\",\n\t\"CreatorRequestId\":\"ab\"}\r\n"), false},
		{"backslash after high bytes", []byte(`{"Id":"üüüüüü\u00fc"}`), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want cloudmap.Instance
			if err := cloudmap.Decode(c.raw, &want); err != nil {
				t.Fatal(err)
			}
			_, fast := scanInstance(c.raw)
			if fast != c.fast {
				t.Errorf("fast path %v, want %v", fast, c.fast)
			}
			got, err := decodeInstance(c.raw)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("got %+v, want %+v", *got, want)
			}
		})
	}
	for _, bad := range []string{``, `{`, `{"Id":"x"`, `{"Id":"x"}}`, `{"Id":x}`, `[]`, `{null:"x"}`,
		`{"Attributes":{null:"x"}}`, `{"Id":"x",}`, "{\"Id\":\"a\x00\"}",
		"{\"Id\":\"i-9\",\"CreatorRequestId\":\"a\tb\"}", "{\"Id\":\"ü\x01ü\"}"} {
		// The error is encoding/json's for the same bytes: the fast path
		// rejects what it cannot read, never with an error of its own.
		var in cloudmap.Instance
		want := cloudmap.Decode([]byte(bad), &in)
		if _, err := decodeInstance([]byte(bad)); err == nil || want == nil || err.Error() != want.Error() {
			t.Errorf("decodeInstance(%q): err = %v, want encoding/json's %v", bad, err, want)
		}
	}
}

func TestDecodeHealth(t *testing.T) {
	for _, st := range []cloudmap.HealthStatus{cloudmap.Healthy, cloudmap.Unhealthy, cloudmap.Unknown, "ODD"} {
		got, err := decodeHealth(cloudmap.Encode(&cloudmap.Health{Status: st}))
		if err != nil || got != st {
			t.Errorf("decodeHealth(%s) = %s, %v", st, got, err)
		}
	}
	var h cloudmap.Health
	want := cloudmap.Decode([]byte(`nope`), &h)
	if _, err := decodeHealth([]byte(`nope`)); err == nil || want == nil || err.Error() != want.Error() {
		t.Errorf("decodeHealth(garbage): err = %v, want encoding/json's %v", err, want)
	}
}

func FuzzDecodeInstance(f *testing.F) {
	f.Add(cloudmap.Encode(&cloudmap.Instance{Id: "i", Attributes: map[string]string{"a": "b"}}))
	f.Add([]byte(`{"Id":null,"Attributes":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, ok := scanInstance(b)
		if !ok {
			return
		}
		var want cloudmap.Instance
		if err := cloudmap.Decode(b, &want); err != nil {
			return // the scanner is more lenient about duplicate or odd input only where JSON is too
		}
		if !reflect.DeepEqual(*in, want) {
			t.Errorf("scan %+v, encoding/json %+v", *in, want)
		}
	})
}

// BenchmarkDecodeInstance decodes a typical stored instance (4 attributes).
func BenchmarkDecodeInstance(b *testing.B) {
	raw := cloudmap.Encode(&cloudmap.Instance{Id: "i-0001234-0042", ServiceId: "srv-0001234",
		CreatedByAccount: "123456789012", CreatorRequestId: "6f1c2d9e-4b7a-4c1e-9d2f-000000123442",
		Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.4.210.42", "AWS_INSTANCE_PORT": "8080",
			"stage": "prod", "zone": "us-east-1b"}})
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeInstance(raw); err != nil {
			b.Fatal(err)
		}
	}
}

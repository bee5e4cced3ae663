package awsapi

import (
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// The response encoder: one function per Go type, built by reflection once
// and cached. It writes the model's member names (the Go field names) and
// omits absent members: nil pointers, slices and maps, empty strings (unless
// tagged `wire:"keep"`) and zero times. Fields tagged `wire:"-"` are never
// sent. Times are epoch seconds with a millisecond fraction. Numbers and
// booleans are always sent.

// encFunc appends the JSON of v to b.
type encFunc func(b []byte, v reflect.Value) []byte

var encoders sync.Map // reflect.Type -> encFunc

// encoderFor returns the cached encoder of t.
func encoderFor(t reflect.Type) (encFunc, error) {
	if f, ok := encoders.Load(t); ok {
		return f.(encFunc), nil
	}
	f, err := buildEncoder(t, map[reflect.Type]*encFunc{})
	if err != nil {
		return nil, err
	}
	encoders.Store(t, f)
	return f, nil
}

// buildEncoder builds the encoder of t; building maps types in progress to
// indirections so recursive types terminate.
func buildEncoder(t reflect.Type, building map[reflect.Type]*encFunc) (encFunc, error) {
	if p, ok := building[t]; ok {
		return func(b []byte, v reflect.Value) []byte { return (*p)(b, v) }, nil
	}
	var f encFunc
	building[t] = &f
	var err error
	switch {
	case t == timeType:
		f = encodeTime
	case t == stringMapType:
		f = encodeStringMap
	default:
		f, err = buildKind(t, building)
	}
	return f, err
}

func buildKind(t reflect.Type, building map[reflect.Type]*encFunc) (encFunc, error) {
	switch t.Kind() {
	case reflect.String:
		return func(b []byte, v reflect.Value) []byte { return appendString(b, v.String()) }, nil
	case reflect.Bool:
		return func(b []byte, v reflect.Value) []byte { return strconv.AppendBool(b, v.Bool()) }, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(b []byte, v reflect.Value) []byte { return strconv.AppendInt(b, v.Int(), 10) }, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return func(b []byte, v reflect.Value) []byte { return strconv.AppendUint(b, v.Uint(), 10) }, nil
	case reflect.Float32, reflect.Float64:
		return func(b []byte, v reflect.Value) []byte { return strconv.AppendFloat(b, v.Float(), 'g', -1, 64) }, nil
	case reflect.Pointer:
		elem, err := buildEncoder(t.Elem(), building)
		if err != nil {
			return nil, err
		}
		return func(b []byte, v reflect.Value) []byte {
			if v.IsNil() {
				return append(b, "{}"...)
			}
			return elem(b, v.Elem())
		}, nil
	case reflect.Slice:
		return buildSlice(t, building)
	case reflect.Map:
		return buildMap(t, building)
	case reflect.Struct:
		return buildStruct(t, building)
	}
	return nil, fmt.Errorf("awsapi: cannot encode %s", t)
}

func buildSlice(t reflect.Type, building map[reflect.Type]*encFunc) (encFunc, error) {
	elem, err := buildEncoder(t.Elem(), building)
	if err != nil {
		return nil, err
	}
	return func(b []byte, v reflect.Value) []byte {
		b = append(b, '[')
		for i := range v.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			b = elem(b, v.Index(i))
		}
		return append(b, ']')
	}, nil
}

func buildMap(t reflect.Type, building map[reflect.Type]*encFunc) (encFunc, error) {
	if t.Key().Kind() != reflect.String {
		return nil, fmt.Errorf("awsapi: cannot encode %s: keys are not strings", t)
	}
	elem, err := buildEncoder(t.Elem(), building)
	if err != nil {
		return nil, err
	}
	return func(b []byte, v reflect.Value) []byte {
		b = append(b, '{')
		it := v.MapRange()
		for first := true; it.Next(); first = false {
			if !first {
				b = append(b, ',')
			}
			b = appendString(b, it.Key().String())
			b = append(b, ':')
			b = elem(b, it.Value())
		}
		return append(b, '}')
	}, nil
}

func encodeStringMap(b []byte, v reflect.Value) []byte {
	return appendStringMap(b, v.Interface().(map[string]string))
}

// structField is one encoded field of a struct.
type structField struct {
	index int
	key   string // `"Name":`
	enc   encFunc
	omit  func(reflect.Value) bool // nil: always sent
}

func buildStruct(t reflect.Type, building map[reflect.Type]*encFunc) (encFunc, error) {
	var fields []structField
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("wire")
		if !sf.IsExported() || tag == "-" {
			continue
		}
		enc, err := buildEncoder(sf.Type, building)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", t, sf.Name, err)
		}
		fields = append(fields, structField{index: i, key: strconv.Quote(sf.Name) + ":",
			enc: enc, omit: omitter(sf.Type, tag == "keep")})
	}
	return func(b []byte, v reflect.Value) []byte {
		b = append(b, '{')
		first := true
		for i := range fields {
			f := &fields[i]
			fv := v.Field(f.index)
			if f.omit != nil && f.omit(fv) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, f.key...)
			b = f.enc(b, fv)
		}
		return append(b, '}')
	}, nil
}

// omitter returns the absence test of a field of type t.
func omitter(t reflect.Type, keep bool) func(reflect.Value) bool {
	switch {
	case t == timeType:
		return isZeroTime
	case t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map ||
		t.Kind() == reflect.Interface:
		return reflect.Value.IsNil
	case t.Kind() == reflect.String && !keep:
		return func(v reflect.Value) bool { return v.Len() == 0 }
	}
	return nil
}

// timeOf returns the time in v without boxing it when v is addressable.
func timeOf(v reflect.Value) time.Time {
	if v.CanAddr() {
		return *v.Addr().Interface().(*time.Time)
	}
	return v.Interface().(time.Time)
}

func isZeroTime(v reflect.Value) bool { return timeOf(v).IsZero() }

func encodeTime(b []byte, v reflect.Value) []byte { return appendEpoch(b, timeOf(v)) }

// appendEpoch writes t as epoch seconds with a millisecond fraction, e.g.
// 1587081768.334, or -0.500 half a second before the epoch.
func appendEpoch(b []byte, t time.Time) []byte {
	ms := t.UnixMilli()
	u := uint64(ms)
	if ms < 0 {
		b = append(b, '-')
		u = -u
	}
	sec, frac := u/1000, u%1000
	b = strconv.AppendUint(b, sec, 10)
	return append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, U+2028 and U+2029
// escaped for JavaScript readers.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			switch r {
			case utf8.RuneError:
				b = append(b, `\ufffd`...)
			case '\u2028':
				b = append(b, `\u2028`...)
			default:
				b = append(b, `\u2029`...)
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

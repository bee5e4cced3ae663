package awsapi

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"

	"github.com/cloudmap/cloudmap"
)

// maxListedViolations caps the constraint violations a message spells out.
const maxListedViolations = 10

// decoder walks a JSON request body against the operation's input node in
// one pass: it rejects bad JSON, unknown members and wrong types with a
// SerializationException, collects constraint violations for InvalidInput,
// and stores the values into the Go input struct.
type decoder struct {
	data       []byte
	pos        int
	op         string
	path       []pathSeg
	violations []string
	nviolation int
	scratch    []byte
}

// pathSeg is one step of a member path: a member name, a list index or a
// map key.
type pathSeg struct {
	name  string
	index int // -1 unless a list index
}

// reset prepares d for a new body.
func (d *decoder) reset(op string, data []byte) {
	d.data, d.pos, d.op = data, 0, op
	d.path, d.violations, d.nviolation = d.path[:0], d.violations[:0], 0
}

// decodeInput decodes body into target (a pointer to the input struct).
func (d *decoder) decodeInput(n *node, body []byte, op string, target any) error {
	d.reset(op, body)
	v := reflect.ValueOf(target).Elem()
	d.skipSpace()
	if d.pos == len(d.data) {
		d.data = emptyObject // an empty body is an empty input
		d.pos = 0
	}
	if err := d.value(n, v); err != nil {
		return err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return d.syntaxError("unexpected data after the top-level value")
	}
	if d.nviolation > 0 {
		return d.validationError()
	}
	return nil
}

// value decodes the next JSON value (known not to be null at member level)
// into v according to n.
func (d *decoder) value(n *node, v reflect.Value) error {
	if d.pos >= len(d.data) {
		return d.syntaxError("unexpected end of input")
	}
	c := d.data[d.pos]
	switch n.s.kind {
	case kindString:
		if c != '"' {
			return d.typeError("string", c)
		}
		s, err := d.readString()
		if err != nil {
			return err
		}
		d.checkString(n.s, s)
		setString(v, s)
		return nil
	case kindInteger, kindLong:
		if c != '-' && (c < '0' || c > '9') {
			return d.typeError("integer", c)
		}
		return d.integer(n, v)
	case kindBoolean:
		return d.boolean(v, c)
	case kindList:
		if c != '[' {
			return d.typeError("list", c)
		}
		return d.list(n, v)
	case kindMap:
		if c != '{' {
			return d.typeError("map", c)
		}
		return d.mapValue(n, v)
	case kindStructure:
		if c != '{' {
			return d.typeError("structure", c)
		}
		return d.structure(n, v)
	}
	return d.serialization("member %s has an unsupported type", d.pathString())
}

// deref allocates through pointers so v can be set.
func deref(v reflect.Value) reflect.Value {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	return v
}

func setString(v reflect.Value, s []byte) {
	v = deref(v)
	if v.Kind() == reflect.String {
		v.SetString(string(s))
	}
}

func (d *decoder) integer(n *node, v reflect.Value) error {
	start := d.pos
	if err := d.skipNumber(); err != nil {
		return err
	}
	lit := d.data[start:d.pos]
	x, ok := parseInt(lit)
	if !ok {
		shown := string(lit)
		if len(shown) > 32 {
			shown = shown[:32] + "..."
		}
		if bytes.ContainsAny(lit, ".eE") {
			return d.serialization("Expected integer for %s, got number %s", d.pathString(), shown)
		}
		return d.serialization("Value %s for %s is out of range for a 64-bit integer", shown, d.pathString())
	}
	d.checkRange(n.s, x)
	v = deref(v)
	if v.OverflowInt(x) {
		return d.serialization("Value %s for %s is out of range for its type", lit, d.pathString())
	}
	v.SetInt(x)
	return nil
}

func (d *decoder) boolean(v reflect.Value, c byte) error {
	switch {
	case d.literal("true"):
		deref(v).SetBool(true)
	case d.literal("false"):
		deref(v).SetBool(false)
	default:
		return d.typeError("boolean", c)
	}
	return nil
}

func (d *decoder) list(n *node, v reflect.Value) error {
	v = deref(v)
	d.pos++ // '['
	count := 0
	d.path = append(d.path, pathSeg{index: 0})
	for first := true; ; first = false {
		more, err := d.nextElement(']', first)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		d.path[len(d.path)-1].index = count
		count++
		if d.literal("null") {
			d.violate("Member must not be null")
			continue
		}
		v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
		if err := d.value(n.elem, v.Index(v.Len()-1)); err != nil {
			return err
		}
	}
	d.path = d.path[:len(d.path)-1]
	if v.IsNil() {
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
	}
	d.checkSize(n.s, count)
	return nil
}

func (d *decoder) mapValue(n *node, v reflect.Value) error {
	v = deref(v)
	d.pos++ // '{'
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	var sm map[string]string
	if n.strMap {
		sm = v.Interface().(map[string]string)
	}
	for first := true; ; first = false {
		more, err := d.nextElement('}', first)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		kb, err := d.objectKey()
		if err != nil {
			return err
		}
		d.checkKey(n.key.s, kb)
		key := string(kb)
		d.path = append(d.path, pathSeg{name: key, index: -2})
		if d.literal("null") {
			d.violate("Member must not be null")
		} else if sm != nil && n.elem.s.kind == kindString && d.pos < len(d.data) && d.data[d.pos] == '"' {
			s, err := d.readString()
			if err != nil {
				return err
			}
			d.checkString(n.elem.s, s)
			sm[key] = string(s)
		} else {
			ev := reflect.New(v.Type().Elem()).Elem()
			if err := d.value(n.elem, ev); err != nil {
				return err
			}
			v.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), ev)
		}
		d.path = d.path[:len(d.path)-1]
	}
	d.checkSize(n.s, v.Len()) // a key given twice counts once: the last value wins
	return nil
}

// structure decodes a JSON object into a structure. A member given twice
// takes its last value, as encoding/json and botocore (Python's json) do:
// the earlier value is dropped entirely (lists and maps are not merged)
// with the constraint violations it caused.
func (d *decoder) structure(n *node, v reflect.Value) error {
	v = deref(v)
	d.pos++ // '{'
	var seen uint64
	var spans []violationSpan // of the members decoded so far, for duplicates
	for first := true; ; first = false {
		more, err := d.nextElement('}', first)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		kb, err := d.objectKey()
		if err != nil {
			return err
		}
		f, ok := n.fields[string(kb)]
		if !ok {
			return d.unknownMember(n, kb)
		}
		if seen&f.bit != 0 { // given again: the last one wins
			fv := v.Field(f.index)
			fv.Set(reflect.Zero(fv.Type()))
			spans = d.dropViolations(spans, f.bit)
			seen &^= f.bit
		}
		if d.literal("null") {
			continue // null is absent
		}
		span := violationSpan{bit: f.bit, n0: d.nviolation, l0: len(d.violations)}
		d.path = append(d.path, pathSeg{name: f.name, index: -1})
		if err := d.value(f.node, v.Field(f.index)); err != nil {
			return err
		}
		d.path = d.path[:len(d.path)-1]
		seen |= f.bit
		if d.nviolation > span.n0 {
			span.n1, span.l1 = d.nviolation, len(d.violations)
			spans = append(spans, span)
		}
	}
	for _, f := range n.required {
		if seen&f.bit == 0 {
			d.path = append(d.path, pathSeg{name: f.name, index: -1})
			d.violate("Member must not be null")
			d.path = d.path[:len(d.path)-1]
		}
	}
	return nil
}

// violationSpan is where the constraint violations of one member of a
// structure went: violation counts n0 to n1, listed violations l0 to l1.
type violationSpan struct {
	bit            uint64
	n0, n1, l0, l1 int
}

// dropViolations removes the violations of the member bit (given again)
// and moves the spans recorded after it.
func (d *decoder) dropViolations(spans []violationSpan, bit uint64) []violationSpan {
	for i, s := range spans {
		if s.bit != bit {
			continue
		}
		dn, dl := s.n1-s.n0, s.l1-s.l0
		d.nviolation -= dn
		d.violations = append(d.violations[:s.l0], d.violations[s.l1:]...)
		rest := append(spans[:i], spans[i+1:]...)
		for j := i; j < len(rest); j++ {
			rest[j].n0, rest[j].n1 = rest[j].n0-dn, rest[j].n1-dn
			rest[j].l0, rest[j].l1 = rest[j].l0-dl, rest[j].l1-dl
		}
		return rest
	}
	return spans
}

func (d *decoder) unknownMember(n *node, name []byte) error {
	where := d.op + " input"
	if len(d.path) > 0 {
		where = n.s.name + " at '" + d.pathString() + "'"
	}
	return d.serialization("Unknown member %s in %s", displayName(name), where)
}

// displayName shows a member name as sent: bare when it is short printable
// ASCII, quoted and cut otherwise.
func displayName(b []byte) string {
	if len(b) > 64 {
		return strconv.Quote(string(b[:64])) + "..."
	}
	for _, c := range b {
		if c <= ' ' || c > '~' {
			return strconv.Quote(string(b))
		}
	}
	return string(b)
}

// pathString renders the current member path, e.g. DnsConfig.DnsRecords[0].TTL.
func (d *decoder) pathString() string {
	var b strings.Builder
	for i, s := range d.path {
		switch {
		case s.index >= 0:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		case s.index == -2:
			b.WriteString("[" + displayName([]byte(s.name)) + "]")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.name)
		}
	}
	if b.Len() == 0 {
		return "input"
	}
	return b.String()
}

func (d *decoder) serialization(format string, args ...any) error {
	return cloudmap.Errorf(cloudmap.ErrSerialization, format, args...)
}

// typeError reports a value of the wrong JSON type.
func (d *decoder) typeError(want string, c byte) error {
	got := ""
	switch {
	case c == '"':
		got = "string"
	case c == '{':
		got = "object"
	case c == '[':
		got = "list"
	case d.hasLiteral("true") || d.hasLiteral("false"):
		got = "boolean"
	case d.hasLiteral("null"):
		got = "null"
	case c == '-' || (c >= '0' && c <= '9'):
		got = "number"
	default:
		return d.syntaxError("invalid character " + strconv.QuoteRune(rune(c)))
	}
	return d.serialization("Expected %s for %s, got %s", want, d.pathString(), got)
}

func (d *decoder) syntaxError(msg string) error {
	return d.serialization("Malformed JSON in %s input at offset %d: %s", d.op, d.pos, msg)
}

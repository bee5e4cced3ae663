package awsapi

import (
	"math"
	"unicode/utf16"
	"unicode/utf8"
)

// The lexical part of the decoder: JSON tokens over the raw body, without
// allocating on the common path.

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// hasLiteral reports whether word (true, false, null) comes next.
func (d *decoder) hasLiteral(word string) bool {
	return len(d.data)-d.pos >= len(word) && string(d.data[d.pos:d.pos+len(word)]) == word
}

// literal consumes word (true, false, null) when it comes next.
func (d *decoder) literal(word string) bool {
	if d.hasLiteral(word) {
		d.pos += len(word)
		return true
	}
	return false
}

// nextElement moves to the next element of an array or object whose opening
// bracket was consumed; it reports false at the closing bracket.
func (d *decoder) nextElement(closing byte, first bool) (bool, error) {
	d.skipSpace()
	if d.pos >= len(d.data) {
		return false, d.syntaxError("unexpected end of input")
	}
	if d.data[d.pos] == closing {
		d.pos++
		return false, nil
	}
	if !first {
		if d.data[d.pos] != ',' {
			return false, d.syntaxError("expected ',' or '" + string(closing) + "'")
		}
		d.pos++
		d.skipSpace()
	}
	if d.pos >= len(d.data) {
		return false, d.syntaxError("unexpected end of input")
	}
	return true, nil
}

// objectKey reads a member name and the colon after it.
func (d *decoder) objectKey() ([]byte, error) {
	if d.data[d.pos] != '"' {
		return nil, d.syntaxError("expected a member name")
	}
	k, err := d.readString()
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos >= len(d.data) || d.data[d.pos] != ':' {
		return nil, d.syntaxError("expected ':' after a member name")
	}
	d.pos++
	d.skipSpace()
	if d.pos >= len(d.data) {
		return nil, d.syntaxError("unexpected end of input")
	}
	return k, nil
}

// readString reads the JSON string at d.pos. The result aliases the body or
// the decoder's scratch buffer and is valid until the next readString.
func (d *decoder) readString() ([]byte, error) {
	start := d.pos + 1
	for i := start; i < len(d.data); i++ {
		c := d.data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return d.data[start:i], nil
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return d.readStringSlow(start)
		}
	}
	d.pos = len(d.data)
	return nil, d.syntaxError("unterminated string")
}

// readStringSlow decodes escapes and replaces invalid UTF-8 with U+FFFD, as
// encoding/json does.
func (d *decoder) readStringSlow(start int) ([]byte, error) {
	out := d.scratch[:0]
	i := start
	for i < len(d.data) {
		c := d.data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			d.scratch = out
			return out, nil
		case c < 0x20:
			d.pos = i
			return nil, d.syntaxError("control character in string")
		case c == '\\':
			var err error
			if out, i, err = d.escape(out, i); err != nil {
				return nil, err
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(d.data[i:])
			out = utf8.AppendRune(out, r)
			i += size
		}
	}
	d.pos = len(d.data)
	return nil, d.syntaxError("unterminated string")
}

// escape decodes the escape sequence at i and returns the new position.
func (d *decoder) escape(out []byte, i int) ([]byte, int, error) {
	if i+1 >= len(d.data) {
		d.pos = i
		return nil, 0, d.syntaxError("unterminated escape")
	}
	switch e := d.data[i+1]; e {
	case '"', '\\', '/':
		return append(out, e), i + 2, nil
	case 'b':
		return append(out, '\b'), i + 2, nil
	case 'f':
		return append(out, '\f'), i + 2, nil
	case 'n':
		return append(out, '\n'), i + 2, nil
	case 'r':
		return append(out, '\r'), i + 2, nil
	case 't':
		return append(out, '\t'), i + 2, nil
	case 'u':
		r, ok := hex4(d.data, i+2)
		if !ok {
			d.pos = i
			return nil, 0, d.syntaxError("invalid \\u escape")
		}
		i += 6
		if utf16.IsSurrogate(r) {
			r2, ok2 := rune(-1), false
			if i+1 < len(d.data) && d.data[i] == '\\' && d.data[i+1] == 'u' {
				r2, ok2 = hex4(d.data, i+2)
			}
			if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
				return utf8.AppendRune(out, dec), i + 6, nil
			}
			r = utf8.RuneError
		}
		return utf8.AppendRune(out, r), i, nil
	}
	d.pos = i
	return nil, 0, d.syntaxError("invalid escape character")
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// skipNumber consumes a JSON number per RFC 8259.
func (d *decoder) skipNumber() error {
	i := d.pos
	if i < len(d.data) && d.data[i] == '-' {
		i++
	}
	switch {
	case i < len(d.data) && d.data[i] == '0':
		i++
	case i < len(d.data) && d.data[i] >= '1' && d.data[i] <= '9':
		i = digits(d.data, i)
	default:
		return d.syntaxError("invalid number")
	}
	if i < len(d.data) && d.data[i] == '.' {
		j := digits(d.data, i+1)
		if j == i+1 {
			return d.syntaxError("invalid number")
		}
		i = j
	}
	if i < len(d.data) && (d.data[i] == 'e' || d.data[i] == 'E') {
		i++
		if i < len(d.data) && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		j := digits(d.data, i)
		if j == i {
			return d.syntaxError("invalid number")
		}
		i = j
	}
	d.pos = i
	return nil
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// parseInt parses a JSON integer literal (no fraction, no exponent) that
// fits in an int64.
func parseInt(lit []byte) (int64, bool) {
	neg := len(lit) > 0 && lit[0] == '-'
	if neg {
		lit = lit[1:]
	}
	if len(lit) == 0 {
		return 0, false
	}
	var u uint64
	for _, c := range lit {
		if c < '0' || c > '9' {
			return 0, false
		}
		if u > (math.MaxUint64-9)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	switch {
	case neg && u <= 1<<63:
		return -int64(u), true // -(1<<63) wraps to MinInt64
	case !neg && u <= math.MaxInt64:
		return int64(u), true
	}
	return 0, false
}

package awsapi

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cloudmap/cloudmap"
)

// The model's constraints. Each violation is collected with its member path;
// a request with any becomes one InvalidInput whose message follows AWS's
// wording: "1 validation error detected: Value at 'Name' failed to satisfy
// constraint: Member must have length less than or equal to 1024".

// checkString checks length (in characters), pattern and enum of s.
func (d *decoder) checkString(s *shape, b []byte) {
	if s.hasMin || s.hasMax {
		n := int64(utf8.RuneCount(b))
		if s.hasMin && n < s.min {
			d.violate("Member must have length greater than or equal to " + strconv.FormatInt(s.min, 10))
		}
		if s.hasMax && n > s.max {
			d.violate("Member must have length less than or equal to " + strconv.FormatInt(s.max, 10))
		}
	}
	if s.match != nil && !s.match(b) {
		d.violate("Member must satisfy regular expression pattern: " + s.pattern)
	}
	if len(s.enum) > 0 && !inEnum(s.enum, b) {
		d.violate("Member must satisfy enum value set: [" + strings.Join(s.enum, ", ") + "]")
	}
}

// checkKey checks a map key; violations name the map.
func (d *decoder) checkKey(s *shape, b []byte) {
	before := d.nviolation
	d.checkString(s, b)
	for i := before; i < d.nviolation && i < len(d.violations); i++ {
		d.violations[i] = strings.Replace(d.violations[i], ": Member must", ": Map keys must", 1)
	}
}

func inEnum(enum []string, b []byte) bool {
	for _, e := range enum {
		if string(b) == e {
			return true
		}
	}
	return false
}

// checkRange checks an integer against the shape's min and max.
func (d *decoder) checkRange(s *shape, x int64) {
	if s.hasMin && x < s.min {
		d.violate("Member must have value greater than or equal to " + strconv.FormatInt(s.min, 10))
	}
	if s.hasMax && x > s.max {
		d.violate("Member must have value less than or equal to " + strconv.FormatInt(s.max, 10))
	}
}

// checkSize checks the number of items of a list or map.
func (d *decoder) checkSize(s *shape, n int) {
	if s.hasMin && int64(n) < s.min {
		d.violate("Member must have length greater than or equal to " + strconv.FormatInt(s.min, 10))
	}
	if s.hasMax && int64(n) > s.max {
		d.violate("Member must have length less than or equal to " + strconv.FormatInt(s.max, 10))
	}
}

// violate records one violation at the current path.
func (d *decoder) violate(constraint string) {
	d.nviolation++
	if len(d.violations) < maxListedViolations {
		d.violations = append(d.violations,
			"Value at '"+d.pathString()+"' failed to satisfy constraint: "+constraint)
	}
}

// validationError is the InvalidInput for the collected violations.
func (d *decoder) validationError() error {
	var b strings.Builder
	b.WriteString(strconv.Itoa(d.nviolation))
	if d.nviolation == 1 {
		b.WriteString(" validation error detected: ")
	} else {
		b.WriteString(" validation errors detected: ")
	}
	b.WriteString(strings.Join(d.violations, "; "))
	if more := d.nviolation - len(d.violations); more > 0 {
		b.WriteString("; and " + strconv.Itoa(more) + " more")
	}
	return &cloudmap.Error{Code: cloudmap.ErrInvalidInput, Message: b.String()}
}

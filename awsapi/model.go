package awsapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
)

// modelJSON is the botocore model of AWS Cloud Map (Apache-2.0, see
// model/SOURCE.md). It drives request validation.
//
//go:embed model/service-2.json
var modelJSON []byte

// shapeKind is the type of a model shape.
type shapeKind uint8

const (
	kindString shapeKind = iota + 1
	kindInteger
	kindLong
	kindBoolean
	kindTimestamp
	kindList
	kindMap
	kindStructure
)

var kindNames = map[string]shapeKind{
	"string": kindString, "integer": kindInteger, "long": kindLong, "boolean": kindBoolean,
	"timestamp": kindTimestamp, "list": kindList, "map": kindMap, "structure": kindStructure,
}

// shape is one parsed model shape with its constraints.
type shape struct {
	name           string
	kind           shapeKind
	hasMin, hasMax bool
	min, max       int64
	pattern        string            // as written in the model, for messages
	match          func([]byte) bool // nil when the shape has no pattern
	enum           []string          // allowed values; empty means any
	members        map[string]*shape // structure members by name
	required       []string          // required member names, in model order
	member         *shape            // list element
	key, value     *shape            // map key and value
	memberNames    []string          // structure member names, sorted
	exception      bool              // the shape is a modeled error
	rawMemberNames map[string]string // member name -> shape name (resolution only)
	rawRefs        [3]string         // member, key, value shape names (resolution only)
}

// modelOp is one operation of the model.
type modelOp struct {
	name   string
	input  *shape // nil when the operation takes no input
	output *shape // nil when the operation has no output
}

// model is the parsed service model.
type model struct {
	targetPrefix string
	shapes       map[string]*shape
	ops          map[string]*modelOp
}

type rawRef struct {
	Shape string `json:"shape"`
}

type rawShape struct {
	Type     string            `json:"type"`
	Min      *float64          `json:"min"`
	Max      *float64          `json:"max"`
	Pattern  string            `json:"pattern"`
	Enum     []string          `json:"enum"`
	Required []string          `json:"required"`
	Members  map[string]rawRef `json:"members"`
	Member   *rawRef           `json:"member"`
	Key      *rawRef           `json:"key"`
	Value    *rawRef           `json:"value"`
}

type rawModel struct {
	Metadata struct {
		TargetPrefix string `json:"targetPrefix"`
	} `json:"metadata"`
	Operations map[string]struct {
		Input  *rawRef `json:"input"`
		Output *rawRef `json:"output"`
	} `json:"operations"`
	Shapes map[string]rawShape `json:"shapes"`
}

// parseModel parses a botocore service model and resolves its shapes.
func parseModel(data []byte) (*model, error) {
	var raw rawModel
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("awsapi: parse model: %w", err)
	}
	m := &model{targetPrefix: raw.Metadata.TargetPrefix, shapes: map[string]*shape{}, ops: map[string]*modelOp{}}
	for name, rs := range raw.Shapes {
		s, err := newShape(name, rs)
		if err != nil {
			return nil, err
		}
		m.shapes[name] = s
	}
	for _, s := range m.shapes {
		if err := m.resolve(s); err != nil {
			return nil, err
		}
	}
	for name, ro := range raw.Operations {
		op := &modelOp{name: name}
		var err error
		if ro.Input != nil {
			if op.input, err = m.lookup(ro.Input.Shape); err != nil {
				return nil, err
			}
		}
		if ro.Output != nil {
			if op.output, err = m.lookup(ro.Output.Shape); err != nil {
				return nil, err
			}
		}
		m.ops[name] = op
	}
	return m, nil
}

func newShape(name string, rs rawShape) (*shape, error) {
	kind, ok := kindNames[rs.Type]
	if !ok {
		return nil, fmt.Errorf("awsapi: model shape %s: unsupported type %q", name, rs.Type)
	}
	s := &shape{name: name, kind: kind, enum: rs.Enum, required: rs.Required}
	if rs.Min != nil {
		s.hasMin, s.min = true, int64(*rs.Min)
	}
	if rs.Max != nil {
		s.hasMax, s.max = true, int64(*rs.Max)
	}
	if rs.Pattern != "" {
		s.pattern = rs.Pattern
		match, err := compilePattern(rs.Pattern)
		if err != nil {
			return nil, fmt.Errorf("awsapi: model shape %s: %w", name, err)
		}
		s.match = match
	}
	if len(rs.Members) > 0 {
		s.rawMemberNames = map[string]string{}
		for mn, ref := range rs.Members {
			s.rawMemberNames[mn] = ref.Shape
		}
	}
	for i, ref := range []*rawRef{rs.Member, rs.Key, rs.Value} {
		if ref != nil {
			s.rawRefs[i] = ref.Shape
		}
	}
	return s, nil
}

func (m *model) lookup(name string) (*shape, error) {
	s, ok := m.shapes[name]
	if !ok {
		return nil, fmt.Errorf("awsapi: model references unknown shape %q", name)
	}
	return s, nil
}

// resolve links a shape to the shapes it references.
func (m *model) resolve(s *shape) error {
	if s.rawMemberNames != nil {
		s.members = map[string]*shape{}
		for mn, sn := range s.rawMemberNames {
			ms, err := m.lookup(sn)
			if err != nil {
				return err
			}
			s.members[mn] = ms
			s.memberNames = append(s.memberNames, mn)
		}
		sort.Strings(s.memberNames)
	}
	for _, rn := range s.required {
		if _, ok := s.members[rn]; !ok {
			return fmt.Errorf("awsapi: model shape %s requires unknown member %s", s.name, rn)
		}
	}
	refs := []**shape{&s.member, &s.key, &s.value}
	for i, rn := range s.rawRefs {
		if rn == "" {
			continue
		}
		rs, err := m.lookup(rn)
		if err != nil {
			return err
		}
		*refs[i] = rs
	}
	if s.kind == kindList && s.member == nil {
		return fmt.Errorf("awsapi: model list %s has no member", s.name)
	}
	if s.kind == kindMap && (s.key == nil || s.value == nil) {
		return fmt.Errorf("awsapi: model map %s lacks key or value", s.name)
	}
	return nil
}

// regexpMatcher wraps a Go regular expression; the model's patterns are not
// anchored implicitly (Smithy semantics), so Match is a search.
func regexpMatcher(re *regexp.Regexp) func([]byte) bool { return re.Match }

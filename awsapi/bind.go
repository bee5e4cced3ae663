package awsapi

import (
	"fmt"
	"reflect"
	"time"
)

// node binds a model shape to the Go type a request value decodes into.
// Nodes are built once at startup; the decoder walks them.
type node struct {
	s        *shape
	t        reflect.Type      // the Go type, pointers removed
	fields   map[string]*field // structure members by model name
	required []*field          // required members, in model order
	elem     *node             // list element or map value
	key      *node             // map key
	strMap   bool              // t is exactly map[string]string
}

// field is one structure member and the Go field it decodes into.
type field struct {
	name  string
	index int
	bit   uint64 // presence bit: required checks, and a member given twice
	node  *node
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	stringMapType = reflect.TypeFor[map[string]string]()
)

type bindKey struct {
	shape string
	t     reflect.Type
}

// binder builds nodes, sharing one node per (shape, type) pair.
type binder struct {
	nodes map[bindKey]*node
}

// bind returns the node decoding shape s into Go type t.
func (b *binder) bind(s *shape, t reflect.Type) (*node, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	k := bindKey{s.name, t}
	if n, ok := b.nodes[k]; ok {
		return n, nil
	}
	n := &node{s: s, t: t}
	b.nodes[k] = n
	if err := b.fill(n); err != nil {
		return nil, fmt.Errorf("shape %s into %s: %w", s.name, t, err)
	}
	return n, nil
}

func (b *binder) fill(n *node) error {
	s, t := n.s, n.t
	var err error
	switch s.kind {
	case kindString:
		if t.Kind() != reflect.String {
			return fmt.Errorf("string shape needs a string kind, have %s", t.Kind())
		}
	case kindInteger, kindLong:
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		default:
			return fmt.Errorf("integer shape needs a signed integer kind, have %s", t.Kind())
		}
	case kindBoolean:
		if t.Kind() != reflect.Bool {
			return fmt.Errorf("boolean shape needs a bool, have %s", t.Kind())
		}
	case kindList:
		if t.Kind() != reflect.Slice {
			return fmt.Errorf("list shape needs a slice, have %s", t.Kind())
		}
		n.elem, err = b.bind(s.member, t.Elem())
	case kindMap:
		if t.Kind() != reflect.Map || t.Key().Kind() != reflect.String {
			return fmt.Errorf("map shape needs a map with string keys, have %s", t)
		}
		n.strMap = t == stringMapType
		if n.key, err = b.bind(s.key, t.Key()); err == nil {
			n.elem, err = b.bind(s.value, t.Elem())
		}
	case kindStructure:
		err = b.fillStruct(n)
	default:
		return fmt.Errorf("shape kind %d is not supported in requests", s.kind)
	}
	return err
}

func (b *binder) fillStruct(n *node) error {
	if n.t.Kind() != reflect.Struct || n.t == timeType {
		return fmt.Errorf("structure shape needs a struct, have %s", n.t)
	}
	if len(n.s.memberNames) > 64 {
		return fmt.Errorf("more than 64 members")
	}
	n.fields = map[string]*field{}
	for i, name := range n.s.memberNames {
		sf, ok := n.t.FieldByName(name)
		if !ok || len(sf.Index) != 1 || !sf.IsExported() || sf.Tag.Get("wire") == "-" {
			return fmt.Errorf("no Go field for member %s", name)
		}
		child, err := b.bind(n.s.members[name], sf.Type)
		if err != nil {
			return err
		}
		n.fields[name] = &field{name: name, index: sf.Index[0], node: child, bit: 1 << uint(i)}
	}
	for _, name := range n.s.required {
		n.required = append(n.required, n.fields[name])
	}
	return nil
}

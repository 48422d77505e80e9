package plan

import (
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Pos records where a value was written in the plan file, so that every
// problem found later can name its line.
type Pos struct {
	Line    int            `yaml:"-" json:"-"`
	keys    map[string]int // line of each key of a mapping
	unknown []string       // keys the type does not know
}

// KeyLine is the line of key k in the mapping, or the mapping's own line.
func (p Pos) KeyLine(k string) int {
	if l, ok := p.keys[k]; ok {
		return l
	}
	return p.Line
}

// decodeWithPos decodes n into v (through a method-less alias type, so the
// caller's UnmarshalYAML is not called again) and records positions and the
// keys that the type of v does not declare.
func decodeWithPos(n *yaml.Node, v any, p *Pos) error {
	p.Line = n.Line
	if n.Kind == yaml.MappingNode {
		p.keys = make(map[string]int, len(n.Content)/2)
		known := yamlKeys(reflect.TypeOf(v).Elem())
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			p.keys[k] = n.Content[i].Line
			if !known[k] {
				p.unknown = append(p.unknown, k)
			}
		}
	}
	return n.Decode(v)
}

// yamlKeys lists the yaml keys a struct type accepts.
func yamlKeys(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			for k := range yamlKeys(f.Type) {
				out[k] = true
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = true
	}
	return out
}

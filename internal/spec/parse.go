package spec

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// Parse reads a spec from YAML: a list of resources (the form of the Konfig
// goldens and of `konfig-lsp compile`) or a {resources: [...]} document.
// Attribute values are made plain (see Plain).
func Parse(data []byte) (*Spec, error) {
	var sp Spec
	if err := yaml.Unmarshal(data, &sp.Resources); err != nil {
		sp = Spec{}
		if err := yaml.Unmarshal(data, &sp); err != nil {
			return nil, fmt.Errorf("parse spec: %w", err)
		}
	}
	for i := range sp.Resources {
		if m, ok := Plain(sp.Resources[i].Attributes).(map[string]any); ok {
			sp.Resources[i].Attributes = m
		}
	}
	return &sp, nil
}

// Plain turns values decoded from YAML into plain JSON-like Go values, in
// place where it can: map[string]any for mappings (other keys formatted
// with %v), []any for sequences, scalars as they are.
func Plain(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = Plain(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = Plain(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = Plain(e)
		}
		return x
	}
	return v
}

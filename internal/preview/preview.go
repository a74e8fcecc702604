// Package preview renders a compiled stack for the editor: the resources as
// YAML with sensitive values masked (spec.Mask: Secret values, Terraform
// passwords and tokens), a resource filter for one front-end
// instance, and value provenance (which output fields carry a given source
// value).
//
// It works on a *spec.Spec; there is no state to construct:
//
//	text := preview.YAML(sp.Resources, spec.Matcher{})
//	fields := preview.FieldsWithValue(sp.Resources, "wordpress:4.8-apache", spec.Matcher{})
package preview

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// YAML renders resources as a YAML list in the goldens' form, with their
// sensitive values masked by spec.Mask (m names the sensitive attributes).
func YAML(resources []spec.Resource, m spec.Matcher) string {
	masked := make([]spec.Resource, len(resources))
	for i, r := range resources {
		masked[i] = spec.Mask(r, m)
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(masked); err != nil {
		return fmt.Sprintf("# cannot render resources: %v\n", err)
	}
	enc.Close()
	return b.String()
}

// Field is one output field: the resource id and a path in its attributes.
type Field struct {
	ID   string
	Path string // e.g. spec.template.spec.containers[0].image
}

// FieldsWithValue returns the output fields whose value equals want (a
// scalar as written in the source: string, int, float or bool), in resource
// order then path order. Sensitive values (spec.Mask with m) are never
// matched.
func FieldsWithValue(resources []spec.Resource, want any, m spec.Matcher) []Field {
	if want == spec.Masked || want == spec.MaskedChanged {
		return nil
	}
	var out []Field
	for _, r := range resources {
		var paths []string
		walk(spec.MaskAttributes(r.Type, r.Attributes, nil, m), "", func(path string, v any) {
			if scalarEqual(v, want) {
				paths = append(paths, path)
			}
		})
		sort.Strings(paths)
		for _, p := range paths {
			out = append(out, Field{ID: r.ID, Path: p})
		}
	}
	return out
}

func walk(v any, path string, f func(string, any)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			walk(x, p, f)
		}
	case []any:
		for i, x := range v {
			walk(x, fmt.Sprintf("%s[%d]", path, i), f)
		}
	default:
		f(path, v)
	}
}

func scalarEqual(v, want any) bool {
	switch w := want.(type) {
	case string:
		s, ok := v.(string)
		return ok && s == w && w != ""
	case bool:
		b, ok := v.(bool)
		return ok && b == w
	case int64:
		return numEqual(v, float64(w))
	case int:
		return numEqual(v, float64(w))
	case float64:
		return numEqual(v, w)
	}
	return false
}

func numEqual(v any, w float64) bool {
	switch n := v.(type) {
	case int:
		return float64(n) == w
	case int64:
		return float64(n) == w
	case float64:
		return n == w
	}
	return false
}

// ForInstance returns the resources that an instance named name generates:
// those whose metadata name or namespace, or whose id, mentions name. When
// none match, all resources are returned (one app per stack is the norm).
func ForInstance(resources []spec.Resource, name string) []spec.Resource {
	if name == "" {
		return resources
	}
	var out []spec.Resource
	for _, r := range resources {
		if strings.Contains(r.ID, name) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return resources
	}
	return out
}

// Package graph builds the dependency graph (a DAG) of a stack's resources:
// edges come from each resource's explicit dependsOn and from the implicit
// references "$kusion_path.<id>.<attr>" found anywhere in its attributes.
// Duplicate ids, references to unknown ids and cycles are errors; a cycle
// error names the resources on it.
//
// Construct it with New:
//
//	g, err := graph.New(spec.Resources)
//	for _, id := range g.Order() { … }   // dependencies first
package graph

import (
	"fmt"
	"sort"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// ImplicitRefPrefix starts a string attribute that refers to another
// resource's attribute: "$kusion_path.<resourceID>.<path.in.attributes>".
// The resource id is the text up to the first '.', so ids holding a '.' cannot
// be referred to this way.
const ImplicitRefPrefix = "$kusion_path."

// Graph is the dependency DAG of a list of resources. The zero value is not
// usable; build one with New.
type Graph struct {
	ids   []string            // resource ids in input order
	index map[string]int      // id -> position in ids
	deps  map[string][]string // id -> the ids it depends on (sorted, unique)
	users map[string][]string // id -> the ids that depend on it (input order, unique)
	order []string            // a topological order, dependencies first
}

// New builds the graph of resources. It fails on an empty or duplicate id, a
// dependency on an id that is not in the list, and a cycle.
func New(resources []spec.Resource) (*Graph, error) {
	g := &Graph{
		index: make(map[string]int, len(resources)),
		deps:  make(map[string][]string, len(resources)),
		users: make(map[string][]string, len(resources)),
	}
	for i, r := range resources {
		if r.ID == "" {
			return nil, fmt.Errorf("resource #%d has no id", i+1)
		}
		if j, dup := g.index[r.ID]; dup {
			return nil, fmt.Errorf("duplicate resource id %q (resources #%d and #%d)", r.ID, j+1, i+1)
		}
		g.index[r.ID] = i
		g.ids = append(g.ids, r.ID)
	}
	for _, r := range resources {
		set := map[string]bool{}
		for _, d := range r.DependsOn {
			if _, ok := g.index[d]; !ok {
				return nil, fmt.Errorf("resource %q depends on unknown resource %q", r.ID, d)
			}
			set[d] = true
		}
		for _, ref := range Refs(r.Attributes) {
			if _, ok := g.index[ref.ID]; !ok {
				return nil, fmt.Errorf("resource %q refers to unknown resource %q in %q", r.ID, ref.ID, ref.Raw)
			}
			set[ref.ID] = true
		}
		if set[r.ID] {
			return nil, fmt.Errorf("dependency cycle: %s -> %s", r.ID, r.ID)
		}
		for d := range set {
			g.deps[r.ID] = append(g.deps[r.ID], d)
			g.users[d] = append(g.users[d], r.ID)
		}
	}
	for id := range g.deps {
		sort.Strings(g.deps[id])
	}
	for id := range g.users {
		us := g.users[id]
		sort.Slice(us, func(i, j int) bool { return g.index[us[i]] < g.index[us[j]] })
	}
	order, err := g.topo()
	if err != nil {
		return nil, err
	}
	g.order = order
	return g, nil
}

// topo orders the ids dependencies first (input order among ready ids) or
// reports a cycle.
func (g *Graph) topo() ([]string, error) {
	indeg := make(map[string]int, len(g.ids))
	for _, id := range g.ids {
		indeg[id] = len(g.deps[id])
	}
	var ready []string
	for _, id := range g.ids {
		if indeg[id] == 0 {
			ready = append(ready, id)
		}
	}
	order := make([]string, 0, len(g.ids))
	for len(ready) > 0 {
		id := ready[0]
		ready = ready[1:]
		order = append(order, id)
		for _, u := range g.users[id] {
			indeg[u]--
			if indeg[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	if len(order) == len(g.ids) {
		return order, nil
	}
	return nil, g.cycleError(indeg)
}

// cycleError finds one cycle among the ids left with dependencies and names it.
func (g *Graph) cycleError(indeg map[string]int) error {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var found []string
	var visit func(id string) bool
	visit = func(id string) bool {
		color[id] = grey
		stack = append(stack, id)
		for _, d := range g.deps[id] {
			if indeg[d] == 0 {
				continue
			}
			switch color[d] {
			case grey:
				for i := len(stack) - 1; i >= 0; i-- {
					if stack[i] == d {
						found = append(append([]string{}, stack[i:]...), d)
						return true
					}
				}
			case white:
				if visit(d) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[id] = black
		return false
	}
	for _, id := range g.ids {
		if indeg[id] > 0 && color[id] == white && visit(id) {
			break
		}
	}
	if found == nil {
		return fmt.Errorf("dependency cycle among %d resources", len(indeg))
	}
	return fmt.Errorf("dependency cycle: %s", strings.Join(found, " -> "))
}

// IDs returns the resource ids in input order.
func (g *Graph) IDs() []string { return append([]string(nil), g.ids...) }

// Order returns the ids in a topological order: every id comes after all the
// ids it depends on.
func (g *Graph) Order() []string { return append([]string(nil), g.order...) }

// DependsOn returns the ids that id depends on directly.
func (g *Graph) DependsOn(id string) []string { return g.deps[id] }

// Dependents returns the ids that depend directly on id.
func (g *Graph) Dependents(id string) []string { return g.users[id] }

// Has reports whether id is a node of the graph.
func (g *Graph) Has(id string) bool {
	_, ok := g.index[id]
	return ok
}

// Ref is one implicit reference found in attributes.
type Ref struct {
	Raw  string   // the whole string, "$kusion_path.<id>.<path>"
	ID   string   // the referred resource id
	Path []string // the attribute path inside that resource (may be empty)
}

// ParseRef parses s as an implicit reference; ok is false when s is not one.
func ParseRef(s string) (ref Ref, ok bool) {
	if !strings.HasPrefix(s, ImplicitRefPrefix) {
		return Ref{}, false
	}
	rest := strings.TrimPrefix(s, ImplicitRefPrefix)
	parts := strings.Split(rest, ".")
	if parts[0] == "" {
		return Ref{}, false
	}
	ref = Ref{Raw: s, ID: parts[0]}
	for _, p := range parts[1:] {
		if p != "" {
			ref.Path = append(ref.Path, p)
		}
	}
	return ref, true
}

// Refs returns the implicit references found anywhere in v (maps, lists and
// strings), in a deterministic order.
func Refs(v any) []Ref {
	var out []Ref
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if r, ok := ParseRef(x); ok {
				out = append(out, r)
			}
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(x[k])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// Lookup returns the value at path inside v (maps by key, lists by index).
func Lookup(v any, path []string) (any, bool) {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[p]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			var i int
			if _, err := fmt.Sscanf(p, "%d", &i); err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// Resolve returns a deep copy of attrs with every implicit reference replaced
// by the value that lookup gives for it. References that lookup cannot
// resolve are left as they are and returned in unresolved.
func Resolve(attrs map[string]any, lookup func(Ref) (any, bool)) (out map[string]any, unresolved []Ref) {
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			if r, ok := ParseRef(x); ok {
				if val, ok := lookup(r); ok {
					return DeepCopy(val)
				}
				unresolved = append(unresolved, r)
			}
			return x
		case map[string]any:
			m := make(map[string]any, len(x))
			for k, e := range x {
				m[k] = walk(e)
			}
			return m
		case []any:
			l := make([]any, len(x))
			for i, e := range x {
				l[i] = walk(e)
			}
			return l
		default:
			return v
		}
	}
	if attrs == nil {
		return nil, nil
	}
	return walk(attrs).(map[string]any), unresolved
}

// DeepCopy copies maps and lists of v recursively; other values are shared.
func DeepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = DeepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = DeepCopy(e)
		}
		return l
	default:
		return v
	}
}

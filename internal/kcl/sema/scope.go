package sema

import "github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"

// ScopeKind classifies a Scope.
type ScopeKind int

// The scope kinds.
const (
	ScopeBuiltin ScopeKind = iota
	ScopePackage
	ScopeFile
	ScopeSchema
	ScopeLambda
	ScopeComp // comprehension or quantifier
	ScopeConfig
	ScopeCheck
)

// Scope is a lexical scope: a map from names to symbols with a parent.
type Scope struct {
	Kind   ScopeKind
	Parent *Scope
	Names  map[string]*Symbol
	// Schema is the schema whose body (or check block) this scope is; names
	// not found in Names are looked up as the schema's attributes.
	Schema *SchemaInfo
	// File and range of the scope (zero for package and builtin scopes).
	File       string
	Start, End syntax.Pos
	Children   []*Scope
	// Node is the construct the scope belongs to where bindings need it:
	// the *syntax.LambdaExpr of a lambda scope, the *syntax.QuantExpr of a
	// quantifier, the *syntax.ConfigExpr (or *syntax.ConfigIfEntry) of a
	// config scope.
	Node syntax.Node

	// clauses are a comprehension scope's clauses.
	clauses []*syntax.CompClause
	// slots caches LambdaSlots of a lambda scope; keys the static key names
	// of a config scope (see bindings.go).
	slots []string
	keys  map[string]bool
	// open marks a config scope whose literal may hold any key.
	open bool
}

func newScope(kind ScopeKind, parent *Scope) *Scope {
	s := &Scope{Kind: kind, Parent: parent, Names: map[string]*Symbol{}}
	if parent != nil && kind != ScopeFile {
		parent.Children = append(parent.Children, s)
	}
	return s
}

// Lookup finds name in s and its ancestors. The earlier keys of the
// innermost config literal around s are visible with priority (a key is
// visible in the values of its siblings); keys of outer config literals
// only when the name is not defined anywhere else.
func (s *Scope) Lookup(name string) *Symbol {
	if sym := s.lookup(name, false); sym != nil {
		return sym
	}
	return s.lookup(name, true)
}

// lookup walks the scope chain; the keys of enclosing config literals other
// than the innermost one are consulted only when outer is set.
func (s *Scope) lookup(name string, outer bool) *Symbol {
	seenConfig := false
	for c := s; c != nil; c = c.Parent {
		if c.Kind == ScopeConfig {
			if seenConfig && !outer {
				continue
			}
			seenConfig = true
		}
		if sym, ok := c.Names[name]; ok {
			return sym
		}
		if c.Schema != nil {
			if a := c.Schema.Attr(name); a != nil && a.Sym != nil {
				return a.Sym
			}
		}
	}
	return nil
}

// define adds sym under its name unless the name is taken in s itself;
// it returns the symbol now bound.
func (s *Scope) define(sym *Symbol) *Symbol {
	if old, ok := s.Names[sym.Name]; ok {
		return old
	}
	s.Names[sym.Name] = sym
	return sym
}

// visibleNames returns every name visible from s (innermost first wins).
func (s *Scope) visibleNames() map[string]*Symbol {
	out := map[string]*Symbol{}
	for c := s; c != nil; c = c.Parent {
		for n, sym := range c.Names {
			if _, ok := out[n]; !ok {
				out[n] = sym
			}
		}
		if c.Schema != nil {
			for _, a := range c.Schema.AllAttrs() {
				if _, ok := out[a.Name]; !ok && a.Sym != nil {
					out[a.Name] = a.Sym
				}
			}
		}
	}
	return out
}

// Package schema is the model catalog the editor sees: for every schema of a
// resolved KCL program its attributes (name, type, optional, default as
// source text, description), docstring sections and examples, parents,
// mixins and checks; and, for a position inside a config block, the schema
// expected there and the attributes already set. Completion and hover read
// this catalog instead of the AST.
//
// Build a catalog from a resolved program:
//
//	prog, _ := sema.Load(ctx, sema.Config{ModRoot: root, Files: files})
//	cat := schema.New(prog)
//	s := cat.Schema("base.pkg.kusion_models.kube.frontend.Server")
//	exp := cat.ExpectedAt(file, line, col) // 1-based line and byte column
//
// A Catalog is immutable and safe for concurrent use; build a new one for
// each new sema.Program.
package schema

import (
	"sort"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sema"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// Catalog indexes the schemas of one program.
type Catalog struct {
	prog    *sema.Program
	byFQN   map[string]*Schema
	byInfo  map[*sema.SchemaInfo]*Schema
	ordered []*Schema
}

// Schema describes one schema, mixin, protocol or rule.
type Schema struct {
	// Name is the short name, FQN the package-qualified one, PkgPath the
	// package ("__main__" for the main package).
	Name, FQN, PkgPath string
	// Kind is "schema", "mixin", "protocol" or "rule".
	Kind string
	// Doc is the whole docstring; Summary its text before the first section.
	Doc, Summary string
	// Sections are the docstring sections by title (Attributes, Examples, …).
	Sections map[string]string
	// Examples is the Examples section ("" when absent).
	Examples string
	// Attributes visible on instances: parents first, own, then mixins.
	Attributes []*Attribute
	// Parents is the inheritance chain, nearest first (FQNs).
	Parents []string
	// Mixins are the mixin FQNs in declaration order.
	Mixins []string
	// Protocol is the `for` protocol FQN ("" when none).
	Protocol string
	// Checks are the check expressions as source text (own only).
	Checks []string
	// Params are the schema arguments.
	Params []Param
	// IndexSignature is the `[key: K]: V` text ("" when none).
	IndexSignature string
	// Loc is where the schema name is declared.
	Loc sema.Location

	info  *sema.SchemaInfo
	attrs map[string]*Attribute
}

// Param is a schema argument.
type Param struct {
	Name, Type, Default string
	Optional            bool
}

// Attribute describes one schema attribute.
type Attribute struct {
	Name string
	// Type is the declared type as KCL prints it.
	Type     string
	Optional bool
	// Default is the default value expression as source text ("" if none).
	Default    string
	HasDefault bool
	// Doc is the attribute's description from the docstring.
	Doc string
	// Owner is the FQN of the schema declaring the attribute.
	Owner string
	// Decorators are the decorator names (e.g. "deprecated").
	Decorators []string
	// Loc is where the attribute is declared.
	Loc sema.Location
	// SchemaType is the FQN of the attribute's schema type when it is a
	// schema (or a list/dict/union containing exactly one), for nested
	// completion; "" otherwise.
	SchemaType string
}

// New builds the catalog of every schema in prog.
func New(prog *sema.Program) *Catalog {
	c := &Catalog{prog: prog, byFQN: map[string]*Schema{}, byInfo: map[*sema.SchemaInfo]*Schema{}}
	for _, si := range prog.Schemas() {
		s := c.build(si)
		c.ordered = append(c.ordered, s)
	}
	return c
}

func kindName(k sema.SchemaKind) string {
	switch k {
	case sema.SchemaMixin:
		return "mixin"
	case sema.SchemaProtocol:
		return "protocol"
	case sema.SchemaRule:
		return "rule"
	}
	return "schema"
}

func (c *Catalog) build(si *sema.SchemaInfo) *Schema {
	if s, ok := c.byInfo[si]; ok {
		return s
	}
	sec := sema.DocSections(si.Doc)
	s := &Schema{
		Name: si.Name, FQN: si.FQN(), PkgPath: si.PkgPath, Kind: kindName(si.Kind),
		Doc: si.Doc, Summary: strings.TrimSpace(sec[""]), Sections: sec, Examples: sec["Examples"],
		Checks: si.Checks, info: si, attrs: map[string]*Attribute{},
	}
	if si.Sym != nil {
		s.Loc = si.Sym.Loc
	}
	c.byInfo[si] = s
	c.byFQN[s.FQN] = s
	seen := map[*sema.SchemaInfo]bool{}
	for p := si.Parent; p != nil && !seen[p]; p = p.Parent {
		seen[p] = true
		s.Parents = append(s.Parents, p.FQN())
	}
	for _, m := range si.Mixins {
		s.Mixins = append(s.Mixins, m.FQN())
	}
	if si.Protocol != nil {
		s.Protocol = si.Protocol.FQN()
	}
	for _, p := range si.Params {
		s.Params = append(s.Params, Param{Name: p.Name, Type: p.Type.String(), Default: p.Default, Optional: p.Optional})
	}
	if ix := si.IndexSig(); ix != nil {
		k := ix.Key.String()
		if ix.KeyName != "" {
			k = ix.KeyName + ": " + k
		}
		if ix.AnyOther {
			k = "..." + k
		}
		s.IndexSignature = "[" + k + "]: " + ix.Value.String()
	}
	for _, a := range si.AllAttrs() {
		if !a.Declared {
			continue
		}
		at := &Attribute{
			Name: a.Name, Type: a.Type.String(), Optional: a.Optional, Default: a.Default,
			HasDefault: a.HasDefault, Doc: a.Doc, Decorators: a.Decorators,
		}
		if a.Owner != nil {
			at.Owner = a.Owner.FQN()
		}
		if a.Sym != nil {
			at.Loc = a.Sym.Loc
		}
		if ss := schemaOfType(a.Type); ss != nil {
			at.SchemaType = ss.FQN()
		}
		s.Attributes = append(s.Attributes, at)
		s.attrs[a.Name] = at
	}
	return s
}

// schemaOfType returns the single schema a type refers to (through lists,
// dicts and unions), or nil.
func schemaOfType(t *sema.Type) *sema.SchemaInfo {
	if t == nil {
		return nil
	}
	switch t.Kind {
	case sema.KSchema:
		return t.Schema
	case sema.KList, sema.KDict:
		return schemaOfType(t.Elem)
	case sema.KUnion:
		var found *sema.SchemaInfo
		for _, m := range t.Members {
			if s := schemaOfType(m); s != nil {
				if found != nil && found != s {
					return nil
				}
				found = s
			}
		}
		return found
	}
	return nil
}

// Schema returns the schema with the fully qualified name (nil if absent).
func (c *Catalog) Schema(fqn string) *Schema { return c.byFQN[fqn] }

// Schemas returns every schema, in package order then by name.
func (c *Catalog) Schemas() []*Schema { return append([]*Schema(nil), c.ordered...) }

// Of returns the catalog entry of a resolved schema.
func (c *Catalog) Of(si *sema.SchemaInfo) *Schema {
	if si == nil {
		return nil
	}
	if s, ok := c.byInfo[si]; ok {
		return s
	}
	return nil
}

// Attr returns the attribute with the given name (nil if absent).
func (s *Schema) Attr(name string) *Attribute { return s.attrs[name] }

// Required returns the attributes that must be set (not optional and
// without a default).
func (s *Schema) Required() []*Attribute {
	var out []*Attribute
	for _, a := range s.Attributes {
		if !a.Optional && !a.HasDefault {
			out = append(out, a)
		}
	}
	return out
}

// Expected is what a config block expects at a position.
type Expected struct {
	// Schema is the schema expected (nil when the block is a typed dict).
	Schema *Schema
	// Type is the expected type as KCL prints it.
	Type string
	// Set are the keys already written in the block, in source order.
	Set []string
	// Block is the range of the config block.
	Block sema.Location
	// Missing are the required attributes not yet set.
	Missing []string
}

// ExpectedAt returns what the innermost config block around a position
// expects (nil when the position is not inside a typed config block). line
// is 1-based, col the 1-based byte column.
func (c *Catalog) ExpectedAt(file string, line, col int) *Expected {
	f := c.prog.File(file)
	if f == nil {
		return nil
	}
	return c.ExpectedAtOffset(file, offsetOf(f.Src, line, col))
}

// ExpectedAtOffset is ExpectedAt for a byte offset.
func (c *Catalog) ExpectedAtOffset(file string, off int) *Expected {
	ce, t := c.prog.ExpectedSchemaAt(file, off)
	if ce == nil || t == nil {
		return nil
	}
	e := &Expected{Type: t.String(), Block: sema.Location{File: file, Start: ce.Start, End: ce.Stop}}
	if t.Kind == sema.KSchema {
		e.Schema = c.Of(t.Schema)
	}
	e.Set = setKeys(ce.Entries)
	if e.Schema != nil {
		set := map[string]bool{}
		for _, k := range e.Set {
			set[k] = true
		}
		for _, a := range e.Schema.Required() {
			if !set[a.Name] {
				e.Missing = append(e.Missing, a.Name)
			}
		}
	}
	return e
}

func setKeys(entries []*syntax.ConfigEntry) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(es []*syntax.ConfigEntry)
	walk = func(es []*syntax.ConfigEntry) {
		for _, en := range es {
			if en == nil {
				continue
			}
			if en.Key == nil {
				if ci, ok := en.Value.(*syntax.ConfigIfEntry); ok {
					for x := ci; x != nil; x = x.Else {
						walk(x.Entries)
					}
				}
				continue
			}
			n := ""
			switch k := en.Key.(type) {
			case *syntax.Ident:
				n = k.Name
			case *syntax.StringLit:
				n = k.Value
			case *syntax.SelectorExpr:
				if names, ok := syntax.DottedName(k); ok {
					n = names[0]
				}
			case *syntax.IndexExpr:
				if id, ok := k.X.(*syntax.Ident); ok {
					n = id.Name
				}
			}
			if n != "" && !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	walk(entries)
	return out
}

func offsetOf(src []byte, line, col int) int {
	l, i := 1, 0
	for i < len(src) && l < line {
		if src[i] == '\n' {
			l++
		}
		i++
	}
	return i + col - 1
}

// Names returns the FQNs of every schema, sorted.
func (c *Catalog) Names() []string {
	out := make([]string, 0, len(c.byFQN))
	for k := range c.byFQN {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

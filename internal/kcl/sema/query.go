package sema

import (
	"sort"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// ScopeAt returns the innermost scope of file containing the byte offset
// (the file scope when no inner scope contains it; nil when the file is
// not part of the program). Its Lookup and VisibleNames give the names
// usable there.
func (p *Program) ScopeAt(file string, off int) *Scope {
	for _, pkg := range p.packagesOf(file) {
		fs := pkg.FileScopes[file]
		if fs == nil {
			continue
		}
		return innermostScope(fs, off)
	}
	return nil
}

func innermostScope(s *Scope, off int) *Scope {
	for {
		var next *Scope
		for _, c := range s.Children {
			if c.Start.IsValid() && c.Start.Offset <= off && off <= c.End.Offset {
				// later siblings are nested deeper or later in the source
				next = c
			}
		}
		if next == nil {
			return s
		}
		s = next
	}
}

// VisibleNames returns every name visible from s, the innermost binding of
// each, sorted by name.
func (s *Scope) VisibleNames() []*Symbol {
	m := s.visibleNames()
	out := make([]*Symbol, 0, len(m))
	for _, sym := range m {
		out = append(out, sym)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// TypeAt returns the innermost expression of file containing the byte
// offset, with its inferred type (nil, nil when none).
func (p *Program) TypeAt(file string, off int) (syntax.Expr, *Type) {
	return p.exprAt(file, func(e syntax.Expr) bool {
		return e.Pos().Offset <= off && off <= e.End().Offset
	}, true)
}

// TypeEndingAt returns the widest expression of file that ends exactly at
// the byte offset (the `x.y` before a `.` being typed), with its type.
func (p *Program) TypeEndingAt(file string, off int) (syntax.Expr, *Type) {
	return p.exprAt(file, func(e syntax.Expr) bool { return e.End().Offset == off }, false)
}

func (p *Program) exprAt(file string, match func(syntax.Expr) bool, innermost bool) (syntax.Expr, *Type) {
	for _, pkg := range p.packagesOf(file) {
		var best syntax.Expr
		for _, e := range pkg.exprs[file] {
			if !match(e) {
				continue
			}
			size := e.End().Offset - e.Pos().Offset
			if best == nil {
				best = e
				continue
			}
			bsize := best.End().Offset - best.Pos().Offset
			if (innermost && size < bsize) || (!innermost && size > bsize) {
				best = e
			}
		}
		if best != nil {
			return best, pkg.types[best]
		}
	}
	return nil, nil
}

// Members returns the members that `x.` offers for a value of type t:
// the attributes of a schema instance (parents, own, mixins), the names of
// an imported package, the functions of a system module, the str methods,
// the keys of a dict literal, `instances` of a schema type. Sorted by name.
func (p *Program) Members(t *Type) []*Symbol {
	if t == nil {
		return nil
	}
	var out []*Symbol
	switch t.Kind {
	case KSchema:
		for _, a := range t.Schema.AllAttrs() {
			if a.Sym != nil {
				out = append(out, a.Sym)
			}
		}
	case KSchemaDef:
		out = append(out, p.instancesSym())
	case KModule:
		if pkg := p.pkgs[t.Module]; pkg != nil && pkg.Scope != nil {
			for _, sym := range pkg.Scope.Names {
				out = append(out, sym)
			}
		}
	case KStr, KStrLit:
		initMemberSyms()
		for _, sym := range strMethodSymsV {
			out = append(out, sym)
		}
	case KDict:
		for _, sym := range t.Fields {
			out = append(out, sym)
		}
	case KUnion:
		seen := map[string]bool{}
		for _, m := range t.Members {
			for _, sym := range p.Members(m) {
				if !seen[sym.Name] {
					seen[sym.Name] = true
					out = append(out, sym)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.Compare(out[i].Name, out[j].Name) < 0 })
	return out
}

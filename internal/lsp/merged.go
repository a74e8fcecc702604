package lsp

import (
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/schema"
)

// withOtherDeclarations adjusts what a top-level instance's config block
// expects for the declarations of the same name in the other files of the
// stack's main package: KCL merges `x: S {…}` across those files, so an
// attribute set in `base.k` is not missing in `main.k`. Other blocks, and
// files outside a stack, are returned unchanged.
func (s *server) withOtherDeclarations(snap *snapshot, path string, exp *schema.Expected) *schema.Expected {
	if exp == nil || exp.Schema == nil || len(exp.Missing) == 0 {
		return exp
	}
	u := s.unitFor(path)
	if u.stack == nil {
		return exp
	}
	p, err := s.parseFile(snap, sandboxRoot(u), path)
	if err != nil {
		return exp
	}
	target := topLevelInstanceName(p.file, exp.Block.Start.Offset)
	if target == "" {
		return exp
	}
	set := map[string]bool{}
	for _, f := range u.files {
		if f == path {
			continue
		}
		pf, err := s.parseFile(snap, sandboxRoot(u), f)
		if err != nil {
			continue
		}
		for _, st := range pf.file.Stmts {
			if name, cfg := declaration(st); name == target && cfg != nil {
				for _, en := range cfg.Entries {
					if en != nil && en.Key != nil {
						if parts, ok := syntax.DottedName(en.Key); ok {
							set[parts[0]] = true
						}
					}
				}
			}
		}
	}
	if len(set) == 0 {
		return exp
	}
	out := *exp
	out.Missing = nil
	for _, m := range exp.Missing {
		if !set[m] {
			out.Missing = append(out.Missing, m)
		}
	}
	return &out
}

// declaration returns the name and config of a top-level `x: S {…}` or
// `x = S {…}` statement.
func declaration(st syntax.Stmt) (string, *syntax.ConfigExpr) {
	switch st := st.(type) {
	case *syntax.UnificationStmt:
		if st.Value != nil {
			return dotted(st.Target), st.Value.Config
		}
	case *syntax.AssignStmt:
		if se, ok := st.Value.(*syntax.SchemaExpr); ok && len(st.Targets) == 1 {
			return dotted(st.Targets[0]), se.Config
		}
	}
	return "", nil
}

// topLevelInstanceName returns the name of the top-level declaration whose
// config block starts at offset, or "".
func topLevelInstanceName(f *syntax.File, offset int) string {
	for _, st := range f.Stmts {
		if name, cfg := declaration(st); cfg != nil && cfg.Start.Offset == offset {
			return name
		}
	}
	return ""
}

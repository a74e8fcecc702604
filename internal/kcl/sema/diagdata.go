package sema

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// This file gives the resolver's diagnostics their data (diag.Code, Args and
// Fixes): the same facts as the message text, for tools.

// suggestNames returns the candidates close to name, sorted: the names the
// message's "did you mean" lists.
//
// TODO(merge): use internal/kcl/suggest (branch wt-builtins) once merged;
// until then this is the resolver's own similarity test.
func suggestNames(name string, cands []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range cands {
		if c == name || c == "" || seen[c] {
			continue
		}
		if similar(name, c) {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// replaceEdit is the edit replacing node n of f with text.
func replaceEdit(f *syntax.File, n syntax.Node, text string) diag.Edit {
	return diag.Edit{Pos: f.DiagPos(n.Pos()), End: f.DiagPos(n.End()), NewText: text}
}

// addRenameFixes gives d one fix per suggestion, replacing node n; the fix
// is preferred when there is a single suggestion.
func addRenameFixes(d *diag.Diagnostic, f *syntax.File, n syntax.Node, name string, sugg []string) {
	if d == nil || f == nil || n == nil || !n.Pos().IsValid() {
		return
	}
	for _, s := range sugg {
		d.AddFix(diag.Fix{Title: fmt.Sprintf("Change '%s' to '%s'", name, s), Edits: []diag.Edit{replaceEdit(f, n, s)}, Preferred: len(sugg) == 1})
	}
}

// literalValues returns the values of a union of literal types (or of one
// literal type) as KCL source text; nil when t has any other member.
func literalValues(t *Type) []string {
	if t == nil {
		return nil
	}
	members := []*Type{t}
	if t.Kind == KUnion {
		members = t.Members
	}
	var out []string
	for _, m := range members {
		switch m.Kind {
		case KStrLit:
			out = append(out, strconv.Quote(m.Lit))
		case KIntLit, KFloatLit, KBoolLit:
			out = append(out, m.Lit)
		default:
			return nil
		}
	}
	return out
}

// typeMismatch gives d its code, the types and, when dst is a union of
// literals, one fix per allowed value replacing the value at node at.
func typeMismatch(d *diag.Diagnostic, f *syntax.File, at syntax.Node, dst, vt *Type, name string) {
	if d == nil {
		return
	}
	args := &diag.Args{Name: name, Expected: dst.String(), Actual: vt.String()}
	d.WithCode(diag.TypeMismatch, args)
	args.Allowed = literalValues(dst)
	if f == nil || at == nil || !at.Pos().IsValid() {
		return
	}
	if _, isExpr := at.(syntax.Expr); !isExpr {
		return
	}
	for _, v := range args.Allowed {
		d.AddFix(diag.Fix{Title: "Change the value to " + v, Edits: []diag.Edit{replaceEdit(f, at, v)}})
	}
}

// unusedImports warns about every import of the package's files that no
// name of the package refers to, with a fix that removes its lines.
func (st *pkgState) unusedImports() {
	if st.src != nil && st.src.sys {
		return
	}
	used := map[*Symbol]bool{}
	for _, fi := range st.pkg.index {
		for _, o := range fi.occ {
			if o.Sym != nil && o.Sym.Kind == SymPackage && !o.Def && o.Role != RoleImport {
				used[o.Sym] = true
			}
		}
	}
	for _, f := range st.pkg.Files {
		fs := st.fileScopes[f]
		if fs == nil {
			continue
		}
		for _, s := range f.Stmts {
			im, ok := s.(*syntax.ImportStmt)
			if !ok || strings.HasPrefix(im.Path, "kcl_plugin") || !im.Pos().IsValid() {
				continue
			}
			sym := fs.Names[im.Name]
			if sym == nil || sym.decl != syntax.Node(im) || used[sym] || mentions(f, im.Name) {
				continue
			}
			if pkg := st.prog.pkgs[sym.Target]; pkg == nil || (!pkg.sysModule && len(pkg.Files) == 0) {
				continue // reported as a module not found
			}
			d := &diag.Diagnostic{Kind: diag.CompilerWarning, Warning: true, Messages: []diag.Message{{
				Pos: f.DiagPos(im.Pos()), End: f.DiagPos(im.End()), Text: fmt.Sprintf("Module '%s' imported but unused", im.Rawpath)}}}
			d.WithCode(diag.UnusedImport, &diag.Args{Name: im.Name, Module: im.Rawpath})
			if e, ok := lineDeletion(f, im); ok {
				d.AddFix(diag.Fix{Title: "Remove unused import " + im.Rawpath, Edits: []diag.Edit{e}, Preferred: true})
			}
			st.pkg.Diags = append(st.pkg.Diags, d)
		}
	}
}

// lineDeletion is the edit deleting the whole lines of n (with the line
// break after them), when n stands alone on them.
func lineDeletion(f *syntax.File, n syntax.Node) (diag.Edit, bool) {
	src := f.Src
	start, end := n.Pos().Offset, n.End().Offset
	if start < 0 || end > len(src) || start > end {
		return diag.Edit{}, false
	}
	ls := start
	for ls > 0 && src[ls-1] != '\n' {
		ls--
	}
	if strings.TrimSpace(string(src[ls:start])) != "" {
		return diag.Edit{}, false
	}
	le := end
	for le < len(src) && src[le] != '\n' {
		le++
	}
	rest := strings.TrimSpace(string(src[end:le]))
	if rest != "" && !strings.HasPrefix(rest, "#") {
		return diag.Edit{}, false
	}
	startLine := n.Pos().Line
	endLine := n.End().Line
	if le < len(src) {
		le++ // the line break
		endLine++
		return diag.Edit{Pos: diag.Pos{File: f.Filename, Line: startLine, Col: 1, Offset: ls},
			End: diag.Pos{File: f.Filename, Line: endLine, Col: 1, Offset: le}}, true
	}
	return diag.Edit{Pos: diag.Pos{File: f.Filename, Line: startLine, Col: 1, Offset: ls},
		End: f.DiagPos(syntax.Pos{Line: endLine, Offset: le})}, true
}

// mentions reports whether a name other than an import's is spelled name,
// or a type names name.X, anywhere in f: a guard against reporting an
// import whose uses the resolver did not record (a schema body's nested
// blocks).
func mentions(f *syntax.File, name string) bool {
	found := false
	syntax.Inspect(f, func(n syntax.Node) bool {
		if found {
			return false
		}
		switch x := n.(type) {
		case *syntax.ImportStmt:
			return false
		case *syntax.Ident:
			found = x.Name == name
		case *syntax.TypeExpr:
			found = strings.HasPrefix(x.Name, name+".") || strings.Contains(x.Text, name+".")
		case *syntax.JoinedString:
			found = strings.Contains(x.Raw, name)
		}
		return !found
	})
	return found
}

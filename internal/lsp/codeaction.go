package lsp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/suggest"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/schema"
)

// CodeAction answers textDocument/codeAction with quick fixes built from
// the data of the diagnostics in the request (their code, arguments and
// fixes; see diagdata.go), never from their message text: the fixes the
// resolver attached (a spelling suggestion, a removed unused import, an
// allowed value), a missing import for an unknown name, the allowed values
// of a failed policy on a literal-union attribute, the missing required
// attributes of a failed instance; and, from the cursor, the missing
// required attributes of the schema instance around it.
func (s *server) CodeAction(ctx context.Context, params *protocol.CodeActionParams) ([]protocol.CommandOrCodeAction, error) {
	snap, path, t, err := s.document(ctx, params.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	u := params.TextDocument.URI
	out := []protocol.CommandOrCodeAction{}
	quickfix := protocol.CodeActionKindQuickFix
	seen := map[string]bool{}
	edit := func(title string, d *protocol.Diagnostic, preferred bool, edits ...protocol.TextEdit) {
		if seen[title] || len(edits) == 0 {
			return
		}
		seen[title] = true
		ca := &protocol.CodeAction{Title: title, Kind: &quickfix,
			Edit: &protocol.WorkspaceEdit{Changes: map[uri.URI][]protocol.TextEdit{u: edits}}}
		if d != nil {
			ca.Diagnostics = []protocol.Diagnostic{*d}
		}
		if preferred {
			ca.IsPreferred = &preferred
		}
		out = append(out, ca)
	}
	prog, cat, perr := s.program(ctx, snap, path)
	// The server's own diagnostics, for clients that drop `data`.
	var own []protocol.Diagnostic
	owns := func() []protocol.Diagnostic {
		if own == nil {
			own = s.diags.merged(path)
			if perr == nil {
				own = append(own, toProtocolDiags(t, path, prog.Diagnostics(), "resolve")...)
			}
		}
		return own
	}
	for i := range params.Context.Diagnostics {
		d := &params.Context.Diagnostics[i]
		code, data := diagnosticData(owns, d)
		for _, f := range data.Fixes {
			edit(f.Title, d, f.Preferred, f.Edits...)
		}
		args := data.Args
		if args == nil {
			continue
		}
		switch diag.Code(code) {
		case diag.UnknownName:
			if perr == nil && args.Name != "" {
				for _, imp := range s.importCandidates(prog.ModRoot(), args.Name, prog.Builtins().IsSystemModule(args.Name)) {
					edit("Add import "+imp, d, false, importEdit(t, s.parse(path, t.src).file, imp))
				}
			}
		case diag.UnknownAttribute:
			// The resolver's suggestions came as fixes; a schema it could
			// not suggest for (or an evaluator's error) gets the catalog's.
			if len(data.Fixes) > 0 || perr != nil || args.Name == "" || args.Schema == "" {
				continue
			}
			if sc := catalogSchema(cat, args.Schema); sc != nil {
				if sug := suggest.Best(args.Name, attrNames(sc.Attributes)); sug != "" {
					if r, ok := wordRange(t, d.Range.Start, args.Name); ok {
						edit(fmt.Sprintf("Change '%s' to '%s'", args.Name, sug), d, true, protocol.TextEdit{Range: r, NewText: sug})
					}
				}
			}
		case diag.PolicyCheck, diag.TypeMismatch:
			if len(data.Fixes) > 0 || len(args.Allowed) == 0 {
				continue
			}
			attr := args.Attribute
			if attr == "" {
				attr = args.Name
			}
			if r, ok := entryValueRange(t, s.parse(path, t.src).file, d.Range, attr); ok {
				for _, v := range args.Allowed {
					edit(fmt.Sprintf("Set %s to %s", attr, v), d, false, protocol.TextEdit{Range: r, NewText: v})
				}
			}
		case diag.MissingAttribute:
			if len(args.Missing) == 0 {
				continue
			}
			var sc *schema.Schema
			if perr == nil {
				sc = catalogSchema(cat, args.Schema)
			}
			if ce := configAt(t, s.parse(path, t.src).file, d.Range); ce != nil {
				if e, ok := missingAttrsEdit(t, ce.Start, ce.Stop, args.Missing, func(n string) string {
					if sc == nil {
						return "None"
					}
					return placeholder(sc.Attr(n))
				}); ok {
					edit(fmt.Sprintf("Add missing required attributes of %s: %s", args.Schema, strings.Join(args.Missing, ", ")), d, true, e)
				}
			}
		}
	}
	// Missing required attributes of the instance around the cursor.
	if perr == nil {
		if off, err := t.offset(params.Range.Start); err == nil {
			if exp := s.withOtherDeclarations(snap, path, cat.ExpectedAtOffset(path, off)); exp != nil && exp.Schema != nil && len(exp.Missing) > 0 {
				if e, ok := missingAttrsEdit(t, exp.Block.Start, exp.Block.End, exp.Missing, func(n string) string { return placeholder(exp.Schema.Attr(n)) }); ok {
					edit(fmt.Sprintf("Add missing required attributes of %s: %s", exp.Schema.Name, strings.Join(exp.Missing, ", ")), nil, false, e)
				}
			}
		}
	}
	return out, nil
}

// diagnosticData returns the code and data of a diagnostic of the request.
// A client that does not send `data` back gets the data of the server's own
// diagnostic (of owns) at the same range (and with the same code, when the
// client sent one).
func diagnosticData(owns func() []protocol.Diagnostic, d *protocol.Diagnostic) (string, diagData) {
	code, _ := d.Code.(protocol.String)
	if len(d.Data) > 0 {
		return string(code), decodeDiagData(d.Data)
	}
	for _, own := range owns() {
		oc, _ := own.Code.(protocol.String)
		if own.Range == d.Range && len(own.Data) > 0 && (code == "" || code == oc) {
			return string(oc), decodeDiagData(own.Data)
		}
	}
	return string(code), diagData{}
}

// catalogSchema finds a schema of the catalog by qualified or short name.
func catalogSchema(cat *schema.Catalog, name string) *schema.Schema {
	if cat == nil || name == "" {
		return nil
	}
	if sc := cat.Schema(name); sc != nil {
		return sc
	}
	for _, c := range cat.Schemas() {
		if c.Name == name || c.FQN == name {
			return c
		}
	}
	return nil
}

// entryValueRange finds, in the syntax tree, the config entry for attr (its
// key, or the key's last name, spelled attr) that starts on the line of r,
// or else the only such entry containing r; it returns its value's range.
func entryValueRange(t *text, f *syntax.File, r protocol.Range, attr string) (protocol.Range, bool) {
	if f == nil || attr == "" {
		return protocol.Range{}, false
	}
	line := int(r.Start.Line) + 1
	var best *syntax.ConfigEntry
	syntax.Inspect(f, func(n syntax.Node) bool {
		en, ok := n.(*syntax.ConfigEntry)
		if !ok || en.Key == nil || en.Value == nil {
			return true
		}
		names, ok := syntax.DottedName(en.Key)
		if !ok || (names[len(names)-1] != attr && strings.Join(names, ".") != attr && !strings.HasSuffix(attr, "."+names[len(names)-1])) {
			return true
		}
		if en.Start.Line == line || (best == nil && en.Start.Line <= line && line <= en.Stop.Line) {
			best = en
		}
		return true
	})
	if best == nil {
		return protocol.Range{}, false
	}
	return lspRange(t.position(best.Value.Pos().Offset), t.position(best.Value.End().Offset)), true
}

// configAt is the innermost config block (`{…}` of a schema instance or a
// config literal) that starts on the line of r or contains r's start.
func configAt(t *text, f *syntax.File, r protocol.Range) *syntax.ConfigExpr {
	if f == nil {
		return nil
	}
	off, err := t.offset(r.Start)
	if err != nil {
		return nil
	}
	line := int(r.Start.Line) + 1
	var best *syntax.ConfigExpr
	syntax.Inspect(f, func(n syntax.Node) bool {
		var ce *syntax.ConfigExpr
		switch x := n.(type) {
		case *syntax.SchemaExpr:
			if x.Start.Line == line && x.Config != nil && best == nil {
				best = x.Config
			}
			return true
		case *syntax.ConfigExpr:
			ce = x
		default:
			return true
		}
		if ce.Start.Offset <= off && off < ce.Stop.Offset {
			best = ce
		}
		return true
	})
	return best
}

func attrNames(as []*schema.Attribute) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.Name)
	}
	return out
}

// wordRange returns the range of name at or after start on its line.
func wordRange(t *text, start protocol.Position, name string) (protocol.Range, bool) {
	line := t.line(int(start.Line))
	off, err := t.offset(protocol.Position{Line: start.Line})
	if err != nil {
		return protocol.Range{}, false
	}
	from, err := t.offset(start)
	if err != nil {
		return protocol.Range{}, false
	}
	col := from - off
	if col > len(line) {
		col = len(line)
	}
	i := strings.Index(line[col:], name)
	if i < 0 {
		i = strings.Index(line, name)
		if i < 0 {
			return protocol.Range{}, false
		}
	} else {
		i += col
	}
	return lspRange(t.position(off+i), t.position(off+i+len(name))), true
}

// importCandidates returns import paths whose last element is name: a
// system module, or packages under the module root.
func (s *server) importCandidates(root, name string, system bool) []string {
	if system {
		return []string{name}
	}
	var out []string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || strings.Count(strings.TrimPrefix(p, root), string(filepath.Separator)) > 8) {
			return filepath.SkipDir
		}
		base := strings.TrimSuffix(d.Name(), ".k")
		if base != name || p == root {
			return nil
		}
		if d.IsDir() && !hasKCL(p) {
			return nil
		}
		if !d.IsDir() && !strings.HasSuffix(d.Name(), ".k") {
			return nil
		}
		rel, err := filepath.Rel(root, strings.TrimSuffix(p, ".k"))
		if err == nil {
			out = append(out, strings.ReplaceAll(filepath.ToSlash(rel), "/", "."))
		}
		return nil
	})
	sort.Strings(out)
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}

// importEdit inserts `import path` after the last import (or at the top).
func importEdit(t *text, f *syntax.File, path string) protocol.TextEdit {
	line := 0
	for _, st := range f.Stmts {
		if im, ok := st.(*syntax.ImportStmt); ok {
			line = im.End().Line // 1-based line of the import = 0-based next line
		}
	}
	pos := protocol.Position{Line: uint32(line)}
	return protocol.TextEdit{Range: lspRange(pos, pos), NewText: "import " + path + "\n"}
}

// missingAttrsEdit inserts `name = ` lines for the missing attributes just
// before the closing brace of the config block.
func missingAttrsEdit(t *text, start, end syntax.Pos, missing []string, value func(string) string) (protocol.TextEdit, bool) {
	closeOff := end.Offset - 1
	if closeOff < 0 || closeOff >= len(t.src) || t.src[closeOff] != '}' {
		return protocol.TextEdit{}, false
	}
	// Indent: the block's first line indentation plus four spaces.
	startLine := t.line(t.lineOf(start.Offset))
	indent := startLine[:len(startLine)-len(strings.TrimLeft(startLine, " \t"))]
	var b strings.Builder
	// Does the brace stand on a line of its own?
	lineStart := t.lineStart(closeOff)
	ownLine := strings.TrimSpace(t.src[lineStart:closeOff]) == ""
	insertAt := closeOff
	if ownLine {
		insertAt = lineStart
	} else {
		b.WriteString("\n")
	}
	for _, m := range missing {
		fmt.Fprintf(&b, "%s    %s = %s\n", indent, m, value(m))
	}
	if !ownLine {
		b.WriteString(indent)
	}
	pos := t.position(insertAt)
	return protocol.TextEdit{Range: lspRange(pos, pos), NewText: b.String()}, true
}

// placeholder returns a value of the attribute's type to start from.
func placeholder(a *schema.Attribute) string {
	if a == nil {
		return "None"
	}
	ty := strings.TrimSpace(a.Type)
	switch {
	case ty == "str":
		return `""`
	case ty == "int":
		return "0"
	case ty == "float":
		return "0.0"
	case ty == "bool":
		return "False"
	case strings.HasPrefix(ty, "["):
		return "[]"
	case strings.HasPrefix(ty, "{"):
		return "{}"
	case strings.HasPrefix(ty, "str(") || strings.HasPrefix(ty, "int(") || strings.HasPrefix(ty, "float(") || strings.HasPrefix(ty, "bool("):
		// A literal union: its first member.
		first := strings.TrimSpace(strings.Split(ty, "|")[0])
		lit := first[strings.IndexByte(first, '(')+1 : len(first)-1]
		if strings.HasPrefix(first, "str(") {
			return strconv.Quote(lit)
		}
		return lit
	case a.SchemaType != "":
		return "{}"
	}
	return "None"
}

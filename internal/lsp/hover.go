package lsp

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sema"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/preview"
	"github.com/konfig-lsp/konfig-lsp/internal/schema"
)

// Hover answers textDocument/hover: type, docstring and default of
// attributes and schemas; on a front-end instance of a stack file, a preview
// of the resources it generates in the stack; on an attribute set in a
// stack, the output fields that carry its value.
func (s *server) Hover(ctx context.Context, params *protocol.HoverParams) (*protocol.Hover, error) {
	a, err := s.at(ctx, params.TextDocument.URI, params.Position)
	if err != nil || a.occ == nil {
		return nil, err
	}
	cat := a.cat
	var b strings.Builder
	sym := a.occ.Sym
	switch {
	case sym == nil:
		return nil, nil
	case sym.Kind == sema.SymSchema || sym.Kind == sema.SymRule:
		writeSchemaHover(&b, cat, sym)
	case sym.Kind == sema.SymAttr:
		writeAttrHover(&b, cat, sym)
	case sym.Kind == sema.SymPackage:
		fmt.Fprintf(&b, "```kcl\nimport %s\n```\n", sym.Target)
	case sym.Kind == sema.SymBuiltin:
		fmt.Fprintf(&b, "```kcl\n%s%s\n```\n", sym.Name, funcSig(sym.Type))
		if sym.Doc != "" {
			b.WriteString("\n" + sym.Doc + "\n")
		}
	default:
		fmt.Fprintf(&b, "```kcl\n%s: %s\n```\n", sym.Name, sym.Type.String())
		if sym.Doc != "" {
			b.WriteString("\n" + sym.Doc + "\n")
		}
	}
	// Previews from the stack: the resources of an instance, the output
	// fields of an attribute value.
	if u := s.unitFor(a.path); u.stack != nil {
		s.writeStackPreview(ctx, &b, a, u)
	}
	r := lspRange(a.text.lineColPosition(a.occ.Start.Line, a.occ.Start.Col), a.text.lineColPosition(a.occ.End.Line, a.occ.End.Col))
	return &protocol.Hover{Contents: &protocol.MarkupContent{Kind: protocol.MarkupKindMarkdown, Value: b.String()}, Range: &r}, nil
}

func funcSig(t *sema.Type) string {
	if t == nil || t.Func == nil {
		return "(...)"
	}
	parts := make([]string, len(t.Func.Params))
	for i, p := range t.Func.Params {
		parts[i] = p.Name
		if p.Type != nil && !p.Type.IsAny() {
			parts[i] += ": " + p.Type.String()
		}
		if p.Optional {
			if p.Default != "" {
				parts[i] += " = " + p.Default
			} else {
				parts[i] += "?"
			}
		}
	}
	return "(" + strings.Join(parts, ", ") + ") -> " + t.Func.Result.String()
}

func writeSchemaHover(b *strings.Builder, cat *schema.Catalog, sym *sema.Symbol) {
	var sc *schema.Schema
	if sym.Schema != nil {
		sc = cat.Of(sym.Schema)
	}
	if sc == nil {
		fmt.Fprintf(b, "```kcl\nschema %s\n```\n", sym.Name)
		return
	}
	head := sc.Kind + " " + sc.Name
	if len(sc.Parents) > 0 {
		head += "(" + sc.Parents[0] + ")"
	}
	fmt.Fprintf(b, "```kcl\n%s\n```\n", head)
	if sc.PkgPath != "" && sc.PkgPath != sema.MainPkg {
		fmt.Fprintf(b, "\n*%s*\n", sc.PkgPath)
	}
	if sc.Summary != "" {
		b.WriteString("\n" + strings.TrimSpace(sc.Summary) + "\n")
	}
	if len(sc.Attributes) > 0 {
		b.WriteString("\n| attribute | type | default |\n|---|---|---|\n")
		for _, at := range sc.Attributes {
			name := at.Name
			if !at.Optional && !at.HasDefault {
				name = "**" + name + "**"
			} else if at.Optional {
				name += "?"
			}
			fmt.Fprintf(b, "| %s | `%s` | %s |\n", name, escapeCell(at.Type), codeOrEmpty(at.Default))
		}
	}
	if sc.Examples != "" {
		fmt.Fprintf(b, "\n**Examples**\n```kcl\n%s\n```\n", strings.TrimSpace(sc.Examples))
	}
}

func writeAttrHover(b *strings.Builder, cat *schema.Catalog, sym *sema.Symbol) {
	at := sym.Attr
	if at == nil {
		fmt.Fprintf(b, "```kcl\n%s: %s\n```\n", sym.Name, sym.Type.String())
		return
	}
	opt := ""
	if at.Optional {
		opt = "?"
	}
	line := fmt.Sprintf("%s%s: %s", at.Name, opt, at.Type.String())
	if at.HasDefault {
		line += " = " + at.Default
	}
	fmt.Fprintf(b, "```kcl\n%s\n```\n", line)
	if at.Owner != nil {
		fmt.Fprintf(b, "\nattribute of `%s`", at.Owner.Name)
		if !at.Optional && !at.HasDefault {
			b.WriteString(" (required)")
		}
		b.WriteString("\n")
	}
	if at.Doc != "" {
		b.WriteString("\n" + strings.TrimSpace(at.Doc) + "\n")
	}
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

func codeOrEmpty(s string) string {
	if s == "" {
		return ""
	}
	return "`" + escapeCell(s) + "`"
}

// writeStackPreview adds, for a position in a stack's file, the resources an
// instance generates (on the name of a top-level instance) or the output
// fields carrying an attribute's value (on a config key with a literal
// value).
func (s *server) writeStackPreview(ctx context.Context, b *strings.Builder, a *at, u unit) {
	f := s.parse(a.path, a.text.src).file
	inst, key := instanceAt(f, a.off)
	if inst == "" && key == nil {
		return
	}
	r, fresh := s.previewResult(ctx, a.snap, u.stack)
	if r != nil && errors.Is(r.err, errUntrusted) {
		if inst != "" {
			b.WriteString(untrustedHoverNote)
		}
		return
	}
	if !fresh {
		// Still evaluating: the last good preview of the stack, marked as
		// such, or a note.
		if r == nil || r.err != nil || r.spec == nil {
			if inst != "" {
				fmt.Fprintf(b, "\n---\n*Preview: evaluating stack `%s`… hover again in a moment.*\n", u.stack.Name)
			}
			return
		}
		fmt.Fprintf(b, "\n---\n*Preview: evaluating stack `%s`…; shown: its last evaluation, before the latest edits.*\n", u.stack.Name)
	}
	if r.err != nil {
		fmt.Fprintf(b, "\n---\nThe stack `%s` does not compile: %v\n", u.stack.Name, firstLine(r.err.Error()))
		return
	}
	if r.spec == nil {
		return
	}
	if inst != "" {
		res := preview.ForInstance(r.spec.Resources, inst)
		fmt.Fprintf(b, "\n---\n**Resources in stack `%s`** (%d)\n\n```yaml\n%s```\n", u.stack.Name, len(res), preview.YAML(res, s.sensitive()))
		return
	}
	val, ok := literalValue(key.Value)
	if !ok {
		return
	}
	fields := preview.FieldsWithValue(r.spec.Resources, val, s.sensitive())
	if len(fields) == 0 {
		return
	}
	fmt.Fprintf(b, "\n---\n**Output fields with this value in stack `%s`**\n\n", u.stack.Name)
	for i, fl := range fields {
		if i == 20 {
			fmt.Fprintf(b, "- … %d more\n", len(fields)-20)
			break
		}
		fmt.Fprintf(b, "- `%s` `%s`\n", fl.ID, fl.Path)
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// instanceAt finds, at byte offset off of f, either the name of a top-level
// instance (`name: S {…}` or `name = S {…}`, the cursor on name or on S) or
// the innermost config entry whose key is under the cursor.
func instanceAt(f *syntax.File, off int) (string, *syntax.ConfigEntry) {
	within := func(n syntax.Node) bool { return n != nil && n.Pos().Offset <= off && off <= n.End().Offset }
	for _, st := range f.Stmts {
		var target syntax.Expr
		var se *syntax.SchemaExpr
		switch st := st.(type) {
		case *syntax.UnificationStmt:
			target, se = st.Target, st.Value
		case *syntax.AssignStmt:
			if len(st.Targets) == 1 {
				target = st.Targets[0]
				se, _ = st.Value.(*syntax.SchemaExpr)
			}
		}
		if se == nil || !within(st) {
			continue
		}
		if within(target) || within(se.Name) {
			return dotted(target), nil
		}
		var found *syntax.ConfigEntry
		syntax.Inspect(se, func(n syntax.Node) bool {
			if en, ok := n.(*syntax.ConfigEntry); ok && en.Key != nil && within(en.Key) {
				found = en
			}
			return within(n)
		})
		return "", found
	}
	return "", nil
}

// literalValue returns the scalar value of a literal expression.
func literalValue(e syntax.Expr) (any, bool) {
	switch e := e.(type) {
	case *syntax.StringLit:
		return e.Value, true
	case *syntax.NumberLit:
		if e.Suffix != "" {
			return nil, false
		}
		if e.Kind == syntax.IntNumber {
			return e.Int, true
		}
		return e.Float, true
	case *syntax.NameConstant:
		switch e.Value {
		case syntax.TRUE:
			return true, true
		case syntax.FALSE:
			return false, true
		}
	case *syntax.UnaryExpr:
		if n, ok := e.X.(*syntax.NumberLit); ok && e.Op == syntax.SUB {
			v, ok := literalValue(n)
			switch x := v.(type) {
			case int64:
				return -x, ok
			case float64:
				return -x, ok
			}
		}
	}
	return nil, false
}

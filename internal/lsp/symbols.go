package lsp

import (
	"context"
	"strings"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// DocumentSymbol answers textDocument/documentSymbol with the outline of a
// file: imports, schemas (with their attributes), rules, type aliases and
// top-level values (with their config keys, nested).
func (s *server) DocumentSymbol(ctx context.Context, params *protocol.DocumentSymbolParams) (protocol.DocumentSymbolResult, error) {
	f, t, err := s.fileAST(ctx, params.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	return protocol.DocumentSymbolSlice(outline(t, f.Stmts)), nil
}

// fileAST returns the AST of the file at u (the last good one when the
// buffer does not parse) with its text.
func (s *server) fileAST(ctx context.Context, u uri.URI) (*syntax.File, *text, error) {
	snap, path, t, err := s.document(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	p := s.parse(path, t.src)
	if len(p.diags) > 0 {
		if good := s.lastGood(snap, path); good != nil && string(good.Src) != t.src {
			return good, newText(string(good.Src)), nil
		}
	}
	return p.file, t, nil
}

// nodeRange converts a node's span into a protocol range.
func nodeRange(t *text, n syntax.Node) protocol.Range {
	return lspRange(t.lineColPosition(n.Pos().Line, n.Pos().Col), t.lineColPosition(n.End().Line, n.End().Col))
}

func outline(t *text, stmts []syntax.Stmt) []protocol.DocumentSymbol {
	var out []protocol.DocumentSymbol
	add := func(name string, kind protocol.SymbolKind, whole, sel syntax.Node, detail string, children []protocol.DocumentSymbol) {
		if name == "" {
			return
		}
		sym := protocol.DocumentSymbol{Name: name, Kind: kind, Range: nodeRange(t, whole), SelectionRange: nodeRange(t, sel), Children: children}
		if detail != "" {
			sym.Detail = &detail
		}
		out = append(out, sym)
	}
	for _, st := range stmts {
		switch st := st.(type) {
		case *syntax.ImportStmt:
			add(st.Rawpath, protocol.SymbolKindNamespace, st, st, "import", nil)
		case *syntax.SchemaStmt:
			if st.Name == nil {
				continue
			}
			var attrs []protocol.DocumentSymbol
			for _, b := range st.Body {
				if a, ok := b.(*syntax.SchemaAttr); ok && a.Name != nil {
					detail := ""
					if a.Type != nil {
						detail = a.Type.Text
					}
					sym := protocol.DocumentSymbol{Name: a.Name.Name, Kind: protocol.SymbolKindProperty,
						Range: nodeRange(t, a), SelectionRange: nodeRange(t, a.Name)}
					if detail != "" {
						sym.Detail = &detail
					}
					attrs = append(attrs, sym)
				}
			}
			kind, detail := protocol.SymbolKindStruct, "schema"
			switch {
			case st.IsMixin:
				detail = "mixin"
			case st.IsProtocol:
				kind, detail = protocol.SymbolKindInterface, "protocol"
			}
			add(st.Name.Name, kind, st, st.Name, detail, attrs)
		case *syntax.RuleStmt:
			if st.Name != nil {
				add(st.Name.Name, protocol.SymbolKindFunction, st, st.Name, "rule", nil)
			}
		case *syntax.TypeAliasStmt:
			if st.Name != nil {
				detail := ""
				if st.Type != nil {
					detail = st.Type.Text
				}
				add(st.Name.Name, protocol.SymbolKindTypeParameter, st, st.Name, detail, nil)
			}
		case *syntax.AssignStmt:
			for _, target := range st.Targets {
				name := dotted(target)
				kind := protocol.SymbolKindVariable
				if _, ok := st.Value.(*syntax.LambdaExpr); ok {
					kind = protocol.SymbolKindFunction
				}
				add(name, kind, st, target, typeText(st.Type), configOutline(t, st.Value))
			}
		case *syntax.UnificationStmt:
			name := dotted(st.Target)
			detail := ""
			if st.Value != nil {
				detail = dotted(st.Value.Name)
			}
			var children []protocol.DocumentSymbol
			if st.Value != nil {
				children = configOutline(t, st.Value)
			}
			add(name, protocol.SymbolKindObject, st, st.Target, detail, children)
		case *syntax.IfStmt:
			out = append(out, outline(t, st.Body)...)
			out = append(out, outline(t, st.Else)...)
		}
	}
	return out
}

func typeText(te *syntax.TypeExpr) string {
	if te == nil {
		return ""
	}
	return te.Text
}

// configOutline lists the keys of a config or schema expression, nested.
func configOutline(t *text, e syntax.Expr) []protocol.DocumentSymbol {
	var cfg *syntax.ConfigExpr
	switch e := e.(type) {
	case *syntax.SchemaExpr:
		cfg = e.Config
	case *syntax.ConfigExpr:
		cfg = e
	case *syntax.ParenExpr:
		return configOutline(t, e.X)
	}
	if cfg == nil {
		return nil
	}
	return entriesOutline(t, cfg.Entries)
}

func entriesOutline(t *text, entries []*syntax.ConfigEntry) []protocol.DocumentSymbol {
	var out []protocol.DocumentSymbol
	for _, en := range entries {
		if en == nil {
			continue
		}
		if ife, ok := en.Value.(*syntax.ConfigIfEntry); ok && en.Key == nil {
			for b := ife; b != nil; b = b.Else {
				out = append(out, entriesOutline(t, b.Entries)...)
			}
			continue
		}
		if en.Key == nil {
			continue
		}
		name := dotted(en.Key)
		if name == "" {
			continue
		}
		out = append(out, protocol.DocumentSymbol{Name: name, Kind: protocol.SymbolKindField,
			Range: nodeRange(t, en), SelectionRange: nodeRange(t, en.Key), Children: configOutline(t, en.Value)})
	}
	return out
}

// dotted returns the dotted name of an identifier or selector chain, or the
// value of a string key; "" otherwise.
func dotted(e syntax.Expr) string {
	if lit, ok := e.(*syntax.StringLit); ok {
		return lit.Value
	}
	parts, ok := syntax.DottedName(e)
	if !ok {
		return ""
	}
	return strings.Join(parts, ".")
}

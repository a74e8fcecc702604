package lsp

import (
	"context"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sema"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// InlayHint answers textDocument/inlayHint: the inferred type after each
// name assigned without an annotation, and parameter names before the
// positional arguments of calls.
func (s *server) InlayHint(ctx context.Context, params *protocol.InlayHintParams) ([]protocol.InlayHint, error) {
	snap, path, t, err := s.document(ctx, params.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	prog, _, err := s.program(ctx, snap, path)
	if err != nil {
		return nil, err
	}
	f := prog.File(path)
	out := []protocol.InlayHint{}
	if f == nil {
		return out, nil
	}
	from, _ := t.offset(params.Range.Start)
	to, err := t.offset(params.Range.End)
	if err != nil {
		to = len(t.src)
	}
	yes := true
	inRange := func(n syntax.Node) bool { return n.End().Offset >= from && n.Pos().Offset <= to }
	syntax.Inspect(f, func(n syntax.Node) bool {
		if n == nil || !inRange(n) {
			return false
		}
		switch n := n.(type) {
		case *syntax.AssignStmt:
			if n.Type != nil || len(n.Targets) != 1 {
				return true
			}
			id, ok := n.Targets[0].(*syntax.Ident)
			if !ok {
				return true
			}
			ty := prog.TypeOf(n.Value)
			if ty == nil || ty.IsAny() || ty.Kind == sema.KFunc || ty.Kind == sema.KSchemaDef {
				return true
			}
			out = append(out, protocol.InlayHint{
				Position: t.lineColPosition(id.End().Line, id.End().Col),
				Label:    protocol.String(": " + ty.Widen().String()),
				Kind:     protocol.InlayHintKindType,
			})
		case *syntax.CallExpr:
			ft := funcTypeOf(prog, n.Func)
			if ft == nil {
				return true
			}
			for i, a := range n.Args {
				if i >= len(ft.Params) {
					break
				}
				if _, star := a.(*syntax.StarredExpr); star {
					break
				}
				p := ft.Params[i]
				// A name that repeats the argument says nothing.
				if id, ok := a.(*syntax.Ident); ok && id.Name == p.Name {
					continue
				}
				out = append(out, protocol.InlayHint{
					Position:     t.lineColPosition(a.Pos().Line, a.Pos().Col),
					Label:        protocol.String(p.Name + ":"),
					Kind:         protocol.InlayHintKindParameter,
					PaddingRight: &yes,
				})
			}
		}
		return true
	})
	return out, nil
}

package lsp

import (
	"context"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// FoldingRanges answers textDocument/foldingRange: multi-line schemas,
// rules, blocks, configs, lists, lambdas, docstrings, runs of imports and of
// comment lines.
func (s *server) FoldingRanges(ctx context.Context, params *protocol.FoldingRangeParams) ([]protocol.FoldingRange, error) {
	f, t, err := s.fileAST(ctx, params.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	return foldingRanges(f, t), nil
}

// foldingRanges computes the folding ranges of f, whose text is t. Lines are
// 1-based LSP lines here (CR, LF and CRLF end them, unlike the AST's lines,
// which end at LF only), converted from the AST's byte offsets.
func foldingRanges(f *syntax.File, t *text) []protocol.FoldingRange {
	var out []protocol.FoldingRange
	add := func(start, end int, kind protocol.FoldingRangeKind) {
		if end > start {
			fr := protocol.FoldingRange{StartLine: uint32(start - 1), EndLine: uint32(end - 1)}
			if kind != "" {
				fr.Kind = kind
			}
			out = append(out, fr)
		}
	}
	line := func(p syntax.Pos) int { return t.lineOf(p.Offset) + 1 }
	// The end line of a node that ends at the start of a line is the line
	// before.
	nodeEnd := func(n syntax.Node) int {
		e := t.position(n.End().Offset)
		if e.Character == 0 && int(e.Line)+1 > line(n.Pos()) {
			return int(e.Line)
		}
		return int(e.Line) + 1
	}
	syntax.Inspect(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.SchemaStmt, *syntax.RuleStmt, *syntax.IfStmt, *syntax.ConfigExpr,
			*syntax.ListExpr, *syntax.LambdaExpr, *syntax.ListComp, *syntax.DictComp, *syntax.CallExpr:
			add(line(n.Pos()), nodeEnd(n), "")
		case *syntax.StringLit:
			if n.Triple {
				add(line(n.Pos()), nodeEnd(n), protocol.FoldingRangeKindComment)
			}
		}
		return true
	})
	// Runs of imports.
	first, last := 0, 0
	for _, st := range f.Stmts {
		if im, ok := st.(*syntax.ImportStmt); ok {
			if first == 0 {
				first = line(im.Pos())
			}
			last = line(im.Pos())
		}
	}
	add(first, last, protocol.FoldingRangeKindImports)
	// Runs of own-line comments.
	runStart, runEnd := 0, 0
	for _, c := range f.Comments {
		l := line(c.Pos())
		if runStart != 0 && l == runEnd+1 {
			runEnd = l
			continue
		}
		add(runStart, runEnd, protocol.FoldingRangeKindComment)
		runStart, runEnd = l, l
	}
	add(runStart, runEnd, protocol.FoldingRangeKindComment)
	return out
}

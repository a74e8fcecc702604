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
	f, _, err := s.fileAST(params.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	return foldingRanges(f), nil
}

func foldingRanges(f *syntax.File) []protocol.FoldingRange {
	var out []protocol.FoldingRange
	add := func(start, end int, kind protocol.FoldingRangeKind) {
		// Lines are 1-based in the AST; the end line of a node that ends at
		// column 1 is the line before.
		if end > start {
			fr := protocol.FoldingRange{StartLine: uint32(start - 1), EndLine: uint32(end - 1)}
			if kind != "" {
				fr.Kind = kind
			}
			out = append(out, fr)
		}
	}
	nodeEnd := func(n syntax.Node) int {
		e := n.End()
		if e.Col == 1 && e.Line > n.Pos().Line {
			return e.Line - 1
		}
		return e.Line
	}
	syntax.Inspect(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.SchemaStmt, *syntax.RuleStmt, *syntax.IfStmt, *syntax.ConfigExpr,
			*syntax.ListExpr, *syntax.LambdaExpr, *syntax.ListComp, *syntax.DictComp, *syntax.CallExpr:
			add(n.Pos().Line, nodeEnd(n), "")
		case *syntax.StringLit:
			if n.Triple {
				add(n.Pos().Line, nodeEnd(n), protocol.FoldingRangeKindComment)
			}
		}
		return true
	})
	// Runs of imports.
	first, last := 0, 0
	for _, st := range f.Stmts {
		if im, ok := st.(*syntax.ImportStmt); ok {
			if first == 0 {
				first = im.Pos().Line
			}
			last = im.Pos().Line
		}
	}
	add(first, last, protocol.FoldingRangeKindImports)
	// Runs of own-line comments.
	runStart, runEnd := 0, 0
	for _, c := range f.Comments {
		line := c.Pos().Line
		if runStart != 0 && line == runEnd+1 {
			runEnd = line
			continue
		}
		add(runStart, runEnd, protocol.FoldingRangeKindComment)
		runStart, runEnd = line, line
	}
	add(runStart, runEnd, protocol.FoldingRangeKindComment)
	return out
}

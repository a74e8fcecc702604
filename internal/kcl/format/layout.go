package format

import (
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// Layout decisions that depend on more than a node's own source lines.
//
// The official formatter prints a list or config one item per line when an
// item starts on another line than the opening bracket; formatting can
// itself break an item over several lines (a config with a single nested
// config, a lambda, an `if` entry), and the official formatter then breaks
// the enclosing list on its next run. We break it at once (an item other
// than the last printed over several lines makes its list vertical), so
// that one run reaches the official formatter's fixed point and formatting
// stays idempotent.

// listVertical reports whether a list is printed one element per line.
func (p *printer) listVertical(e *syntax.ListExpr) bool {
	if v, ok := p.vert[e]; ok {
		return v
	}
	items := make([]syntax.Node, len(e.Elts))
	for i, x := range e.Elts {
		items[i] = x
	}
	v := p.collectionVertical(e.Pos().Offset, items) ||
		len(items) == 0 && p.vertical(e.Pos().Offset, closeOff(e), nil) ||
		p.anyMultiline(items)
	p.setVert(e, v)
	return v
}

// configVertical reports whether a config is printed one entry per line.
func (p *printer) configVertical(c *syntax.ConfigExpr) bool {
	if v, ok := p.vert[c]; ok {
		return v
	}
	items := make([]syntax.Node, len(c.Entries))
	for i, e := range c.Entries {
		items[i] = e
	}
	v := p.collectionVertical(c.Pos().Offset, items) ||
		len(items) == 0 && p.vertical(c.Pos().Offset, closeOff(c), nil) ||
		p.anyMultiline(items)
	if len(c.Entries) == 1 && p.src != nil {
		// A single entry whose value is a config, a schema instance or an
		// if entry is printed on a line of its own.
		switch c.Entries[0].Value.(type) {
		case *syntax.ConfigExpr, *syntax.SchemaExpr, *syntax.ConfigIfEntry:
			v = true
		}
	}
	p.setVert(c, v)
	return v
}

func (p *printer) setVert(n syntax.Node, v bool) {
	if p.vert == nil {
		p.vert = map[syntax.Node]bool{}
	}
	p.vert[n] = v
}

// anyMultiline reports whether an item other than the last is printed over
// several lines.
func (p *printer) anyMultiline(items []syntax.Node) bool {
	if p.src == nil {
		return false
	}
	for i := 0; i+1 < len(items); i++ {
		if p.multiline(items[i]) {
			return true
		}
	}
	return false
}

// multiline reports whether n is printed over several lines.
func (p *printer) multiline(n syntax.Node) bool {
	if p.src == nil || n == nil {
		return false
	}
	found := false
	syntax.Inspect(n, func(x syntax.Node) bool {
		if found || x == nil {
			return false
		}
		switch x := x.(type) {
		case *syntax.ListExpr:
			found = p.listVertical(x)
		case *syntax.ConfigExpr:
			found = p.configVertical(x)
		case *syntax.LambdaExpr, *syntax.ConfigIfEntry, *syntax.ListIfItem:
			found = true
		case *syntax.StringLit:
			found = strings.Contains(x.Raw, "\n")
		case *syntax.JoinedString:
			found = strings.Contains(x.Raw, "\n")
		case *syntax.QuantExpr:
			found = p.quantVertical(x)
		case *syntax.ListComp:
			found = p.comprehensionVertical(x, x.Elt)
		case *syntax.DictComp:
			found = p.comprehensionVertical(x, x.Key)
		case syntax.Expr:
			// Brackets kept open over several lines for a comment inside.
			if p.pendingCommentIn(startOff(x), closeOff(x)) {
				switch x.(type) {
				case *syntax.CallExpr, *syntax.SchemaExpr:
					found = p.vertical(startOff(x), closeOff(x), nil) || p.startLine(x) != p.endLine(x)
				}
			}
		}
		return !found
	})
	return found
}

// pendingCommentIn reports whether a comment not yet printed lies between
// offsets from and to.
func (p *printer) pendingCommentIn(from, to int) bool {
	if from < 0 || to < 0 {
		return false
	}
	for i := p.ci; i < len(p.comments); i++ {
		off := p.comments[i].Pos().Offset
		if off >= to {
			return false
		}
		if off > from {
			return true
		}
	}
	return false
}

// quantVertical reports whether a quantifier's body is printed on lines of
// its own: when it starts on another line than the opening brace, or a
// comment inside the braces needs the line breaks.
func (p *printer) quantVertical(q *syntax.QuantExpr) bool {
	if p.src == nil || q.Target == nil || q.Test == nil {
		return false
	}
	open := p.findTok(q.Target.End().Offset, "{")
	return open >= 0 && (p.startLine(q.Test) != p.lineOf(open) || p.pendingCommentIn(open, closeOff(q)))
}

// comprehensionVertical reports whether a comprehension keeps its element on
// a line of its own: when the source had it there and a comment inside the
// brackets lies outside every part printed as a block (see comprehension).
func (p *printer) comprehensionVertical(e syntax.Expr, first syntax.Expr) bool {
	open, close := startOff(e), closeOff(e)
	if p.src == nil || open < 0 || close < 0 || first == nil || p.startLine(first) == p.lineOf(open) {
		return false
	}
	var blocks [][2]int // spans of the parts printed as blocks
	syntax.Inspect(e, func(x syntax.Node) bool {
		if x == nil || x == syntax.Node(e) {
			return x != nil
		}
		vert := false
		switch x := x.(type) {
		case *syntax.ListExpr:
			vert = p.listVertical(x)
		case *syntax.ConfigExpr:
			vert = p.configVertical(x)
		case *syntax.LambdaExpr:
			vert = true
		case *syntax.ListComp:
			vert = p.comprehensionVertical(x, x.Elt)
		case *syntax.DictComp:
			vert = p.comprehensionVertical(x, x.Key)
		}
		if vert {
			blocks = append(blocks, [2]int{startOff(x), closeOff(x)})
			return false
		}
		return true
	})
	for i := p.ci; i < len(p.comments); i++ {
		off := p.comments[i].Pos().Offset
		if off >= close {
			break
		}
		if off <= open {
			continue
		}
		inBlock := false
		for _, b := range blocks {
			if off > b[0] && off < b[1] {
				inBlock = true
				break
			}
		}
		if !inBlock {
			return true
		}
	}
	return false
}

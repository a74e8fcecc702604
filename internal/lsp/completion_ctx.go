package lsp

import (
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// This file decides what completion offers from the error-tolerant syntax
// tree around the cursor: the import statement, the `x.` selector, the
// option("…") key, the config entry's key or value, or an instance's start.
// The tree of a broken buffer still has these nodes (an unfinished
// `name = Server {` block is a ConfigExpr without its brace; a dangling `.`
// a SelectorExpr with an empty name; `import a.` an ImportStmt).

// complKind is what the cursor is on.
type complKind int

const (
	ckScope     complKind = iota // anything else: the names in scope
	ckImport                     // the path of an import statement
	ckOption                     // the key string of option("…")
	ckMember                     // the name after `x.`
	ckKey                        // a key of a config block
	ckValue                      // the value of a config entry
	ckSchemaPos                  // the value of an assignment, where an instance may start
)

// complCtx is the completion context at a cursor.
type complCtx struct {
	kind complKind
	// word is the part of the identifier before the cursor.
	word string
	// importPrefix is the import path typed so far (ckImport).
	importPrefix string
	// member is the name before the dot (ckMember); memberStr reports a
	// string literal there (str methods).
	member    string
	memberStr bool
	// config is the config block around the cursor (ckKey, ckValue) and
	// schemaExpr the instance it belongs to, when it is one.
	config     *syntax.ConfigExpr
	schemaExpr *syntax.SchemaExpr
	// attr is the key whose value is being typed and inString reports the
	// cursor inside a string literal (ckValue).
	attr     string
	inString bool
}

// completionContext finds the completion context at byte offset off of f.
func completionContext(f *syntax.File, off int) complCtx {
	cx := complCtx{}
	if f == nil {
		return cx
	}
	src := f.Src
	path := cursorPath(f, off)
	// The identifier being typed.
	for i := len(path) - 1; i >= 0; i-- {
		if id, ok := path[i].(*syntax.Ident); ok && id.Start.Offset <= off && off <= id.Stop.Offset {
			cx.word = string(src[id.Start.Offset:off])
			break
		}
	}
	for i := len(path) - 1; i >= 0; i-- {
		var parent syntax.Node
		if i > 0 {
			parent = path[i-1]
		}
		switch n := path[i].(type) {
		case *syntax.StringLit:
			if call, ok := parent.(*syntax.CallExpr); ok && isOptionCall(call) && len(call.Args) > 0 && call.Args[0] == syntax.Expr(n) {
				cx.kind = ckOption
				return cx
			}
			if off > n.Start.Offset && (off < n.Stop.Offset || !closedString(n)) {
				cx.inString = true
			}
		case *syntax.SelectorExpr:
			if n.X != nil && off > n.X.End().Offset && (n.Name == nil || off >= n.Name.Start.Offset) {
				cx.kind = ckMember
				switch x := n.X.(type) {
				case *syntax.Ident:
					cx.member = x.Name
				case *syntax.SelectorExpr:
					if x.Name != nil {
						cx.member = x.Name.Name
					}
				case *syntax.StringLit:
					cx.memberStr = true
				}
				cx.inString = false
				return cx
			}
		case *syntax.ImportStmt:
			if off >= n.PathPos.Offset {
				cx.kind = ckImport
				end := min(off, len(src))
				if n.PathPos.Offset < end {
					cx.importPrefix = string(src[n.PathPos.Offset:end])
				}
				return cx
			}
			return cx
		case *syntax.ConfigEntry:
			if ext(n, off) && n.Stop.Line < lineAt(src, off) {
				// After the last entry of an unclosed block, on a later
				// line: a new key of the block.
				continue
			}
			if n.Key != nil && off <= n.Key.End().Offset {
				cx.kind = ckKey
			} else if n.Key != nil && n.Op != 0 && (n.Value == nil || isBad(n.Value) || spans(n.Value, off)) {
				if id, ok := n.Key.(*syntax.Ident); ok {
					cx.kind, cx.attr = ckValue, id.Name
				} else {
					return complCtx{kind: ckScope, word: cx.word}
				}
			} else {
				return complCtx{kind: ckScope, word: cx.word}
			}
		case *syntax.ConfigExpr:
			if cx.kind != ckValue {
				cx.kind = ckKey
			}
			cx.config = n
			if se, ok := parent.(*syntax.SchemaExpr); ok {
				cx.schemaExpr = se
			}
			return cx
		case *syntax.AssignStmt:
			if len(n.Targets) > 0 && off > n.Targets[len(n.Targets)-1].End().Offset && valueSlot(n.Value, off) {
				cx.kind = ckSchemaPos
			}
			return cx
		case *syntax.UnificationStmt:
			if n.Target != nil && off > n.Target.End().Offset && (n.Value == nil || n.Value.Name == nil || spans(n.Value.Name, off)) {
				cx.kind = ckSchemaPos
			}
			return cx
		case *syntax.SchemaExpr:
			if n.Name != nil && spans(n.Name, off) {
				// The schema name of an instance being typed.
				return complCtx{kind: ckSchemaPos, word: cx.word}
			}
		}
	}
	return cx
}

// cursorPath is the chain of nodes from f down to the innermost one at off.
// A node contains off when off is within its span, or on the same line
// after it with only blanks between (the cursor after `key = `), or, for
// an unclosed config block (and the nodes ending with it), anywhere after it
// with only white space between (the next line of an unfinished block).
func cursorPath(f *syntax.File, off int) []syntax.Node {
	src := f.Src
	open := map[int]bool{} // end offsets of unclosed config blocks
	syntax.Inspect(f, func(n syntax.Node) bool {
		if ce, ok := n.(*syntax.ConfigExpr); ok && !closedConfig(src, ce) {
			open[ce.Stop.Offset] = true
		}
		return true
	})
	var path []syntax.Node
	syntax.Inspect(f, func(n syntax.Node) bool {
		if n == nil {
			return false
		}
		if _, isFile := n.(*syntax.File); isFile {
			path = append(path, n)
			return true
		}
		if !n.Pos().IsValid() {
			return false
		}
		start, end := n.Pos().Offset, n.End().Offset
		if start > off {
			return false
		}
		in := off <= end
		if ce, isCfg := n.(*syntax.ConfigExpr); isCfg {
			// Inside the braces: after `{`, before a closing `}`.
			in = start < off && (off < end || (off == end && !closedConfig(src, ce)))
		}
		if !in && blanksBetween(src, end, off, false) {
			switch n.(type) {
			case *syntax.ConfigEntry, *syntax.ImportStmt, *syntax.AssignStmt, *syntax.UnificationStmt, *syntax.CallExpr:
				in = true
			}
		}
		if !in && open[end] && blanksBetween(src, end, off, true) {
			if ce, isCfg := n.(*syntax.ConfigExpr); !isCfg || !closedConfig(src, ce) {
				in = true
			}
		}
		if !in {
			return false
		}
		path = append(path, n)
		return true
	})
	return path
}

// closedConfig reports whether the parser read the closing brace of ce.
func closedConfig(src []byte, ce *syntax.ConfigExpr) bool {
	end := ce.Stop.Offset
	if end <= 0 || end > len(src) || src[end-1] != '}' {
		return false
	}
	if n := len(ce.Entries); n > 0 && ce.Entries[n-1] != nil && ce.Entries[n-1].Stop.Offset >= end {
		return false // the brace is the last entry's
	}
	return end-1 > ce.Start.Offset
}

// closedString reports whether the string literal has its closing quote(s).
func closedString(s *syntax.StringLit) bool {
	raw := s.Raw
	i := 0
	for i < len(raw) && (raw[i] == 'r' || raw[i] == 'R') {
		i++
	}
	quote := 1
	if s.Triple {
		quote = 3
	}
	if len(raw) < i+2*quote {
		return false
	}
	return raw[len(raw)-quote:] == raw[i:i+quote]
}

// blanksBetween reports whether src[from:to] is only spaces and tabs (and
// line breaks when lines is set).
func blanksBetween(src []byte, from, to int, lines bool) bool {
	if from < 0 || to > len(src) || from > to {
		return false
	}
	for _, c := range src[from:to] {
		switch {
		case c == ' ' || c == '\t':
		case lines && (c == '\n' || c == '\r'):
		default:
			return false
		}
	}
	return true
}

// ext reports whether off is after n (n is on the path as the tail of an
// unclosed block).
func ext(n syntax.Node, off int) bool { return off > n.End().Offset }

// lineAt is the 1-based line of offset off.
func lineAt(src []byte, off int) int {
	line := 1
	for _, c := range src[:min(off, len(src))] {
		if c == '\n' {
			line++
		}
	}
	return line
}

func spans(n syntax.Node, off int) bool {
	return n != nil && n.Pos().IsValid() && n.Pos().Offset <= off && off <= n.End().Offset
}

func isBad(x syntax.Expr) bool {
	_, bad := x.(*syntax.BadExpr)
	return bad
}

// valueSlot reports whether v (an assignment's value) is where a name is
// being typed: absent, unparsable, or a (dotted) name at the cursor.
func valueSlot(v syntax.Expr, off int) bool {
	switch v := v.(type) {
	case nil, *syntax.BadExpr:
		return true
	case *syntax.Ident:
		return spans(v, off)
	case *syntax.SelectorExpr:
		_, dotted := syntax.DottedName(v)
		return dotted && spans(v, off)
	}
	return false
}

func isOptionCall(c *syntax.CallExpr) bool {
	id, ok := c.Func.(*syntax.Ident)
	return ok && id.Name == "option"
}

package format

import (
	"strconv"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

func (p *printer) ident(id *syntax.Ident) {
	if id == nil {
		p.fail("missing name")
		return
	}
	if id.Dollar {
		p.write("$")
	}
	p.write(id.Name)
}

// expr prints an expression.
func (p *printer) expr(e syntax.Expr) {
	if e == nil {
		p.fail("missing expression")
		return
	}
	switch e := e.(type) {
	case *syntax.Ident:
		p.ident(e)
	case *syntax.SelectorExpr:
		p.expr(e.X)
		switch _, num := e.X.(*syntax.NumberLit); {
		case e.Optional:
			p.write("?.")
		case num:
			p.write(" .") // `0.A` would read as a float
		default:
			p.write(".")
		}
		p.ident(e.Name)
	case *syntax.IndexExpr:
		p.expr(e.X)
		p.openIndex(e.Optional)
		p.expr(e.Index)
		p.write("]")
		p.depth--
	case *syntax.SliceExpr:
		p.expr(e.X)
		p.openIndex(e.Optional)
		if e.Lo != nil {
			p.expr(e.Lo)
		}
		p.write(":")
		if e.Hi != nil {
			p.expr(e.Hi)
		}
		// The official formatter writes both colons: `x[1:2:]`.
		p.write(":")
		if e.Step != nil {
			p.expr(e.Step)
		}
		p.write("]")
		p.depth--
	case *syntax.CallExpr:
		p.expr(e.Func)
		open := -1
		if e.Func != nil {
			open = p.findTok(e.Func.End().Offset, "(")
		}
		items := argItems(e.Args, e.Kwargs)
		p.seq("(", ")", open, closeOff(e), items, p.argsVertical(open, closeOff(e), items), commasAlways, p.arg)
	case *syntax.StarredExpr:
		if e.Op == syntax.POW {
			p.write("**")
		} else {
			p.write("*")
		}
		p.expr(e.X)
	case *syntax.UnaryExpr:
		if e.Op == syntax.KW_NOT {
			p.write("not ")
		} else {
			p.write(e.Op.String())
		}
		p.expr(e.X)
	case *syntax.BinaryExpr:
		p.expr(e.X)
		p.write(" " + e.Op.String() + " ")
		p.expr(e.Y)
	case *syntax.CompareExpr:
		p.expr(e.Left)
		for i, op := range e.Ops {
			p.write(" " + op.String() + " ")
			if i < len(e.Comparators) {
				p.expr(e.Comparators[i])
			}
		}
	case *syntax.AsExpr:
		p.expr(e.X)
		p.write(" as ")
		p.typ(e.Type)
	case *syntax.IfExpr:
		p.expr(e.Body)
		p.write(" if ")
		p.expr(e.Cond)
		p.write(" else ")
		p.expr(e.Else)
	case *syntax.ParenExpr:
		p.write("(")
		p.depth++
		p.expr(e.X)
		p.write(")")
		p.depth--
	case *syntax.NumberLit:
		p.write(numberText(e))
	case *syntax.StringLit:
		if e.Raw != "" {
			p.write(e.Raw)
		} else {
			p.write(strconv.Quote(e.Value))
		}
	case *syntax.JoinedString:
		p.write(e.Raw)
	case *syntax.FormattedValue:
		p.write("${")
		p.expr(e.X)
		if e.Spec != "" {
			p.write(": " + e.Spec)
		}
		p.write("}")
	case *syntax.NameConstant:
		p.write(e.Value.String())
	case *syntax.ListExpr:
		items := make([]syntax.Node, len(e.Elts))
		for i, x := range e.Elts {
			items[i] = x
		}
		vert := p.listVertical(e)
		p.seq("[", "]", e.Pos().Offset, closeOff(e), items, vert, commasNever, p.listElt)
	case *syntax.ListIfItem:
		p.ifItem(e.Pos().Offset, "if ", e.Cond, listIfItems(e), listIfElse(e), p.itemLimit)
	case *syntax.ListComp:
		p.comprehension(e, "[", "]", e.Elt, lastClause(e.Elt, e.Clauses), func() {
			p.expr(e.Elt)
			p.compClauses(e.Clauses)
		})
	case *syntax.DictComp:
		p.comprehension(e, "{", "}", e.Key, lastClause(e.Value, e.Clauses), func() {
			p.expr(e.Key)
			p.write(entryOp(e.Op))
			p.expr(e.Value)
			p.compClauses(e.Clauses)
		})
	case *syntax.ConfigExpr:
		p.config(e)
	case *syntax.ConfigIfEntry:
		p.ifItem(e.Pos().Offset, "if ", e.Cond, configIfItems(e), configIfElse(e), p.itemLimit)
	case *syntax.SchemaExpr:
		p.schemaExpr(e)
	case *syntax.LambdaExpr:
		p.lambda(e)
	case *syntax.QuantExpr:
		p.quant(e)
	case *syntax.BadExpr:
		p.fail("cannot format a broken expression at line %d", e.Pos().Line)
	default:
		p.fail("cannot print expression %T", e)
	}
	p.setLast(e)
}

func (p *printer) openIndex(optional bool) {
	if optional {
		p.write("?[")
	} else {
		p.write("[")
	}
	p.depth++
}

// numberText spells a number literal. An integer written in hexadecimal,
// octal or binary is printed in decimal, as the official formatter does
// (`~0x11` becomes `~17`): the value and its type are unchanged, and files
// formatted by either tool then agree. Every other literal keeps its
// spelling: the official formatter also rewrites floats through their value
// (`1.0` becomes `1`, `1e3` becomes `1000`), which turns a float into an int
// and changes what the program means, so we do not follow it there.
func numberText(n *syntax.NumberLit) string {
	if n.Raw != "" {
		if n.Kind != syntax.FloatNumber && !n.IntOverflow && len(n.Raw) > 2 && n.Raw[0] == '0' {
			switch n.Raw[1] {
			case 'x', 'X', 'o', 'O', 'b', 'B':
				return strconv.FormatInt(n.Int, 10) + n.Suffix
			}
		}
		return n.Raw
	}
	if n.Kind == syntax.FloatNumber {
		return strconv.FormatFloat(n.Float, 'g', -1, 64) + n.Suffix
	}
	return strconv.FormatInt(n.Int, 10) + n.Suffix
}

// entryOp returns the spelling of a config entry operator with its spaces.
func entryOp(op syntax.Token) string {
	switch op {
	case syntax.COLON:
		return ": "
	case syntax.ADD_ASSIGN:
		return " += "
	default:
		return " = "
	}
}

// comprehension prints a list or dict comprehension: on the bracket lines
// when the source started its element on the line of the opening bracket,
// else on a line of its own between the brackets.
// comprehension prints a list or dict comprehension on one line, as the
// official formatter does; a comment inside waits for the next place a
// comment can go. Only where the source had the element on a line of its
// own and a comment lies outside every part printed as a block (a config
// element takes the comments written inside it) do we keep the element on
// a line of its own, so that the comment keeps its place.
func (p *printer) comprehension(e syntax.Expr, openTok, closeTok string, first syntax.Expr, last syntax.Node, body func()) {
	if p.comprehensionVertical(e, first) {
		open, close := startOff(e), closeOff(e)
		inner := &spanNode{Span: syntax.Span{Start: first.Pos(), Stop: last.End()}}
		p.write(openTok)
		p.depth++
		p.lastLine = p.lineOf(open)
		p.indent++
		p.block([]syntax.Node{inner}, blockOpts{limit: close}, func(syntax.Node, int) { body() })
		p.indent--
		p.write(closeTok)
		p.depth--
		return
	}
	p.write(openTok)
	p.depth++
	body()
	p.write(closeTok)
	p.depth--
}

func lastClause(elt syntax.Expr, cs []*syntax.CompClause) syntax.Node {
	if len(cs) > 0 {
		return cs[len(cs)-1]
	}
	return elt
}

// startOff returns a node's start offset (-1 for nil).
func startOff(n syntax.Node) int {
	if n == nil || !n.Pos().IsValid() {
		return -1
	}
	return n.Pos().Offset
}

// compClauses prints the `for` clauses of a comprehension.
func (p *printer) compClauses(cs []*syntax.CompClause) {
	for _, c := range cs {
		p.write(" for ")
		p.compClauseBody(c)
	}
}

func (p *printer) compClause(c *syntax.CompClause) {
	p.write("for ")
	p.compClauseBody(c)
}

func (p *printer) compClauseBody(c *syntax.CompClause) {
	for i, t := range c.Targets {
		if i > 0 {
			p.write(", ")
		}
		p.ident(t)
	}
	p.write(" in ")
	p.expr(c.Iter)
	for _, cond := range c.Ifs {
		p.write(" if ")
		p.expr(cond)
	}
}

func (p *printer) listElt(n syntax.Node) {
	p.expr(n.(syntax.Expr))
}

func (p *printer) config(c *syntax.ConfigExpr) {
	items := make([]syntax.Node, len(c.Entries))
	for i, e := range c.Entries {
		items[i] = e
	}
	vert := p.configVertical(c)
	p.seq("{", "}", c.Pos().Offset, closeOff(c), items, vert, commasNever, func(n syntax.Node) {
		p.configEntry(n.(*syntax.ConfigEntry))
	})
}

func (p *printer) configEntry(e *syntax.ConfigEntry) {
	switch {
	case e.Op == syntax.IF:
		if ie, ok := e.Value.(*syntax.ConfigIfEntry); ok {
			p.expr(ie)
			return
		}
		p.fail("malformed if entry")
	case e.Key == nil && e.Op == syntax.POW:
		p.write("**")
		p.expr(e.Value)
	case e.Key == nil:
		p.expr(e.Value)
	default:
		p.expr(e.Key)
		if e.Value != nil {
			p.write(entryOp(e.Op))
			p.expr(e.Value)
		}
	}
}

// The branches of `if` entries in configs and lists, in a common form.

func configIfItems(e *syntax.ConfigIfEntry) []syntax.Node {
	items := make([]syntax.Node, len(e.Entries))
	for i, x := range e.Entries {
		items[i] = x
	}
	return items
}

func configIfElse(e *syntax.ConfigIfEntry) *ifBranch {
	if e.Else == nil {
		return nil
	}
	return &ifBranch{start: e.Else.Pos().Offset, cond: e.Else.Cond, items: configIfItems(e.Else), next: configIfElse(e.Else)}
}

func listIfItems(e *syntax.ListIfItem) []syntax.Node {
	items := make([]syntax.Node, len(e.Elts))
	for i, x := range e.Elts {
		items[i] = x
	}
	return items
}

func listIfElse(e *syntax.ListIfItem) *ifBranch {
	if e.Else == nil {
		return nil
	}
	return &ifBranch{start: e.Else.Pos().Offset, cond: e.Else.Cond, items: listIfItems(e.Else), next: listIfElse(e.Else)}
}

// ifBranch is an `elif` (cond set) or `else` branch of an if entry.
type ifBranch struct {
	start int
	cond  syntax.Expr
	items []syntax.Node
	next  *ifBranch
}

func (p *printer) entryItem(n syntax.Node) {
	switch n := n.(type) {
	case *syntax.ConfigEntry:
		p.configEntry(n)
	case syntax.Expr:
		p.expr(n)
	}
}

// ifItem prints an `if` entry of a config or list: `if cond: item` on one
// line when the source had a single item on the header line, a block of
// items one level deeper otherwise; then its elif/else branches.
//
// outer bounds the comments that the last branch may own (the start of the
// next item of the enclosing config or list, or its closing bracket).
func (p *printer) ifItem(start int, kw string, cond syntax.Expr, items []syntax.Node, els *ifBranch, outer int) {
	p.write(kw)
	colon := start
	if cond != nil {
		p.expr(cond)
		colon = cond.End().Offset
	}
	colon = p.findColon(colon)
	inline := len(items) > 0
	for _, it := range items {
		if p.src != nil && (p.startLine(it) != p.lineOf(colon) || p.endLine(it) != p.lineOf(colon)) {
			inline = false
		}
	}
	if len(items) == 1 && p.startLine(items[0]) == p.lineOf(colon) {
		inline = true // a single item may span lines (a nested config)
	}
	if p.src != nil {
		inline = false // the official formatter prints the items as a block
	}
	limit := -1
	if els != nil {
		// The else keyword: look for it after the last item.
		if len(items) > 0 {
			if off := p.findTok(items[len(items)-1].End().Offset, "el"); off >= 0 {
				els.start = off
			}
		}
		limit = els.start
	} else if outer >= 0 {
		limit = outer
	} else if len(items) > 0 {
		limit = items[len(items)-1].End().Offset
	}
	if len(items) == 0 {
		// An empty branch (only in input the parser tolerates).
		p.write(":")
		p.setLastOff(colon)
	} else if inline {
		p.write(": ")
		p.setLastOff(colon)
		for i, it := range items {
			if i > 0 {
				p.write(", ")
			}
			p.entryItem(it)
		}
	} else {
		p.body(start, colon, items, limit, func(n syntax.Node, next int) {
			p.itemLimit = next
			p.entryItem(n)
			p.itemLimit = -1
		})
	}
	if els == nil {
		return
	}
	p.flushComments(els.start)
	if p.src != nil && inline && p.lineOf(els.start) == p.lastLine {
		p.write(" ")
	} else {
		p.newline()
	}
	if els.cond != nil {
		p.ifItem(els.start, "elif ", els.cond, els.items, els.next, outer)
		return
	}
	p.ifItem(els.start, "else", nil, els.items, nil, outer)
}

func (p *printer) schemaExpr(e *syntax.SchemaExpr) {
	p.expr(e.Name)
	if e.HasParens {
		open, close := -1, -1
		if e.Name != nil {
			open = p.findTok(e.Name.End().Offset, "(")
		}
		items := argItems(e.Args, e.Kwargs)
		if open >= 0 {
			from := open + 1
			if len(items) > 0 {
				from = items[len(items)-1].End().Offset
			}
			close = p.findTok(from, ")")
			if close < 0 {
				// A trailing comma before the closing parenthesis.
				if c := p.findTok(from, ","); c >= 0 {
					close = p.findTok(c+1, ")")
				}
			}
		}
		p.seq("(", ")", open, close, items, p.argsVertical(open, close, items), commasAlways, p.arg)
	}
	p.write(" ")
	if e.Config == nil {
		p.write("{}")
		return
	}
	p.config(e.Config)
}

// lambdaWidth is the length past which the official formatter breaks a
// lambda's signature (from `lambda` to its return type) into one parameter
// per line.
const lambdaWidth = 80

func (p *printer) lambda(l *syntax.LambdaExpr) {
	from := l.Pos().Offset + len("lambda")
	braced := false // parameters written in braces: `lambda {a: int} -> T {…}`
	paramsEnd := -1 // the end of the parameters (their closing brace when braced)
	if len(l.Params) > 0 {
		last := l.Params[len(l.Params)-1]
		from = last.End().Offset
		paramsEnd = from
		if pb := p.findTok(l.Pos().Offset+len("lambda"), "{"); pb >= 0 && pb < l.Params[0].Pos().Offset {
			braced = true
			close := p.findTok(from, "}")
			if c := p.findTok(from, ","); close < 0 && c >= 0 {
				close = p.findTok(c+1, "}")
			}
			if close >= 0 {
				from = close + 1
				paramsEnd = close
			}
		}
	}
	if l.ReturnType != nil {
		from = l.ReturnType.End().Offset
	}
	open := p.findTok(from, "{")
	close := closeOff(l)
	if p.src == nil {
		p.lambdaCompact(l, braced)
		return
	}

	// The signature: on one line, unless a comment is written among the
	// parameters or the line would be longer than lambdaWidth; then one
	// parameter per line, in braces, each followed by a comma, and the
	// return type written out (any when it was left out).
	multi := len(l.Params) > 0 && (p.hasCommentBefore(p.lineEndOff(p.startLine(l.Params[len(l.Params)-1]))) ||
		braced && p.hasCommentBefore(paramsEnd))
	if !multi {
		mark := p.mark()
		start := len(p.out)
		p.lambdaSignature(l)
		if len(p.out)-start > lambdaWidth && len(l.Params) > 0 {
			p.reset(mark)
			multi = true
		}
	}
	if multi {
		p.write("lambda {")
		p.indent++
		p.block(paramItems(l.Params), blockOpts{limit: paramsEnd, sep: ",", sepLast: true}, func(n syntax.Node, _ int) {
			p.param(n.(*syntax.Param))
		})
		p.indent--
		p.write("} -> ")
		if l.ReturnType != nil {
			p.typ(l.ReturnType)
		} else {
			p.write("any")
		}
	}

	// The body, always one statement per line.
	p.write(" {")
	depth := p.depth
	p.depth = 0 // statements: line breaks are significant again
	p.lastLine = p.lineOf(open)
	p.indent++
	p.block(stmtItems(l.Body), blockOpts{limit: close, stmts: true}, p.printStmtItem)
	p.indent--
	p.depth = depth
	p.write("}")
	p.setLastOff(close)
}

// lambdaSignature writes `lambda params -> T` on one line.
func (p *printer) lambdaSignature(l *syntax.LambdaExpr) {
	p.write("lambda")
	if len(l.Params) > 0 {
		p.write(" ")
		p.params(l.Params)
	}
	if l.ReturnType != nil {
		p.write(" -> ")
		p.typ(l.ReturnType)
	}
}

func paramItems(ps []*syntax.Param) []syntax.Node {
	items := make([]syntax.Node, len(ps))
	for i, a := range ps {
		items[i] = a
	}
	return items
}

// lambdaCompact prints a lambda without source (Node): on one line when its
// body is a single simple statement.
func (p *printer) lambdaCompact(l *syntax.LambdaExpr, braced bool) {
	p.write("lambda")
	if len(l.Params) > 0 {
		p.write(" ")
		if braced {
			p.write("{")
			p.params(l.Params)
			p.write("}")
		} else {
			p.params(l.Params)
		}
	}
	if l.ReturnType != nil {
		p.write(" -> ")
		p.typ(l.ReturnType)
	}
	p.write(" ")
	items := stmtItems(l.Body)
	vertical := len(items) > 1
	for _, it := range items {
		switch it.(type) {
		case *syntax.IfStmt, *syntax.SchemaStmt, *syntax.RuleStmt:
			vertical = true
		}
	}
	if len(items) == 0 {
		p.write("{}")
		return
	}
	if !vertical {
		p.write("{ ")
		p.stmt(l.Body[0], -1)
		p.write(" }")
		return
	}
	p.write("{")
	depth := p.depth
	p.depth = 0
	p.indent++
	p.block(items, blockOpts{limit: -1, stmts: true}, p.printStmtItem)
	p.indent--
	p.depth = depth
	p.write("}")
}

func (p *printer) quant(q *syntax.QuantExpr) {
	p.write(q.Op.String() + " ")
	for i, v := range q.Vars {
		if i > 0 {
			p.write(", ")
		}
		p.ident(v)
	}
	p.write(" in ")
	p.expr(q.Target)
	p.write(" ")
	open := -1
	if q.Target != nil {
		open = p.findTok(q.Target.End().Offset, "{")
	}
	close := closeOff(q)
	end := q.Test.End()
	if q.IfCond != nil {
		end = q.IfCond.End()
	}
	body := &spanNode{Span: syntax.Span{Start: q.Test.Pos(), Stop: end}, print: func(int) {
		p.expr(q.Test)
		if q.IfCond != nil {
			p.write(" if ")
			p.expr(q.IfCond)
		}
	}}
	p.depth++
	// The official formatter prints the body on the line of the braces
	// when it starts there, without spaces inside them: `all x in xs {x > 0}`.
	vert := p.quantVertical(q)
	if vert {
		p.write("{")
		p.lastLine = p.lineOf(open)
		p.indent++
		p.block([]syntax.Node{body}, blockOpts{limit: close}, func(_ syntax.Node, next int) { body.print(next) })
		p.indent--
		p.write("}")
	} else {
		p.write("{")
		body.print(close)
		p.write("}")
	}
	p.depth--
	p.setLastOff(close)
}

// typ prints a type annotation.
func (p *printer) typ(t *syntax.TypeExpr) {
	if t == nil {
		p.fail("missing type")
		return
	}
	switch t.Kind {
	case syntax.AnyType:
		p.write("any")
	case syntax.BasicType, syntax.NamedType:
		switch {
		case t.NameExpr != nil:
			p.expr(t.NameExpr) // keeps `$` escapes
		case t.Name != "":
			p.write(t.Name)
		default:
			p.write(strings.TrimSpace(t.Text))
		}
	case syntax.ListType:
		p.write("[")
		if t.Elem != nil {
			p.typ(t.Elem)
		}
		p.write("]")
	case syntax.DictType:
		p.write("{")
		if t.Key != nil {
			p.typ(t.Key)
		}
		p.write(":")
		if t.Value != nil {
			p.typ(t.Value)
		}
		p.write("}")
	case syntax.UnionType:
		for i, u := range t.Union {
			if i > 0 {
				p.write(" | ")
			}
			p.typ(u)
		}
	case syntax.LiteralType:
		if t.Literal != nil {
			p.expr(t.Literal)
		} else {
			p.write(strings.TrimSpace(t.Text))
		}
	case syntax.FunctionType:
		p.write("(")
		for i, a := range t.Params {
			if i > 0 {
				p.write(", ")
			}
			p.typ(a)
		}
		p.write(")")
		if t.Ret != nil {
			p.write(" -> ")
			p.typ(t.Ret)
		}
	default:
		p.write(strings.TrimSpace(t.Text))
	}
}

package format

import (
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// spanNode is a printer-made node: a piece of a definition that the AST
// keeps in fields rather than as a node of its own (the `mixin [...]` list,
// the `check:` block), with the source span it covers, so that it takes part
// in comment placement and blank-line rules like a statement.
type spanNode struct {
	syntax.Span
	print    func(next int)
	isChecks bool // the `check:` block (preceded by a blank line)
}

func (p *printer) pos(off int) syntax.Pos {
	return syntax.Pos{Offset: off, Line: p.lineOf(off), Col: p.colOf(off)}
}

func (p *printer) decorators(ds []*syntax.Decorator, next syntax.Node) {
	for i, d := range ds {
		p.decorator(d)
		p.setLast(d)
		limit := -1
		if i+1 < len(ds) {
			limit = ds[i+1].Pos().Offset
		} else if next != nil && next.Pos().IsValid() {
			limit = next.Pos().Offset
		}
		p.flushComments(limit)
		p.newline()
	}
}

func (p *printer) decorator(d *syntax.Decorator) {
	p.write("@")
	p.expr(d.Name)
	if d.HasParens {
		open := -1
		if d.Name != nil {
			open = p.findTok(d.Name.End().Offset, "(")
		}
		items := argItems(d.Args, d.Kwargs)
		p.seq("(", ")", open, closeOff(d), items, p.argsVertical(open, closeOff(d), items), commasAlways, p.arg)
	}
}

// argItems merges positional and keyword arguments in source order.
func argItems(args []syntax.Expr, kwargs []*syntax.Keyword) []syntax.Node {
	items := make([]syntax.Node, 0, len(args)+len(kwargs))
	for _, a := range args {
		items = append(items, a)
	}
	for _, k := range kwargs {
		items = append(items, k)
	}
	sortNodes(items)
	return items
}

func (p *printer) arg(n syntax.Node) {
	switch n := n.(type) {
	case *syntax.Keyword:
		p.keyword(n)
	case syntax.Expr:
		p.expr(n)
	}
}

func (p *printer) keyword(k *syntax.Keyword) {
	p.ident(k.Name)
	p.write("=")
	if k.Value != nil {
		p.expr(k.Value)
	}
}

func (p *printer) param(a *syntax.Param) {
	p.ident(a.Name)
	if a.Type != nil {
		p.write(": ")
		p.typ(a.Type)
	}
	if a.Default != nil {
		p.write(" = ")
		p.expr(a.Default)
	}
}

func (p *printer) params(ps []*syntax.Param) {
	for i, a := range ps {
		if i > 0 {
			p.write(", ")
		}
		p.param(a)
	}
}

// headerEnd returns the offset after the last node of a definition header.
func headerEnd(nodes ...syntax.Node) int {
	end := -1
	for _, n := range nodes {
		if n == nil || !n.End().IsValid() {
			continue
		}
		if o := n.End().Offset; o > end {
			end = o
		}
	}
	return end
}

func (p *printer) schemaStmt(s *syntax.SchemaStmt, limit int) {
	p.decorators(s.Decorators, nodeOrNil(s.Name))
	// KCL makes a schema whose name ends in Mixin a mixin, and one whose
	// name ends in Protocol a protocol, whatever its keyword; the official
	// formatter writes the keyword that says so.
	name := ""
	if s.Name != nil {
		name = s.Name.Name
	}
	switch {
	case s.IsMixin || strings.HasSuffix(name, "Mixin"):
		p.write("mixin ")
	case s.IsProtocol || strings.HasSuffix(name, "Protocol"):
		p.write("protocol ")
	default:
		p.write("schema ")
	}
	p.ident(s.Name)
	hdr := []syntax.Node{nodeOrNil(s.Name)}
	if s.Params != nil {
		p.write("[")
		p.depth++
		p.params(s.Params)
		p.depth--
		p.write("]")
		for _, a := range s.Params {
			hdr = append(hdr, a)
		}
	}
	if s.Parent != nil {
		p.write("(")
		p.expr(s.Parent)
		p.write(")")
		hdr = append(hdr, s.Parent)
	}
	if s.ForProtocol != nil {
		p.write(" for ")
		p.expr(s.ForProtocol)
		hdr = append(hdr, s.ForProtocol)
	}
	colon := p.findColon(headerEnd(hdr...))
	after := colon + 1

	var items []syntax.Node
	if s.DocLit != nil {
		items = append(items, s.DocLit)
		after = s.DocLit.End().Offset
	}
	if len(s.Mixins) > 0 || p.findTok(after, "mixin") >= 0 {
		if mn := p.mixinsNode(s.Mixins, after); mn != nil {
			items = append(items, mn)
		}
	}
	for _, st := range s.Body {
		if es, ok := st.(*syntax.ExprStmt); ok && s.DocLit != nil && es.X == syntax.Expr(s.DocLit) {
			continue
		}
		items = append(items, st)
	}
	if s.IndexSignature != nil {
		items = append(items, s.IndexSignature)
	}
	sortNodes(items)
	if len(s.Checks) > 0 {
		prevEnd := colon + 1
		for _, it := range items {
			if e := it.End().Offset; e > prevEnd {
				prevEnd = e
			}
		}
		items = append(items, p.checksNode(s.Checks, prevEnd, limit))
	}
	blank := func(prev, cur syntax.Node) bool {
		sn, ok := cur.(*spanNode)
		return ok && sn.isChecks
	}
	p.bodyWith(s.Pos().Offset, colon, items, blockOpts{limit: limit, stmts: true, blank: blank}, p.schemaItem)
}

func nodeOrNil(id *syntax.Ident) syntax.Node {
	if id == nil {
		return nil
	}
	return id
}

func (p *printer) schemaItem(n syntax.Node, next int) {
	switch n := n.(type) {
	case *syntax.StringLit:
		p.expr(n)
	case *spanNode:
		n.print(next)
	case *syntax.IndexSignature:
		p.indexSignature(n)
	case syntax.Stmt:
		p.stmt(n, next)
	}
}

// mixinsNode makes the `mixin [...]` line of a schema body; after is the
// offset from which to look for the `mixin` keyword.
func (p *printer) mixinsNode(mixins []syntax.Expr, after int) *spanNode {
	var start, end syntax.Pos
	if len(mixins) > 0 {
		start, end = mixins[0].Pos(), mixins[len(mixins)-1].End()
	}
	kw := p.findTok(after, "mixin")
	open, close := -1, -1
	if kw >= 0 {
		start = p.pos(kw)
		open = p.findTok(kw+len("mixin"), "[")
		from := open + 1
		if len(mixins) > 0 {
			from = mixins[len(mixins)-1].End().Offset
		}
		if open >= 0 {
			close = p.findTok(from, "]")
			if c := p.findTok(from, ","); c >= 0 && close < 0 {
				close = p.findTok(c+1, "]")
			}
		}
		if close >= 0 {
			end = p.pos(close + 1)
		}
	}
	if len(mixins) == 0 && (open < 0 || close < 0) {
		return nil
	}
	items := make([]syntax.Node, len(mixins))
	for i, m := range mixins {
		items[i] = m
	}
	return &spanNode{Span: syntax.Span{Start: start, Stop: end}, print: func(int) {
		p.write("mixin ")
		// The official formatter prints the mixins one per line, without a
		// trailing comma.
		p.seq("[", "]", open, close, items, true, commasBetween, func(n syntax.Node) { p.expr(n.(syntax.Expr)) })
	}}
}

// checksNode makes the `check:` block of a schema; after is the offset
// after the previous item of the body.
func (p *printer) checksNode(checks []*syntax.CheckExpr, after, limit int) *spanNode {
	start := checks[0].Pos()
	kw := p.findTok(after, "check")
	if kw >= 0 {
		start = p.pos(kw)
	}
	items := make([]syntax.Node, len(checks))
	for i, c := range checks {
		items[i] = c
	}
	sn := &spanNode{Span: syntax.Span{Start: start, Stop: checks[len(checks)-1].End()}, isChecks: true}
	sn.print = func(next int) {
		p.write("check")
		colon := -1
		if kw >= 0 {
			colon = p.findColon(kw)
		}
		p.body(start.Offset, colon, items, next, func(n syntax.Node, _ int) { p.check(n.(*syntax.CheckExpr)) })
	}
	return sn
}

func (p *printer) check(c *syntax.CheckExpr) {
	p.expr(c.Test)
	if c.IfCond != nil {
		p.write(" if ")
		p.expr(c.IfCond)
	}
	if c.Msg != nil {
		p.write(", ")
		p.expr(c.Msg)
	}
}

func (p *printer) schemaAttr(a *syntax.SchemaAttr) {
	p.decorators(a.Decorators, a.Name)
	switch {
	case a.NameQuoted && p.src != nil && a.Name != nil && a.Name.Pos().IsValid() &&
		a.Name.End().Offset <= len(p.src) && a.Name.End().Offset > a.Name.Pos().Offset:
		p.write(string(p.src[a.Name.Pos().Offset:a.Name.End().Offset]))
	case a.NameQuoted && a.Name != nil:
		p.write(`"` + a.Name.Name + `"`)
	default:
		p.ident(a.Name)
	}
	if a.Optional {
		p.write("?")
	}
	if se, ok := a.Value.(*syntax.SchemaExpr); ok && a.Type != nil && a.Type.Pos().IsValid() &&
		se.Pos().Offset == a.Type.Pos().Offset && !se.HasParens {
		// `name: S {…}`: the type and the schema expression share the name.
		p.write(": ")
		p.expr(se)
		return
	}
	if a.Type != nil {
		p.write(": ")
		p.typ(a.Type)
	}
	if a.Op != syntax.ILLEGAL && a.Value != nil {
		p.write(" " + a.Op.String() + " ")
		p.expr(a.Value)
	}
}

func (p *printer) indexSignature(s *syntax.IndexSignature) {
	p.write("[")
	if s.KeyName != nil {
		p.ident(s.KeyName)
		p.write(": ")
	}
	if s.AnyOther {
		p.write("...")
	}
	p.typ(s.KeyType)
	p.write("]: ")
	p.typ(s.ValueType)
	if s.Value != nil {
		p.write(" = ")
		p.expr(s.Value)
	}
}

func (p *printer) ruleStmt(r *syntax.RuleStmt, limit int) {
	p.decorators(r.Decorators, r.Name)
	p.write("rule ")
	p.ident(r.Name)
	hdr := []syntax.Node{nodeOrNil(r.Name)}
	if r.Params != nil {
		p.write("[")
		p.params(r.Params)
		p.write("]")
		for _, a := range r.Params {
			hdr = append(hdr, a)
		}
	}
	if len(r.Parents) > 0 {
		p.write("(")
		for i, e := range r.Parents {
			if i > 0 {
				p.write(", ")
			}
			p.expr(e)
			hdr = append(hdr, e)
		}
		p.write(")")
	}
	if r.ForProtocol != nil {
		p.write(" for ")
		p.expr(r.ForProtocol)
		hdr = append(hdr, r.ForProtocol)
	}
	colon := p.findColon(headerEnd(hdr...))
	var items []syntax.Node
	if r.DocLit != nil {
		items = append(items, r.DocLit)
	}
	for _, c := range r.Checks {
		items = append(items, c)
	}
	p.body(r.Pos().Offset, colon, items, limit, func(n syntax.Node, _ int) {
		switch n := n.(type) {
		case *syntax.StringLit:
			p.expr(n)
		case *syntax.CheckExpr:
			p.check(n)
		}
	})
}

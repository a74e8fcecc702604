package syntax

import (
	"fmt"
	"sort"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
)

// MaxNesting bounds the nesting depth of expressions and blocks; deeper input
// is reported as an error instead of risking a stack overflow.
const MaxNesting = 500

// maxErrors bounds the number of syntax errors reported for one file.
const maxErrors = 200

// ParseFile parses a KCL source file. It always returns a non-nil *File; the
// diagnostics list the syntax errors found (empty for valid input). The
// parser never panics on any input.
func ParseFile(filename string, src []byte) (f *File, errs []*diag.Diagnostic) {
	p := newParser(filename, src, 0, len(src), Pos{Offset: 0, Line: 1, Col: 1}, false)
	defer func() {
		if r := recover(); r != nil {
			if f == nil {
				f = &File{Filename: filename, Src: src}
			}
			p.errorAt(p.tok.pos, fmt.Sprintf("internal parser error: %v", r))
			errs = p.diags()
		}
	}()
	f = p.parseFile()
	return f, p.diags()
}

// ParseExpr parses a single KCL expression (for example a -D option value or
// an editor fragment). The error, when not nil, wraps the syntax diagnostics
// as a diag.List.
func ParseExpr(src string) (x Expr, err error) {
	b := []byte(src)
	p := newParser("<expr>", b, 0, len(b), Pos{Offset: 0, Line: 1, Col: 1}, true)
	defer func() {
		if r := recover(); r != nil {
			x = nil
			err = fmt.Errorf("parse expression: internal parser error: %v", r)
		}
	}()
	x = p.parseTest()
	if p.tok.tok != EOF && p.tok.tok != NEWLINE {
		p.unexpected()
	}
	if ds := p.diags(); len(ds) > 0 {
		return x, fmt.Errorf("parse expression %q: %w", src, diag.List(ds))
	}
	return x, nil
}

// syntaxErr is one recorded error before conversion to a diagnostic.
type syntaxErr struct {
	pos  Pos
	kind diag.Kind
	msg  string
}

type parser struct {
	filename string
	src      []byte
	sc       *scanner
	tok      tokenInfo
	prevEnd  Pos
	ahead    []tokenInfo
	errs     *[]syntaxErr
	nest     int
	tooDeep  bool
	// nlStop is set while parsing list elements and config entries, where a
	// line break can separate items: then `if`, `(`, `[`, `*` and `**` on a
	// new line start a new item instead of continuing the expression.
	nlStop bool
	// noBrace disables `Name {…}` schema expressions (quantifier targets,
	// comprehension iterables are parsed with it).
	noBrace bool
	// notIsNot makes `a not b` a comparison (is not), as KCL accepts at the
	// top level of check expressions.
	notIsNot bool
	// lambdaDepth counts enclosing lambda bodies.
	lambdaDepth int
	// posCache speeds up posAfter for successive offsets in one token.
	posCache Pos
	// strayIndents counts unexpected INDENT tokens whose DEDENT is dropped.
	strayIndents int
}

func newParser(filename string, src []byte, start, end int, startPos Pos, exprMode bool) *parser {
	errs := make([]syntaxErr, 0)
	p := &parser{filename: filename, src: src, errs: &errs}
	p.sc = newScanner(src, string(src), start, end, startPos, func(pos Pos, kind diag.Kind, msg string) {
		p.addErr(pos, kind, msg)
	})
	p.sc.noIndent = exprMode
	// A file keeps its comments, those before its first token too (the
	// scanner reads that token below).
	p.sc.keepComm = !exprMode
	p.next()
	return p
}

func (p *parser) addErr(pos Pos, kind diag.Kind, msg string) {
	es := *p.errs
	if len(es) >= maxErrors {
		return
	}
	if n := len(es); n > 0 && es[n-1].pos.Offset == pos.Offset && es[n-1].msg == msg {
		return
	}
	*p.errs = append(es, syntaxErr{pos: pos, kind: kind, msg: msg})
}

func (p *parser) errorAt(pos Pos, msg string) { p.addErr(pos, diag.InvalidSyntax, msg) }

func (p *parser) diags() []*diag.Diagnostic {
	es := *p.errs
	if len(es) == 0 {
		return nil
	}
	// Report in source order (the scanner may find an unclosed bracket
	// after the parser reported errors further on).
	sort.SliceStable(es, func(i, j int) bool { return es[i].pos.Offset < es[j].pos.Offset })
	out := make([]*diag.Diagnostic, len(es))
	for i, e := range es {
		dp := diag.Pos{File: p.filename, Line: e.pos.Line, Col: e.pos.CharCol(p.src), Offset: e.pos.Offset}
		out[i] = &diag.Diagnostic{Kind: e.kind, Messages: []diag.Message{{Pos: dp, Text: e.msg}}}
	}
	return out
}

// ---------------------------------------------------------------------------
// Token handling

func (p *parser) next() {
	switch p.tok.tok {
	case NEWLINE, INDENT, DEDENT, EOF:
	default:
		p.prevEnd = p.tok.end
	}
	if len(p.ahead) > 0 {
		p.tok = p.ahead[0]
		p.ahead = p.ahead[1:]
		return
	}
	p.tok = p.sc.next()
}

func (p *parser) peek() tokenInfo {
	if len(p.ahead) == 0 {
		p.ahead = append(p.ahead, p.sc.next())
	}
	return p.ahead[0]
}

func tokDesc(t tokenInfo) string {
	switch t.tok {
	case IDENT:
		return "identifier"
	case NEWLINE:
		return "newline"
	case INDENT:
		return "indent"
	case DEDENT:
		return "dedent"
	case EOF:
		return "eof"
	case INT, FLOAT, STRING:
		return "literal"
	case ILLEGAL:
		return t.lit
	}
	return t.tok.String()
}

func (p *parser) expectedOneOf(want ...string) {
	if len(*p.errs) >= maxErrors {
		return
	}
	q := make([]string, len(want))
	for i, w := range want {
		q[i] = fmt.Sprintf("%q", w)
	}
	got := tokDesc(p.tok)
	if p.tok.tok.IsKeyword() {
		got = "identifier" // as the reference parser words it
	}
	p.errorAt(p.tok.pos, fmt.Sprintf("expected one of [%s] got %s", strings.Join(q, ", "), got))
}

func (p *parser) unexpected() {
	if len(*p.errs) >= maxErrors {
		return
	}
	p.errorAt(p.tok.pos, fmt.Sprintf("unexpected token '%s'", tokDesc(p.tok)))
}

// expect consumes a token of kind t or reports an error (without consuming).
func (p *parser) expect(t Token) bool {
	if p.tok.tok == t {
		p.next()
		return true
	}
	p.expectedOneOf(t.String())
	return false
}

func (p *parser) got(t Token) bool {
	if p.tok.tok == t {
		p.next()
		return true
	}
	return false
}

func (p *parser) enter() bool {
	p.nest++
	if p.nest > MaxNesting {
		if !p.tooDeep {
			p.tooDeep = true
			p.errorAt(p.tok.pos, fmt.Sprintf("nesting too deep (more than %d levels)", MaxNesting))
		}
		// Abandon the rest of the input.
		for p.tok.tok != EOF {
			p.next()
		}
		return false
	}
	return true
}

func (p *parser) leave() { p.nest-- }

// lineBreakStops reports whether the current token starts a new item of a
// list or config: it is on a new line while line breaks separate items.
func (p *parser) lineBreakStops() bool {
	return p.nlStop && p.tok.nlBefore
}

// progress guards loops against not consuming input: when the current token
// is the same as in the previous iteration, it reports it, skips it and
// returns false.
func (p *parser) progress(last *int) bool {
	key := p.tok.pos.Offset<<8 | int(p.tok.tok)
	if key == *last && p.tok.tok != EOF {
		p.unexpected()
		p.next()
		return false
	}
	*last = key
	return true
}

// atStop reports tokens that end any bracketed construct: EOF and the
// layout tokens, which only occur inside brackets after the scanner gave up
// on an unclosed bracket.
func (p *parser) atStop() bool {
	switch p.tok.tok {
	case EOF, NEWLINE, INDENT, DEDENT:
		return true
	case RPAREN, RBRACK, RBRACE:
		// a closing bracket ends the innermost construct even when it is
		// of the wrong kind, so that the enclosing one can take it
		return true
	}
	return false
}

func (p *parser) bad(pos Pos) *BadExpr {
	return &BadExpr{Span{pos, pos}}
}

// syncLine skips tokens up to and including the next NEWLINE (or to EOF /
// DEDENT, which are left in place).
func (p *parser) syncLine() {
	for p.tok.tok != EOF && p.tok.tok != NEWLINE && p.tok.tok != DEDENT {
		if p.tok.tok == INDENT {
			p.strayIndents++
		}
		p.next()
	}
	p.got(NEWLINE)
}

// endStmt consumes the end of a simple statement.
func (p *parser) endStmt() {
	switch p.tok.tok {
	case NEWLINE, SEMICOLON:
		p.next()
	case EOF, DEDENT:
	case ELSE, ELIF:
		// `if c: a = 1 else: …` on one line: let the if statement take it.
		p.unexpected()
	default:
		// Report the token, skip it and let the next statement start on
		// the same line (like the reference parser's recovery).
		p.unexpected()
		if p.tok.tok == INDENT {
			p.strayIndents++
		}
		p.next()
	}
}

// ---------------------------------------------------------------------------
// File and statements

func (p *parser) parseFile() *File {
	f := &File{Filename: p.filename, Src: p.src}
	f.Stmts = p.parseStmtList(false, true)
	for p.tok.tok != EOF {
		// unbalanced DEDENTs or stray tokens
		if p.tok.tok == DEDENT && p.strayIndents > 0 {
			p.strayIndents--
			p.next()
		} else {
			p.unexpected()
			p.next()
		}
		f.Stmts = append(f.Stmts, p.parseStmtList(false, true)...)
	}
	f.Comments = p.sc.comments
	f.Span = Span{Pos{0, 1, 1}, p.tok.end}
	if len(f.Stmts) > 0 {
		if es, ok := f.Stmts[0].(*ExprStmt); ok {
			if s, ok := es.X.(*StringLit); ok {
				f.Doc = s
			}
		}
	}
	return f
}

// parseStmtList parses statements until DEDENT or EOF (not consumed). With
// top set, stray DEDENTs matching stray INDENTs are skipped.
func (p *parser) parseStmtList(inSchema, top bool) []Stmt {
	var list []Stmt
	for {
		switch p.tok.tok {
		case EOF:
			return list
		case DEDENT:
			if p.strayIndents > 0 && top {
				p.strayIndents--
				p.next()
				continue
			}
			return list
		case NEWLINE, SEMICOLON:
			p.next()
			continue
		case INDENT:
			p.unexpected()
			p.strayIndents++
			p.next()
			continue
		case RBRACE:
			if p.lambdaDepth > 0 {
				return list
			}
		}
		before := p.tok.pos.Offset
		beforeTok := p.tok.tok
		if s := p.parseStmt(inSchema); s != nil {
			list = append(list, s)
		}
		if p.tok.pos.Offset == before && p.tok.tok == beforeTok && p.tok.tok != EOF {
			// no progress: report and skip
			p.unexpected()
			p.next()
		}
	}
}

func (p *parser) parseStmt(inSchema bool) Stmt {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	switch p.tok.tok {
	case AT:
		decos := p.parseDecorators()
		switch p.tok.tok {
		case SCHEMA, MIXIN, PROTOCOL:
			return p.parseSchemaStmt(decos)
		case RULE:
			return p.parseRuleStmt(decos)
		}
		if inSchema {
			return p.parseSimpleStmt(true, decos)
		}
		p.expectedOneOf("schema", "rule")
		return p.parseSimpleStmt(false, nil)
	case IMPORT:
		return p.parseImport()
	case IF:
		return p.parseIfStmt(inSchema, false)
	case ELIF:
		p.errorAt(p.tok.pos, "unexpected token 'elif'")
		return p.parseIfStmt(inSchema, true)
	case ELSE:
		p.unexpected()
		p.syncLine()
		return &BadStmt{Span{p.tok.pos, p.tok.pos}}
	case ASSERT:
		return p.parseAssert()
	case SCHEMA:
		return p.parseSchemaStmt(nil)
	case PROTOCOL, MIXIN:
		if p.peek().tok == IDENT {
			return p.parseSchemaStmt(nil)
		}
	case RULE:
		if p.peek().tok == IDENT {
			return p.parseRuleStmt(nil)
		}
	case IDENT:
		if p.tok.lit == "type" && !p.tok.dollar {
			if nt := p.peek(); nt.tok == IDENT && !nt.nlBefore {
				return p.parseTypeAlias()
			}
		}
	}
	return p.parseSimpleStmt(inSchema, nil)
}

func (p *parser) parseImport() Stmt {
	start := p.tok.pos
	p.next()
	s := &ImportStmt{}
	s.PathPos = p.tok.pos
	var sb strings.Builder
	// leading dots
	for p.tok.tok == DOT || p.tok.tok == ELLIPSIS {
		if p.tok.tok == DOT {
			s.Dots++
			sb.WriteByte('.')
		} else {
			s.Dots += 3
			sb.WriteString("...")
		}
		p.next()
	}
	var names []string
	for {
		if p.tok.tok == IDENT || p.tok.tok.IsKeyword() {
			names = append(names, p.tok.lit)
			sb.WriteString(p.tok.lit)
			p.next()
		} else {
			p.expectedOneOf("identifier")
			break
		}
		if p.tok.tok != DOT {
			break
		}
		sb.WriteByte('.')
		p.next()
	}
	s.PathEnd = p.prevEnd
	s.Rawpath = sb.String()
	s.Path = strings.Join(names, ".")
	if len(names) > 0 {
		s.Name = names[len(names)-1]
	}
	if p.got(AS) {
		if p.tok.tok == IDENT {
			s.AsName = p.ident()
			s.Name = s.AsName.Name
		} else {
			p.expectedOneOf("identifier")
		}
	}
	s.Span = p.spanFrom(start)
	p.endStmt()
	return s
}

func (p *parser) ident() *Ident {
	id := &Ident{Span: Span{p.tok.pos, p.tok.end}, Name: p.tok.lit, Dollar: p.tok.dollar}
	p.next()
	return id
}

// identOrKeyword accepts an identifier or a keyword used as a name (after a
// dot, in import paths).
func (p *parser) identOrKeyword() *Ident {
	if p.tok.tok == IDENT || p.tok.tok.IsKeyword() {
		return p.ident()
	}
	p.expectedOneOf("identifier")
	return &Ident{Span: Span{p.tok.pos, p.tok.pos}}
}

func (p *parser) parseTypeAlias() Stmt {
	start := p.tok.pos
	p.next() // type
	s := &TypeAliasStmt{Name: p.ident()}
	if p.expect(ASSIGN) {
		s.Type = p.parseType()
	} else {
		s.Type = &TypeExpr{Span: Span{p.tok.pos, p.tok.pos}, Kind: AnyType}
	}
	s.Span = p.spanFrom(start)
	p.endStmt()
	return s
}

func (p *parser) parseIfStmt(inSchema, elif bool) Stmt {
	start := p.tok.pos
	p.next() // if / elif
	s := &IfStmt{IsElif: elif}
	s.Cond = p.parseTest()
	s.Body = p.parseBlock(inSchema)
	if p.tok.tok == ELIF {
		s.Else = []Stmt{p.parseIfStmt(inSchema, true)}
	} else if p.tok.tok == ELSE {
		elsePos := p.tok.pos
		p.next()
		if p.tok.tok == IF && !p.tok.nlBefore {
			p.errorAt(elsePos, "'else if' here is invalid in KCL, consider using the 'elif' keyword")
			s.Else = []Stmt{p.parseIfStmt(inSchema, true)}
		} else {
			s.Else = p.parseBlock(inSchema)
		}
	}
	s.Span = p.spanFrom(start)
	return s
}

// parseBlock parses `: NEWLINE INDENT stmts DEDENT` or `: simple_stmt`.
func (p *parser) parseBlock(inSchema bool) []Stmt {
	if !p.expect(COLON) {
		// recover: skip to the end of the line
		for p.tok.tok != NEWLINE && p.tok.tok != EOF && p.tok.tok != COLON && p.tok.tok != INDENT && p.tok.tok != DEDENT {
			p.next()
		}
		p.got(COLON)
	}
	if p.tok.tok != NEWLINE {
		if p.tok.tok == EOF || p.tok.tok == DEDENT {
			p.expectedOneOf("newline")
			return nil
		}
		// single-line body
		s := p.parseStmt(inSchema)
		if s == nil {
			return nil
		}
		return []Stmt{s}
	}
	p.next()
	if p.tok.tok != INDENT {
		p.expectedOneOf("indent")
		return nil
	}
	p.next()
	list := p.parseStmtList(inSchema, false)
	if !p.got(DEDENT) && p.tok.tok != EOF && p.tok.tok != RBRACE {
		p.expectedOneOf("dedent")
	}
	return list
}

func (p *parser) parseAssert() Stmt {
	start := p.tok.pos
	p.next()
	s := &AssertStmt{}
	s.Test, s.IfCond, s.Msg = p.parseCheckParts()
	s.Span = p.spanFrom(start)
	p.endStmt()
	return s
}

// parseCheckParts parses `test [if cond][, msg]`, where `a if b else c` is a
// ternary test.
func (p *parser) parseCheckParts() (test, cond, msg Expr) {
	p.notIsNot = true
	test = p.parseOrTest()
	p.notIsNot = false
	if p.tok.tok == IF {
		p.next()
		cond = p.parseOrTest()
		if p.tok.tok == ELSE {
			p.next()
			els := p.parseTest()
			test = &IfExpr{Span: Span{test.Pos(), els.End()}, Body: test, Cond: cond, Else: els}
			cond = nil
			if p.tok.tok == IF {
				p.next()
				cond = p.parseTest()
			}
		}
	}
	if p.got(COMMA) {
		msg = p.parseTest()
	}
	return
}

func (p *parser) parseDecorators() []*Decorator {
	var ds []*Decorator
	for p.tok.tok == AT {
		start := p.tok.pos
		p.next()
		d := &Decorator{}
		d.Name = p.parseDottedName()
		if p.tok.tok == LPAREN {
			d.HasParens = true
			d.Args, d.Kwargs = p.parseCallArgs()
		}
		d.Span = p.spanFrom(start)
		ds = append(ds, d)
		if !p.got(NEWLINE) {
			p.expectedOneOf("newline")
			p.syncLine()
		}
	}
	return ds
}

// parseDottedName parses `a.b.c` as an Ident or SelectorExpr chain.
func (p *parser) parseDottedName() Expr {
	if p.tok.tok != IDENT && !isSoftKeyword(p.tok.tok) {
		p.expectedOneOf("identifier")
		return p.bad(p.tok.pos)
	}
	var x Expr = p.ident()
	for p.tok.tok == DOT {
		p.next()
		name := p.identOrKeyword()
		x = &SelectorExpr{Span: Span{x.Pos(), name.End()}, X: x, Name: name}
	}
	return x
}

func (p *parser) parseSimpleStmt(inSchema bool, decos []*Decorator) Stmt {
	start := p.tok.pos
	x := p.parseTest()
	if inSchema {
		if p.tok.tok == QUESTION || p.tok.tok == COLON {
			if name, quoted, ok := attrName(x); ok {
				return p.parseSchemaAttr(start, name, quoted, decos)
			}
		}
	}
	if len(decos) > 0 {
		p.errorAt(decos[0].Pos(), "decorators are only allowed on schemas, rules and schema attributes")
	}
	switch t := p.tok.tok; {
	case t == ASSIGN:
		s := &AssignStmt{Targets: []Expr{x}}
		for p.tok.tok == ASSIGN {
			p.next()
			v := p.parseTest()
			if p.tok.tok == ASSIGN {
				s.Targets = append(s.Targets, v)
				continue
			}
			s.Value = v
		}
		s.Span = p.spanFrom(start)
		p.endStmt()
		return s
	case t.IsAugAssign():
		s := &AugAssignStmt{Target: x, Op: t}
		p.next()
		s.Value = p.parseTest()
		s.Span = p.spanFrom(start)
		p.endStmt()
		return s
	case t == COLON:
		p.next()
		typ := p.parseType()
		if (p.tok.tok == LBRACE || p.tok.tok == LPAREN) && typ.Kind == NamedType {
			se := &SchemaExpr{Name: typ.NameExpr}
			if p.tok.tok == LPAREN {
				se.HasParens = true
				se.Args, se.Kwargs = p.parseCallArgs()
			}
			if p.tok.tok == LBRACE {
				se.Config = p.parseConfig()
			} else {
				p.expectedOneOf("{")
				se.Config = &ConfigExpr{Span: Span{p.tok.pos, p.tok.pos}}
			}
			se.Span = p.spanFrom(typ.Pos())
			s := &UnificationStmt{Span: p.spanFrom(start), Target: x, Value: se}
			p.endStmt()
			return s
		}
		s := &AssignStmt{Targets: []Expr{x}, Type: typ}
		if p.tok.tok == ASSIGN {
			for p.tok.tok == ASSIGN {
				p.next()
				v := p.parseTest()
				if p.tok.tok == ASSIGN {
					s.Targets = append(s.Targets, v)
					continue
				}
				s.Value = v
			}
		} else {
			p.expectedOneOf("=")
			s.Value = p.bad(p.tok.pos)
		}
		s.Span = p.spanFrom(start)
		p.endStmt()
		return s
	}
	s := &ExprStmt{Span: p.spanFrom(start), X: x}
	p.endStmt()
	return s
}

func attrName(x Expr) (*Ident, bool, bool) {
	switch n := x.(type) {
	case *Ident:
		return n, false, true
	case *StringLit:
		return &Ident{Span: n.Span, Name: n.Value}, true, true
	}
	return nil, false, false
}

func (p *parser) parseSchemaAttr(start Pos, name *Ident, quoted bool, decos []*Decorator) Stmt {
	a := &SchemaAttr{Name: name, NameQuoted: quoted, Decorators: decos}
	if len(decos) > 0 {
		start = decos[0].Pos()
	}
	if p.got(QUESTION) {
		a.Optional = true
	}
	if p.expect(COLON) {
		a.Type = p.parseType()
	} else {
		a.Type = &TypeExpr{Span: Span{p.tok.pos, p.tok.pos}, Kind: AnyType}
	}
	switch t := p.tok.tok; {
	case t == ASSIGN || t.IsAugAssign():
		a.Op = t
		p.next()
		a.Value = p.parseTest()
	case t == LBRACE:
		// `name: S {…}` in a schema: an attribute with a schema value
		if a.Type.Kind == NamedType {
			cfg := p.parseConfig()
			a.Op = ASSIGN
			a.Value = &SchemaExpr{Span: Span{a.Type.Pos(), cfg.End()}, Name: a.Type.NameExpr, Config: cfg}
		}
	}
	a.Span = p.spanFrom(start)
	p.endStmt()
	return a
}

// ---------------------------------------------------------------------------
// Schema and rule

func (p *parser) parseParams(close Token) []*Param {
	params := []*Param{}
	for p.tok.tok != close && !p.atStop() {
		start := p.tok.pos
		if p.tok.tok != IDENT {
			p.expectedOneOf("identifier")
			p.next()
			continue
		}
		pr := &Param{Name: p.ident()}
		if p.got(COLON) {
			pr.Type = p.parseType()
		}
		if p.got(ASSIGN) {
			pr.Default = p.parseTest()
		}
		pr.Span = p.spanFrom(start)
		params = append(params, pr)
		if !p.got(COMMA) {
			break
		}
	}
	return params
}

func (p *parser) parseSchemaStmt(decos []*Decorator) Stmt {
	start := p.tok.pos
	if len(decos) > 0 {
		start = decos[0].Pos()
	}
	s := &SchemaStmt{Decorators: decos}
	switch p.tok.tok {
	case MIXIN:
		s.IsMixin = true
	case PROTOCOL:
		s.IsProtocol = true
	}
	p.next()
	if p.tok.tok == IDENT {
		s.Name = p.ident()
	} else {
		p.expectedOneOf("identifier")
		s.Name = &Ident{Span: Span{p.tok.pos, p.tok.pos}}
	}
	if p.tok.tok == LBRACK {
		p.next()
		s.Params = p.parseParams(RBRACK)
		p.expect(RBRACK)
	}
	if p.tok.tok == LPAREN {
		p.next()
		if p.tok.tok != RPAREN {
			s.Parent = p.parseDottedName()
		}
		p.expect(RPAREN)
	}
	if p.tok.tok == FOR {
		p.next()
		s.ForProtocol = p.parseDottedName()
	}
	p.parseSchemaBody(s)
	s.Span = p.spanFrom(start)
	return s
}

func (p *parser) parseSchemaBody(s *SchemaStmt) {
	if !p.expect(COLON) {
		for p.tok.tok != NEWLINE && p.tok.tok != EOF && p.tok.tok != COLON {
			p.next()
		}
		p.got(COLON)
	}
	if !p.got(NEWLINE) {
		p.expectedOneOf("newline")
		p.syncLine()
	}
	if p.tok.tok != INDENT {
		return // empty schema
	}
	p.next()
	// docstring
	if p.tok.tok == STRING {
		if nt := p.peek(); nt.tok == NEWLINE || nt.tok == DEDENT || nt.tok == EOF {
			if lit, ok := p.parseString().(*StringLit); ok {
				s.DocLit = lit
				s.Doc = lit.Value
			}
			p.endStmt()
		}
	}
	for {
		switch p.tok.tok {
		case EOF:
			return
		case DEDENT:
			p.next()
			return
		case NEWLINE, SEMICOLON:
			p.next()
			continue
		case INDENT:
			p.unexpected()
			p.strayIndents++
			p.next()
			continue
		case MIXIN:
			p.next()
			if p.expect(LBRACK) {
				for p.tok.tok != RBRACK && !p.atStop() {
					before := p.tok.pos.Offset
					s.Mixins = append(s.Mixins, p.parseDottedName())
					if !p.got(COMMA) {
						break
					}
					if p.tok.pos.Offset == before {
						p.next()
					}
				}
				p.expect(RBRACK)
			}
			p.endStmt()
			continue
		case CHECK:
			if nt := p.peek(); nt.tok == COLON {
				s.Checks = append(s.Checks, p.parseCheckBlock()...)
				continue
			}
		case LBRACK:
			if !p.bracketFollowedByColon(p.tok.pos.Offset) {
				break
			}
			if sig := p.parseIndexSignature(); sig != nil {
				if s.IndexSignature != nil {
					p.errorAt(sig.Pos(), "duplicate schema index signature definitions, only one is allowed in the schema")
				} else {
					s.IndexSignature = sig
				}
			}
			continue
		}
		before := p.tok.pos.Offset
		beforeTok := p.tok.tok
		if st := p.parseStmt(true); st != nil {
			s.Body = append(s.Body, st)
		}
		if p.tok.pos.Offset == before && p.tok.tok == beforeTok && p.tok.tok != EOF {
			p.unexpected()
			p.next()
		}
	}
}

// parseCheckBlock parses `check: NEWLINE INDENT checks DEDENT` (current token is check).
func (p *parser) parseCheckBlock() []*CheckExpr {
	p.next() // check
	p.expect(COLON)
	return p.parseCheckExprs()
}

// parseCheckExprs parses an indented block of check expressions after the colon.
func (p *parser) parseCheckExprs() []*CheckExpr {
	var out []*CheckExpr
	if !p.got(NEWLINE) {
		// single line
		if p.tok.tok != EOF {
			out = append(out, p.parseCheckExpr())
		}
		return out
	}
	if !p.got(INDENT) {
		p.expectedOneOf("indent")
		return out
	}
	for p.tok.tok != DEDENT && p.tok.tok != EOF {
		if p.tok.tok == NEWLINE {
			p.next()
			continue
		}
		before := p.tok.pos.Offset
		out = append(out, p.parseCheckExpr())
		if p.tok.pos.Offset == before && p.tok.tok != EOF {
			p.unexpected()
			p.next()
		}
	}
	p.got(DEDENT)
	return out
}

func (p *parser) parseCheckExpr() *CheckExpr {
	start := p.tok.pos
	c := &CheckExpr{}
	c.Test, c.IfCond, c.Msg = p.parseCheckParts()
	c.Span = p.spanFrom(start)
	p.endStmt()
	return c
}

// bracedParams reports whether the `{` at src[off] after `lambda` encloses
// parameters: its matching `}` is followed by `->` or another `{`.
func (p *parser) bracedParams(off int) bool {
	end := matchBracket(p.src, off)
	if end < 0 {
		return false
	}
	for j := end + 1; j < len(p.src); j++ {
		switch p.src[j] {
		case ' ', '\t':
			continue
		case '{':
			return true
		case '-':
			return j+1 < len(p.src) && p.src[j+1] == '>'
		}
		return false
	}
	return false
}

// matchBracket returns the offset of the bracket closing the one at
// src[off], skipping strings and comments, or -1.
func matchBracket(src []byte, off int) int {
	depth := 0
	limit := min(len(src), off+4096) // lambda parameter lists are short
	for i := off; i < limit; i++ {
		switch c := src[i]; c {
		case '[', '(', '{':
			depth++
		case ']', ')', '}':
			depth--
			if depth == 0 {
				return i
			}
		case '"', '\'':
			for i++; i < len(src) && src[i] != c && src[i] != '\n'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		}
	}
	return -1
}

// bracketFollowedByColon reports whether the bracket at src[off] is closed
// on the same logical line and followed by a colon (an index signature).
func (p *parser) bracketFollowedByColon(off int) bool {
	depth := 0
	src := p.src
	for i := off; i < len(src); i++ {
		switch c := src[i]; c {
		case '[', '(', '{':
			depth++
		case ']', ')', '}':
			depth--
			if depth == 0 {
				for j := i + 1; j < len(src); j++ {
					if src[j] == ' ' || src[j] == '\t' {
						continue
					}
					return src[j] == ':'
				}
				return false
			}
		case '"', '\'':
			for i++; i < len(src) && src[i] != c && src[i] != '\n'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '\n', '#':
			return false
		}
	}
	return false
}

// parseIndexSignature parses `[[name:] [...] KeyType]: ValueType [= value]`.
func (p *parser) parseIndexSignature() *IndexSignature {
	start := p.tok.pos
	p.next() // [
	sig := &IndexSignature{}
	if p.tok.tok == IDENT && p.peek().tok == COLON {
		sig.KeyName = p.ident()
		p.next() // :
	}
	if p.got(ELLIPSIS) {
		sig.AnyOther = true
	}
	sig.KeyType = p.parseType()
	p.expect(RBRACK)
	if p.expect(COLON) {
		sig.ValueType = p.parseType()
	} else {
		sig.ValueType = &TypeExpr{Span: Span{p.tok.pos, p.tok.pos}, Kind: AnyType}
	}
	if p.tok.tok == ASSIGN {
		sig.Op = ASSIGN
		p.next()
		sig.Value = p.parseTest()
	}
	sig.Span = p.spanFrom(start)
	p.endStmt()
	return sig
}

func (p *parser) parseRuleStmt(decos []*Decorator) Stmt {
	start := p.tok.pos
	if len(decos) > 0 {
		start = decos[0].Pos()
	}
	p.next() // rule
	r := &RuleStmt{Decorators: decos}
	if p.tok.tok == IDENT {
		r.Name = p.ident()
	} else {
		p.expectedOneOf("identifier")
		r.Name = &Ident{Span: Span{p.tok.pos, p.tok.pos}}
	}
	if p.tok.tok == LBRACK {
		p.next()
		r.Params = p.parseParams(RBRACK)
		p.expect(RBRACK)
	}
	if p.got(LPAREN) {
		for p.tok.tok != RPAREN && !p.atStop() {
			r.Parents = append(r.Parents, p.parseDottedName())
			if !p.got(COMMA) {
				break
			}
		}
		p.expect(RPAREN)
	}
	if p.got(FOR) {
		r.ForProtocol = p.parseDottedName()
	}
	p.expect(COLON)
	if p.tok.tok == NEWLINE && p.peek().tok == INDENT {
		p.next()
		p.next()
		if p.tok.tok == STRING {
			if nt := p.peek(); nt.tok == NEWLINE {
				if lit, ok := p.parseString().(*StringLit); ok {
					r.DocLit = lit
					r.Doc = lit.Value
				}
				p.endStmt()
			}
		}
		for p.tok.tok != DEDENT && p.tok.tok != EOF {
			if p.tok.tok == NEWLINE {
				p.next()
				continue
			}
			before := p.tok.pos.Offset
			r.Checks = append(r.Checks, p.parseCheckExpr())
			if p.tok.pos.Offset == before && p.tok.tok != EOF {
				p.unexpected()
				p.next()
			}
		}
		p.got(DEDENT)
	} else {
		r.Checks = p.parseCheckExprs()
	}
	r.Span = p.spanFrom(start)
	return r
}

// ---------------------------------------------------------------------------
// Expressions

// parseTest parses a full expression: lambda, ternary or lower.
func (p *parser) parseTest() Expr {
	if !p.enter() {
		return p.bad(p.tok.pos)
	}
	defer p.leave()
	x := p.parseOrTest()
	if p.tok.tok == IF && !(p.nlStop && p.tok.nlBefore) {
		p.next()
		cond := p.parseOrTest()
		var els Expr
		if p.expect(ELSE) {
			els = p.parseTest()
		} else {
			els = p.bad(p.tok.pos)
		}
		return &IfExpr{Span: p.spanFrom(x.Pos()), Body: x, Cond: cond, Else: els}
	}
	return x
}

func (p *parser) parseOrTest() Expr {
	x := p.parseAndTest()
	for p.tok.tok == KW_OR && !p.lineBreakStops() {
		opPos := p.tok.pos
		p.next()
		y := p.parseAndTest()
		x = &BinaryExpr{Span: Span{x.Pos(), y.End()}, Op: KW_OR, OpPos: opPos, X: x, Y: y}
	}
	return x
}

func (p *parser) parseAndTest() Expr {
	x := p.parseNotTest()
	for p.tok.tok == KW_AND && !p.lineBreakStops() {
		opPos := p.tok.pos
		p.next()
		y := p.parseNotTest()
		x = &BinaryExpr{Span: Span{x.Pos(), y.End()}, Op: KW_AND, OpPos: opPos, X: x, Y: y}
	}
	return x
}

func (p *parser) parseNotTest() Expr {
	if p.tok.tok == KW_NOT {
		if !p.enter() {
			return p.bad(p.tok.pos)
		}
		defer p.leave()
		start := p.tok.pos
		p.next()
		x := p.parseNotTest()
		return &UnaryExpr{Span: Span{start, x.End()}, Op: KW_NOT, X: x}
	}
	return p.parseComparison()
}

func (p *parser) compOp() (Token, bool) {
	if p.lineBreakStops() {
		return ILLEGAL, false
	}
	switch t := p.tok.tok; t {
	case EQ, NE, LT, LE, GT, GE, IN:
		p.next()
		return t, true
	case IS:
		p.next()
		if p.got(KW_NOT) {
			return IS_NOT, true
		}
		return IS, true
	case KW_NOT:
		if p.peek().tok == IN {
			p.next()
			p.next()
			return NOT_IN, true
		}
		if p.notIsNot && !p.peek().nlBefore {
			p.next()
			return IS_NOT, true
		}
	}
	return ILLEGAL, false
}

func (p *parser) parseComparison() Expr {
	x := p.parseAsExpr()
	var c *CompareExpr
	for {
		op, ok := p.compOp()
		if !ok {
			break
		}
		y := p.parseAsExpr()
		if c == nil {
			c = &CompareExpr{Left: x}
		}
		c.Ops = append(c.Ops, op)
		c.Comparators = append(c.Comparators, y)
	}
	if c == nil {
		return x
	}
	c.Span = Span{x.Pos(), c.Comparators[len(c.Comparators)-1].End()}
	return c
}

func (p *parser) parseAsExpr() Expr {
	x := p.parseBinary(1)
	for p.tok.tok == AS && !p.lineBreakStops() {
		p.next()
		t := p.parseType()
		x = &AsExpr{Span: Span{x.Pos(), t.End()}, X: x, Type: t}
	}
	return x
}

func binaryPrec(t Token) int {
	switch t {
	case OR:
		return 1
	case XOR:
		return 2
	case AND:
		return 3
	case SHL, SHR:
		return 4
	case ADD, SUB:
		return 5
	case MUL, DIV, MOD, FLOORDIV:
		return 6
	}
	return 0
}

func (p *parser) parseBinary(minPrec int) Expr {
	x := p.parseUnary()
	for {
		op := p.tok.tok
		prec := binaryPrec(op)
		if prec == 0 || prec < minPrec {
			return x
		}
		if p.lineBreakStops() {
			return x
		}
		opPos := p.tok.pos
		p.next()
		y := p.parseBinary(prec + 1)
		x = &BinaryExpr{Span: Span{x.Pos(), y.End()}, Op: op, OpPos: opPos, X: x, Y: y}
	}
}

func (p *parser) parseUnary() Expr {
	if p.tok.tok == ILLEGAL && p.tok.lit == "!" {
		// `!x`: report and read it as `not x`.
		if !p.enter() {
			return p.bad(p.tok.pos)
		}
		defer p.leave()
		start := p.tok.pos
		p.errorAt(start, "invalid token '!', consider using 'not'")
		p.next()
		x := p.parseUnary()
		return &UnaryExpr{Span: Span{start, x.End()}, Op: KW_NOT, X: x}
	}
	switch p.tok.tok {
	case ADD, SUB, INV:
		if !p.enter() {
			return p.bad(p.tok.pos)
		}
		defer p.leave()
		start := p.tok.pos
		op := p.tok.tok
		p.next()
		x := p.parseUnary()
		return &UnaryExpr{Span: Span{start, x.End()}, Op: op, X: x}
	}
	return p.parsePower()
}

func (p *parser) parsePower() Expr {
	x := p.parsePrimary()
	if p.tok.tok == POW && !(p.nlStop && p.tok.nlBefore) {
		opPos := p.tok.pos
		p.next()
		y := p.parseUnary()
		return &BinaryExpr{Span: Span{x.Pos(), y.End()}, Op: POW, OpPos: opPos, X: x, Y: y}
	}
	return x
}

// isSoftKeyword reports keywords that are also usable as names.
func isSoftKeyword(t Token) bool {
	return t == PROTOCOL || t == RULE || t == MIXIN || t == CHECK
}

func isDottedName(x Expr) bool {
	_, ok := DottedName(x)
	return ok
}

func (p *parser) parsePrimary() Expr {
	if !p.enter() {
		return p.bad(p.tok.pos)
	}
	defer p.leave()
	x := p.parseOperand()
	for {
		switch p.tok.tok {
		case DOT, QDOT:
			opt := p.tok.tok == QDOT
			p.next()
			name := p.identOrKeyword()
			x = &SelectorExpr{Span: Span{x.Pos(), name.End()}, X: x, Name: name, Optional: opt}
		case LBRACK, QLBRACK:
			if p.nlStop && p.tok.nlBefore {
				return x
			}
			x = p.parseIndexOrSlice(x)
		case LPAREN:
			if p.nlStop && p.tok.nlBefore {
				return x
			}
			args, kwargs := p.parseCallArgs()
			x = &CallExpr{Span: p.spanFrom(x.Pos()), Func: x, Args: args, Kwargs: kwargs}
		case LBRACE:
			if p.noBrace || (p.nlStop && p.tok.nlBefore) {
				return x
			}
			if isDottedName(x) {
				cfg := p.parseConfig()
				x = &SchemaExpr{Span: Span{x.Pos(), cfg.End()}, Name: x, Config: cfg}
				continue
			}
			if call, ok := x.(*CallExpr); ok && isDottedName(call.Func) {
				cfg := p.parseConfig()
				x = &SchemaExpr{Span: Span{x.Pos(), cfg.End()}, Name: call.Func, HasParens: true,
					Args: call.Args, Kwargs: call.Kwargs, Config: cfg}
				continue
			}
			return x
		default:
			return x
		}
	}
}

func (p *parser) parseIndexOrSlice(x Expr) Expr {
	opt := p.tok.tok == QLBRACK
	p.next()
	saveNL, saveNB, saveNI := p.nlStop, p.noBrace, p.notIsNot
	p.nlStop, p.noBrace, p.notIsNot = false, false, false
	defer func() { p.nlStop, p.noBrace, p.notIsNot = saveNL, saveNB, saveNI }()
	var parts [3]Expr
	n := 0
	isSlice := false
	for {
		if p.tok.tok != COLON && p.tok.tok != RBRACK {
			parts[n] = p.parseTest()
		}
		if p.tok.tok == COLON && n < 2 {
			isSlice = true
			n++
			p.next()
			continue
		}
		break
	}
	if !p.got(RBRACK) {
		p.expectedOneOf("]")
	}
	if isSlice {
		return &SliceExpr{Span: p.spanFrom(x.Pos()), X: x, Lo: parts[0], Hi: parts[1], Step: parts[2], Optional: opt}
	}
	idx := parts[0]
	if idx == nil {
		p.errorAt(p.prevEnd, "expected expression in index")
		idx = p.bad(p.prevEnd)
	}
	return &IndexExpr{Span: p.spanFrom(x.Pos()), X: x, Index: idx, Optional: opt}
}

// parseCallArgs parses `(args)`; the current token is `(`.
func (p *parser) parseCallArgs() ([]Expr, []*Keyword) {
	p.next() // (
	saveNL, saveNB, saveNI := p.nlStop, p.noBrace, p.notIsNot
	p.nlStop, p.noBrace, p.notIsNot = false, false, false
	defer func() { p.nlStop, p.noBrace, p.notIsNot = saveNL, saveNB, saveNI }()
	var args []Expr
	var kwargs []*Keyword
	for p.tok.tok != RPAREN && !p.atStop() {
		before := p.tok.pos.Offset
		var a Expr
		if p.tok.tok == MUL || p.tok.tok == POW {
			start := p.tok.pos
			op := p.tok.tok
			p.next()
			v := p.parseTest()
			a = &StarredExpr{Span: Span{start, v.End()}, Op: op, X: v}
		} else if p.tok.tok == COMMA {
			p.expectedOneOf("identifier", "literal", "(", "[", "{")
			a = p.bad(p.tok.pos)
		} else {
			a = p.parseTest()
		}
		if p.tok.tok == ASSIGN {
			p.next()
			id, ok := a.(*Ident)
			if !ok {
				p.errorAt(a.Pos(), "keyword argument must be an identifier")
				id = &Ident{Span: Span{a.Pos(), a.End()}}
			}
			v := p.parseTest()
			kwargs = append(kwargs, &Keyword{Span: Span{id.Pos(), v.End()}, Name: id, Value: v})
		} else {
			if _, starred := a.(*StarredExpr); len(kwargs) > 0 && !starred {
				p.errorAt(a.Pos(), "positional argument follows keyword argument")
			}
			args = append(args, a)
		}
		if !p.got(COMMA) {
			if p.tok.tok != RPAREN {
				p.expectedOneOf(")")
				// recover: skip to the closing paren or a comma
				for p.tok.tok != RPAREN && p.tok.tok != COMMA && p.tok.tok != EOF && p.tok.tok != NEWLINE && p.tok.tok != RBRACE && p.tok.tok != RBRACK {
					p.next()
				}
				if p.got(COMMA) {
					continue
				}
				break
			}
		}
		if p.tok.pos.Offset == before {
			p.next()
		}
	}
	if !p.got(RPAREN) {
		p.expectedOneOf(")")
	}
	return args, kwargs
}

func (p *parser) parseOperand() Expr {
	switch p.tok.tok {
	case IDENT, PROTOCOL, RULE, MIXIN, CHECK:
		return p.ident()
	case INT, FLOAT:
		return p.parseNumber()
	case STRING:
		return p.parseString()
	case TRUE, FALSE, NONE, UNDEFINED:
		x := &NameConstant{Span: Span{p.tok.pos, p.tok.end}, Value: p.tok.tok}
		p.next()
		return x
	case LPAREN:
		start := p.tok.pos
		p.next()
		saveNL, saveNB, saveNI := p.nlStop, p.noBrace, p.notIsNot
		p.nlStop, p.noBrace, p.notIsNot = false, false, false
		x := p.parseTest()
		p.nlStop, p.noBrace, p.notIsNot = saveNL, saveNB, saveNI
		if !p.got(RPAREN) {
			p.expectedOneOf(")")
		}
		return &ParenExpr{Span: p.spanFrom(start), X: x}
	case LBRACK:
		return p.parseList()
	case LBRACE:
		return p.parseConfigOrComp()
	case LAMBDA:
		return p.parseLambda()
	case ALL, ANY, MAP, FILTER:
		return p.parseQuant()
	}
	p.expectedOneOf("identifier", "literal", "(", "[", "{")
	return p.bad(p.tok.pos)
}

func (p *parser) parseQuant() Expr {
	start := p.tok.pos
	q := &QuantExpr{Op: p.tok.tok}
	p.next()
	for p.tok.tok == IDENT {
		q.Vars = append(q.Vars, p.ident())
		if !p.got(COMMA) {
			break
		}
	}
	if len(q.Vars) == 0 {
		p.expectedOneOf("identifier")
	}
	if !p.expect(IN) {
		q.Target = p.bad(p.tok.pos)
	} else {
		saveNB := p.noBrace
		p.noBrace = true
		q.Target = p.parseTest()
		p.noBrace = saveNB
	}
	if p.expect(LBRACE) {
		saveNL, saveNB := p.nlStop, p.noBrace
		p.nlStop, p.noBrace = false, false
		q.Test = p.parseOrTest()
		if p.tok.tok == IF {
			p.next()
			q.IfCond = p.parseTest()
		}
		p.nlStop, p.noBrace = saveNL, saveNB
		if !p.got(RBRACE) {
			p.expectedOneOf("}")
		}
	} else {
		q.Test = p.bad(p.tok.pos)
	}
	q.Span = p.spanFrom(start)
	return q
}

func (p *parser) parseLambda() Expr {
	start := p.tok.pos
	p.next() // lambda
	l := &LambdaExpr{}
	if p.tok.tok == LBRACE && len(p.ahead) == 0 && p.bracedParams(p.tok.pos.Offset) {
		// `lambda {params} -> T {body}`
		p.next()
		l.Params = p.parseParams(RBRACE)
		p.expect(RBRACE)
	} else if p.tok.tok != LBRACE && p.tok.tok != ARROW {
		l.Params = p.parseParams(LBRACE)
	}
	if p.got(ARROW) {
		l.ReturnType = p.parseType()
	}
	if p.tok.tok != LBRACE {
		p.expectedOneOf("{")
		l.Span = p.spanFrom(start)
		return l
	}
	// Switch the scanner into block mode for the body. The `{` is the
	// current token, so nothing beyond it has been scanned yet unless a
	// lookahead token is buffered.
	if len(p.ahead) == 0 {
		p.sc.pushBlock()
		saveNL, saveNB, saveNI := p.nlStop, p.noBrace, p.notIsNot
		p.nlStop, p.noBrace, p.notIsNot = false, false, false
		p.lambdaDepth++
		p.next() // {
		last := -1
		for p.tok.tok != RBRACE && p.tok.tok != EOF {
			if !p.progress(&last) {
				continue
			}
			switch p.tok.tok {
			case NEWLINE, DEDENT:
				p.next()
				continue
			case INDENT:
				p.next()
				l.Body = append(l.Body, p.parseStmtList(false, false)...)
				continue
			}
			l.Body = append(l.Body, p.parseStmtList(false, false)...)
		}
		p.lambdaDepth--
		p.nlStop, p.noBrace, p.notIsNot = saveNL, saveNB, saveNI
		if !p.got(RBRACE) {
			p.expectedOneOf("}")
		}
	} else {
		p.errorAt(p.tok.pos, "invalid lambda body")
		p.next()
	}
	l.Span = p.spanFrom(start)
	return l
}

// parseList parses a list literal or list comprehension.
func (p *parser) parseList() Expr {
	start := p.tok.pos
	p.next() // [
	saveNL, saveNB, saveNI := p.nlStop, p.noBrace, p.notIsNot
	p.nlStop, p.noBrace, p.notIsNot = true, false, false
	defer func() { p.nlStop, p.noBrace, p.notIsNot = saveNL, saveNB, saveNI }()
	var elts []Expr
	last := -1
	for p.tok.tok != RBRACK && !p.atStop() {
		if !p.progress(&last) {
			continue
		}
		before := p.tok.pos.Offset
		e := p.parseListElem()
		if len(elts) == 0 && p.tok.tok == FOR {
			clauses := p.parseCompClauses()
			if !p.got(RBRACK) {
				p.expectedOneOf("]")
			}
			return &ListComp{Span: p.spanFrom(start), Elt: e, Clauses: clauses}
		}
		elts = append(elts, e)
		if p.got(COMMA) {
			continue
		}
		if p.tok.tok == RBRACK || p.tok.nlBefore {
			continue
		}
		p.expectedOneOf("]")
		p.skipItem(RBRACK)
		if p.tok.pos.Offset == before {
			p.next()
		}
	}
	if !p.got(RBRACK) {
		p.expectedOneOf("]")
	}
	return &ListExpr{Span: p.spanFrom(start), Elts: elts}
}

// skipItem skips tokens of a broken list element or config entry, up to a
// comma, the closing token or a line break.
func (p *parser) skipItem(close Token) {
	for p.tok.tok != close && !p.atStop() {
		if p.got(COMMA) {
			return
		}
		p.next()
		if p.tok.nlBefore {
			return
		}
	}
}

func (p *parser) parseListElem() Expr {
	switch p.tok.tok {
	case MUL:
		start := p.tok.pos
		p.next()
		x := p.parseTest()
		return &StarredExpr{Span: Span{start, x.End()}, Op: MUL, X: x}
	case IF:
		return p.parseListIfItem()
	}
	return p.parseTest()
}

func (p *parser) parseListIfItem() *ListIfItem {
	start := p.tok.pos
	ifCol := p.tok.pos.Col
	item := &ListIfItem{}
	if p.tok.tok == ELSE {
		p.next()
	} else {
		p.next() // if / elif
		item.Cond = p.parseTest()
	}
	p.expect(COLON)
	first := true
	last := -1
	for p.tok.tok != RBRACK && !p.atStop() {
		if !p.progress(&last) {
			continue
		}
		if p.tok.tok == ELIF || p.tok.tok == ELSE {
			break
		}
		if !first && p.tok.nlBefore && p.tok.pos.Col <= ifCol {
			break
		}
		if first && p.tok.nlBefore && p.tok.pos.Col <= ifCol {
			break
		}
		before := p.tok.pos.Offset
		item.Elts = append(item.Elts, p.parseListElem())
		first = false
		if p.tok.tok == COMMA {
			// a comma continues the if body only on the same line
			p.next()
		}
		if p.tok.pos.Offset == before {
			p.next()
		}
	}
	if (p.tok.tok == ELIF || p.tok.tok == ELSE) && (!p.tok.nlBefore || p.tok.pos.Col == ifCol) {
		item.Else = p.parseListIfItem()
	}
	item.Span = p.spanFrom(start)
	return item
}

func (p *parser) parseCompClauses() []*CompClause {
	var out []*CompClause
	for p.tok.tok == FOR {
		start := p.tok.pos
		p.next()
		c := &CompClause{}
		for p.tok.tok == IDENT {
			c.Targets = append(c.Targets, p.ident())
			if !p.got(COMMA) {
				break
			}
		}
		if len(c.Targets) == 0 {
			p.expectedOneOf("identifier")
		}
		if p.expect(IN) {
			saveNL := p.nlStop
			p.nlStop = false
			c.Iter = p.parseOrTest()
			p.nlStop = saveNL
		} else {
			c.Iter = p.bad(p.tok.pos)
		}
		for p.tok.tok == IF {
			p.next()
			saveNL := p.nlStop
			p.nlStop = false
			c.Ifs = append(c.Ifs, p.parseOrTest())
			p.nlStop = saveNL
		}
		c.Span = p.spanFrom(start)
		out = append(out, c)
	}
	return out
}

// parseConfig parses a `{…}` config that must not be a comprehension.
func (p *parser) parseConfig() *ConfigExpr {
	x := p.parseConfigOrComp()
	if c, ok := x.(*ConfigExpr); ok {
		return c
	}
	p.errorAt(x.Pos(), "a comprehension is not allowed here")
	return &ConfigExpr{Span: Span{x.Pos(), x.End()}}
}

func (p *parser) parseConfigOrComp() Expr {
	start := p.tok.pos
	p.next() // {
	saveNL, saveNB, saveNI := p.nlStop, p.noBrace, p.notIsNot
	p.nlStop, p.noBrace, p.notIsNot = true, false, false
	defer func() { p.nlStop, p.noBrace, p.notIsNot = saveNL, saveNB, saveNI }()
	var entries []*ConfigEntry
	last := -1
	for p.tok.tok != RBRACE && !p.atStop() {
		if !p.progress(&last) {
			continue
		}
		before := p.tok.pos.Offset
		e := p.parseConfigEntry()
		if len(entries) == 0 && p.tok.tok == FOR && e.Key != nil {
			clauses := p.parseCompClauses()
			if !p.got(RBRACE) {
				p.expectedOneOf("}")
			}
			return &DictComp{Span: p.spanFrom(start), Key: e.Key, Value: e.Value, Op: e.Op, Clauses: clauses}
		}
		entries = append(entries, e)
		if p.got(COMMA) {
			continue
		}
		if p.tok.tok == RBRACE || p.tok.nlBefore || p.tok.tok == EOF {
			continue
		}
		p.expectedOneOf("}")
		p.skipItem(RBRACE)
		if p.tok.pos.Offset == before {
			p.next()
		}
	}
	if !p.got(RBRACE) {
		p.expectedOneOf("}")
	}
	return &ConfigExpr{Span: p.spanFrom(start), Entries: entries}
}

func (p *parser) parseConfigEntry() *ConfigEntry {
	start := p.tok.pos
	switch p.tok.tok {
	case POW:
		p.next()
		v := p.parseTest()
		return &ConfigEntry{Span: Span{start, v.End()}, Op: POW, Value: v}
	case IF:
		ie := p.parseConfigIfEntry()
		return &ConfigEntry{Span: ie.Span, Op: IF, Value: ie}
	}
	e := &ConfigEntry{}
	e.Key = p.parseTest()
	switch p.tok.tok {
	case COLON, ASSIGN, ADD_ASSIGN:
		e.Op = p.tok.tok
		p.next()
		if p.tok.tok == RBRACE || p.tok.tok == COMMA || p.atStop() || p.tok.nlBefore {
			p.expectedOneOf("identifier", "literal", "(", "[", "{")
			e.Value = p.bad(p.tok.pos)
		} else {
			e.Value = p.parseTest()
		}
	default:
		if _, isBad := e.Key.(*BadExpr); !isBad {
			p.expectedOneOf(":", "=", "+=")
		}
	}
	e.Span = p.spanFrom(start)
	return e
}

func (p *parser) parseConfigIfEntry() *ConfigIfEntry {
	start := p.tok.pos
	ifCol := p.tok.pos.Col
	ie := &ConfigIfEntry{}
	if p.tok.tok == ELSE {
		p.next()
	} else {
		p.next()
		ie.Cond = p.parseTest()
	}
	p.expect(COLON)
	last := -1
	for p.tok.tok != RBRACE && !p.atStop() {
		if !p.progress(&last) {
			continue
		}
		if p.tok.nlBefore && p.tok.pos.Col <= ifCol {
			break
		}
		if p.tok.tok == ELIF || p.tok.tok == ELSE {
			break
		}
		before := p.tok.pos.Offset
		ie.Entries = append(ie.Entries, p.parseConfigEntry())
		if p.got(COMMA) {
			continue
		}
		if p.tok.tok == RBRACE || p.tok.nlBefore || p.tok.tok == EOF || p.tok.tok == ELIF || p.tok.tok == ELSE {
			continue
		}
		p.expectedOneOf("}")
		p.skipItem(RBRACE)
		if p.tok.pos.Offset == before {
			p.next()
		}
	}
	if (p.tok.tok == ELIF || p.tok.tok == ELSE) && (!p.tok.nlBefore || p.tok.pos.Col == ifCol) {
		ie.Else = p.parseConfigIfEntry()
	}
	ie.Span = p.spanFrom(start)
	return ie
}

// ---------------------------------------------------------------------------
// Types

func (p *parser) parseType() *TypeExpr {
	if !p.enter() {
		return &TypeExpr{Span: Span{p.tok.pos, p.tok.pos}, Kind: AnyType}
	}
	defer p.leave()
	start := p.tok.pos
	t := p.parseTypeAtom()
	if p.tok.tok != OR {
		return t
	}
	u := &TypeExpr{Kind: UnionType, Union: []*TypeExpr{t}}
	for p.got(OR) {
		u.Union = append(u.Union, p.parseTypeAtom())
	}
	u.Span = p.spanFrom(start)
	u.Text = p.sc.str[start.Offset:max(start.Offset, p.prevEnd.Offset)]
	return u
}

func (p *parser) parseTypeAtom() *TypeExpr {
	start := p.tok.pos
	t := &TypeExpr{}
	switch p.tok.tok {
	case ANY:
		t.Kind = AnyType
		t.Name = "any"
		p.next()
	case IDENT, PROTOCOL, RULE, MIXIN, CHECK:
		name := p.parseDottedName()
		t.NameExpr = name
		if id, ok := name.(*Ident); ok {
			t.Name = id.Name
		} else {
			names, _ := DottedName(name)
			t.Name = strings.Join(names, ".")
		}
		switch t.Name {
		case "str", "int", "float", "bool":
			t.Kind = BasicType
		default:
			t.Kind = NamedType
		}
	case STRING, INT, FLOAT, TRUE, FALSE, NONE, UNDEFINED:
		t.Kind = LiteralType
		t.Literal = p.parseOperand()
	case SUB:
		t.Kind = LiteralType
		t.Literal = p.parseUnary()
	case LBRACK:
		t.Kind = ListType
		p.next()
		if p.tok.tok != RBRACK {
			t.Elem = p.parseType()
		}
		if !p.got(RBRACK) {
			p.expectedOneOf("]")
		}
	case LBRACE:
		t.Kind = DictType
		p.next()
		if p.tok.tok != RBRACE {
			if p.tok.tok != COLON {
				t.Key = p.parseType()
			}
			if p.got(COLON) {
				if p.tok.tok != RBRACE {
					t.Value = p.parseType()
				}
			} else {
				p.expectedOneOf(":")
			}
		}
		if !p.got(RBRACE) {
			p.expectedOneOf("}")
		}
	case LPAREN:
		t.Kind = FunctionType
		p.next()
		for p.tok.tok != RPAREN && !p.atStop() {
			before := p.tok.pos.Offset
			t.Params = append(t.Params, p.parseType())
			if !p.got(COMMA) {
				break
			}
			if p.tok.pos.Offset == before {
				p.next()
			}
		}
		if !p.got(RPAREN) {
			p.expectedOneOf(")")
		}
		if p.got(ARROW) {
			t.Ret = p.parseType()
		}
	default:
		p.expectedOneOf("type")
		t.Kind = AnyType
		t.Span = Span{start, start}
		return t
	}
	t.Span = p.spanFrom(start)
	t.Text = p.sc.str[start.Offset:max(start.Offset, p.prevEnd.Offset)]
	return t
}

// spanFrom returns the span from start to the end of the last consumed
// token (never ending before start).
func (p *parser) spanFrom(start Pos) Span {
	if p.prevEnd.Offset < start.Offset {
		return Span{start, start}
	}
	return Span{start, p.prevEnd}
}

// ParseType parses a type annotation such as `{str:[int]} | None`. The
// error, when not nil, wraps the syntax diagnostics as a diag.List.
func ParseType(src string) (t *TypeExpr, err error) {
	b := []byte(src)
	p := newParser("<type>", b, 0, len(b), Pos{Offset: 0, Line: 1, Col: 1}, true)
	defer func() {
		if r := recover(); r != nil {
			t = nil
			err = fmt.Errorf("parse type: internal parser error: %v", r)
		}
	}()
	t = p.parseType()
	if p.tok.tok != EOF {
		p.unexpected()
	}
	if ds := p.diags(); len(ds) > 0 {
		return t, fmt.Errorf("parse type %q: %w", src, diag.List(ds))
	}
	return t, nil
}

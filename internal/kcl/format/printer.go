package format

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// indentUnit is one level of indentation.
const indentUnit = "    "

// printer accumulates formatted output. It walks the tree in source order and
// interleaves the file's comments by offset: a comment is printed before the
// first node that starts after it, at the end of the current line when it
// was written on the line of the last printed token (a trailing comment),
// on a line of its own otherwise.
type printer struct {
	src   []byte
	lines []int // byte offset of the start of each line (lines[0] = 0)
	out   []byte

	indent int // current indentation level

	comments []*syntax.Comment
	ci       int // index of the next comment to print

	// lastLine is the source line of the last token printed (0 when unknown);
	// a comment on that line is a trailing comment.
	lastLine int
	// blockStart is set while nothing has been printed in the current block,
	// to suppress blank lines at the top of a block.
	blockStart bool
	// needNL is set after a trailing comment: the line must end before
	// anything else is written.
	needNL bool
	// itemLimit is the start of the item after the one being printed in a
	// bracketed sequence printed one item per line (-1 elsewhere).
	itemLimit int

	// vert caches the layout decisions of lists and configs (layout.go).
	vert map[syntax.Node]bool
	// elifs caches which else branches are printed as elif (see elif).
	elifs map[*syntax.IfStmt]*syntax.IfStmt

	// depth counts the enclosing brackets of the current expression; only
	// inside brackets may a comment break an expression across lines.
	depth int

	err error
}

func newPrinter(src []byte, comments []*syntax.Comment) *printer {
	p := &printer{src: src, comments: comments, blockStart: true, itemLimit: -1}
	if src != nil {
		p.out = make([]byte, 0, len(src)+len(src)/8)
		p.lines = append(p.lines, 0)
		for i, c := range src {
			if c == '\n' {
				p.lines = append(p.lines, i+1)
			}
		}
	}
	return p
}

// bytes returns the output, ending in exactly one newline (or empty).
func (p *printer) bytes() []byte {
	out := p.out
	for len(out) > 0 && (out[len(out)-1] == '\n' || out[len(out)-1] == ' ') {
		out = out[:len(out)-1]
	}
	if len(out) == 0 {
		return []byte{}
	}
	return append(out, '\n')
}

// printerMark is the state of a printer, to undo a tentative printing.
type printerMark struct {
	out, ci, indent, lastLine, depth int
	blockStart, needNL               bool
	err                              error
}

func (p *printer) mark() printerMark {
	return printerMark{len(p.out), p.ci, p.indent, p.lastLine, p.depth, p.blockStart, p.needNL, p.err}
}

func (p *printer) reset(m printerMark) {
	p.out = p.out[:m.out]
	p.ci, p.indent, p.lastLine, p.depth, p.blockStart, p.needNL, p.err = m.ci, m.indent, m.lastLine, m.depth, m.blockStart, m.needNL, m.err
}

func (p *printer) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf(format, args...)
	}
}

// ---------------------------------------------------------------------------
// Source positions

// lineOf returns the 1-based source line of byte offset off, or 0 when the
// printer has no source or off is invalid.
func (p *printer) lineOf(off int) int {
	if p.src == nil || off < 0 || off > len(p.src) {
		return 0
	}
	return sort.Search(len(p.lines), func(i int) bool { return p.lines[i] > off })
}

// colOf returns the 1-based byte column of offset off (0 when unknown).
func (p *printer) colOf(off int) int {
	l := p.lineOf(off)
	if l == 0 {
		return 0
	}
	return off - p.lines[l-1] + 1
}

func (p *printer) startLine(n syntax.Node) int {
	if !n.Pos().IsValid() {
		return 0
	}
	return p.lineOf(n.Pos().Offset)
}

func (p *printer) endLine(n syntax.Node) int {
	if !n.End().IsValid() {
		return p.startLine(n)
	}
	off := n.End().Offset - 1
	if off < n.Pos().Offset {
		off = n.Pos().Offset
	}
	return p.lineOf(off)
}

// closeOff returns the offset of the closing bracket of a node that ends with
// one (its last byte).
func closeOff(n syntax.Node) int {
	if !n.End().IsValid() {
		return -1
	}
	return n.End().Offset - 1
}

func (p *printer) setLast(n syntax.Node) {
	if l := p.endLine(n); l > p.lastLine {
		p.lastLine = l
	}
}

func (p *printer) setLastOff(off int) {
	if l := p.lineOf(off); l > p.lastLine {
		p.lastLine = l
	}
}

// skipSpace returns the offset of the first byte at or after off that is
// not white space, a line continuation or part of a comment.
func (p *printer) skipSpace(off int) int {
	src := p.src
	for off < len(src) {
		switch c := src[off]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f':
			off++
		case c == '\\' && off+1 < len(src) && (src[off+1] == '\n' || src[off+1] == '\r'):
			off += 2
		case c == '#':
			for off < len(src) && src[off] != '\n' {
				off++
			}
		default:
			return off
		}
	}
	return off
}

// findTok returns the offset of tok when it is the next token at or after
// off, and -1 otherwise.
func (p *printer) findTok(off int, tok string) int {
	if p.src == nil || off < 0 {
		return -1
	}
	off = p.skipSpace(off)
	if bytes.HasPrefix(p.src[off:], []byte(tok)) {
		return off
	}
	return -1
}

// findColon returns the offset of the first ':' at bracket depth 0 at or
// after off, skipping strings and comments, or -1.
func (p *printer) findColon(off int) int {
	if p.src == nil || off < 0 {
		return -1
	}
	src := p.src
	depth := 0
	for off < len(src) {
		c := src[off]
		switch {
		case c == '#':
			for off < len(src) && src[off] != '\n' {
				off++
			}
			continue
		case c == '"' || c == '\'':
			off = skipString(src, off)
			continue
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case c == ':' && depth <= 0:
			return off
		}
		off++
	}
	return -1
}

// scanComments returns the comments of a KCL source, in order: every `#`
// outside a string literal up to the end of its line.
func scanComments(src []byte) []*syntax.Comment {
	var comments []*syntax.Comment
	line, lineStart := 1, 0
	for i := 0; i < len(src); {
		switch c := src[i]; c {
		case '\n':
			line++
			i++
			lineStart = i
		case '"', '\'':
			end := skipString(src, i)
			for j := i; j < end; j++ {
				if src[j] == '\n' {
					line++
					lineStart = j + 1
				}
			}
			i = end
		case '#':
			end := i
			for end < len(src) && src[end] != '\n' {
				end++
			}
			comments = append(comments, &syntax.Comment{
				Span: syntax.Span{
					Start: syntax.Pos{Offset: i, Line: line, Col: i - lineStart + 1},
					Stop:  syntax.Pos{Offset: end, Line: line, Col: end - lineStart + 1},
				},
				Text: string(src[i:end]),
			})
			i = end
		default:
			i++
		}
	}
	return comments
}

// skipString returns the offset after the string literal starting at off.
func skipString(src []byte, off int) int {
	q := src[off]
	if off+2 < len(src) && src[off+1] == q && src[off+2] == q {
		end := bytes.Index(src[off+3:], []byte{q, q, q})
		if end < 0 {
			return len(src)
		}
		return off + 3 + end + 3
	}
	for i := off + 1; i < len(src); i++ {
		switch src[i] {
		case '\\':
			i++
		case q, '\n':
			return i + 1
		}
	}
	return len(src)
}

// ---------------------------------------------------------------------------
// Output

func (p *printer) atLineStart() bool {
	return len(p.out) == 0 || p.out[len(p.out)-1] == '\n'
}

// write appends s, indenting first when at the start of a line.
func (p *printer) write(s string) {
	if s == "" {
		return
	}
	if p.needNL {
		// Only reached for a comment inside an expression: continue the
		// expression on the next line, one level deeper.
		p.needNL = false
		p.out = append(p.out, '\n')
		for i := 0; i <= p.indent; i++ {
			p.out = append(p.out, indentUnit...)
		}
	} else if p.atLineStart() {
		for i := 0; i < p.indent; i++ {
			p.out = append(p.out, indentUnit...)
		}
	}
	p.out = append(p.out, s...)
	p.blockStart = false
}

// newline ends the current line, if anything is on it.
func (p *printer) newline() {
	p.needNL = false
	if !p.atLineStart() {
		p.out = append(p.out, '\n')
	}
}

// blankLine ends the current line and leaves one empty line, except at the
// start of the output or of a block.
func (p *printer) blankLine() {
	p.newline()
	if p.blockStart || len(p.out) == 0 {
		return
	}
	if len(p.out) >= 2 && p.out[len(p.out)-2] == '\n' {
		return
	}
	p.out = append(p.out, '\n')
}

// ---------------------------------------------------------------------------
// Comments

func (p *printer) nextComment() *syntax.Comment {
	if p.ci < len(p.comments) {
		return p.comments[p.ci]
	}
	return nil
}

func (p *printer) hasCommentBefore(limit int) bool {
	c := p.nextComment()
	return c != nil && c.Pos().Offset < limit
}

// commentText returns the text of a comment as it is printed: as written,
// trailing spaces included (the official formatter keeps them), without a
// carriage return.
func commentText(c *syntax.Comment) string {
	return strings.TrimRight(c.Text, "\r\n")
}

// emitComment prints the next comment, trailing the current line when it was
// written on the line of the last printed token, on its own line otherwise.
func (p *printer) emitComment() {
	c := p.comments[p.ci]
	p.ci++
	line := p.lineOf(c.Pos().Offset)
	if !p.atLineStart() && !p.needNL && line == p.lastLine {
		p.out = append(p.out, "  "...)
		p.out = append(p.out, commentText(c)...)
		p.needNL = true
		return
	}
	p.newline()
	if p.lastLine > 0 && line-p.lastLine > 1 {
		p.blankLine()
	}
	p.write(commentText(c))
	p.newline()
	p.lastLine = line
}

// flushComments prints the comments that start before limit.
func (p *printer) flushComments(limit int) {
	for p.hasCommentBefore(limit) {
		p.emitComment()
	}
}

// A comment inside an expression printed on one line is not printed there:
// like the official formatter, we leave it for the next place a comment can
// go (above the next item of the enclosing block, or at the end of it).

// ---------------------------------------------------------------------------
// Blocks

// blockOpts describe a sequence of items printed one per line.
type blockOpts struct {
	limit  int    // offset bounding the block: comments before it may belong to it
	minCol int    // end-of-block comments belong to the block when at or right of this column
	sep    string // written after every item but the last
	// sepLast writes sep after the last item too (a trailing comma).
	sepLast bool
	top     bool // top-level statements
	// stmts marks a block of statements (a file, a compound statement's
	// body, a lambda body): blank lines the source had between two
	// statements are kept by the gap rule (see gapBlank); between the items
	// of other blocks (config entries, list elements, checks) no blank line
	// is printed.
	stmts bool
	// blank reports whether the style requires a blank line between two items.
	blank func(prev, cur syntax.Node) bool
}

// block prints items one per line at the current indentation, each after
// the comments that precede it or trail its first line (the official
// formatter prints a comment written at the end of an item's first line on
// a line of its own above the item), with blank lines as the official
// formatter places them (see gapBlank and extraBlank).
func (p *printer) block(items []syntax.Node, o blockOpts, printItem func(n syntax.Node, next int)) {
	p.blockStart = true
	for i, it := range items {
		next := o.limit
		if i+1 < len(items) {
			next = items[i+1].Pos().Offset
		}
		firstLineEnd := p.lineEndOff(p.startLine(it))
		if i > 0 {
			p.newline()
			if (o.blank != nil && o.blank(items[i-1], it)) || (o.stmts && p.gapBlank(items[i-1], it, firstLineEnd)) {
				p.blankLine()
			}
		}
		if sn, ok := it.(*spanNode); !ok || !sn.isChecks {
			// (Comments before `check:` go in the check block, above its
			// first check, as the official formatter prints them.)
			p.leadingComments(firstLineEnd)
		}
		p.newline()
		printItem(it, next)
		if o.sep != "" && (i < len(items)-1 || o.sepLast) {
			p.write(o.sep)
		}
		p.setLast(it)
		p.newline()
		if p.extraBlank(it) {
			p.out = append(p.out, '\n')
		}
	}
	p.endComments(o.limit, o.minCol, o.top)
	p.newline()
}

// lineEndOff returns the offset of the end of source line l (the start of
// the next line), or -1 without source.
func (p *printer) lineEndOff(l int) int {
	if p.src == nil || l <= 0 {
		return -1
	}
	if l < len(p.lines) {
		return p.lines[l]
	}
	return len(p.src)
}

// leadingComments prints the comments that start before limit, each on a
// line of its own, with a blank line between two of them that the source
// separated by at least one empty line (and none after the last: it sits
// right above the item that follows).
func (p *printer) leadingComments(limit int) {
	prev := 0
	for p.hasCommentBefore(limit) {
		prev = p.ownLineComment(prev)
	}
}

// ownLineComment prints the next comment on a line of its own, after a
// blank line when the source separated it by at least one empty line from
// the comment on line prev (0: none before it), and returns its line.
func (p *printer) ownLineComment(prev int) int {
	c := p.comments[p.ci]
	p.ci++
	line := p.lineOf(c.Pos().Offset)
	p.newline()
	if prev > 0 && line-prev >= 2 {
		p.blankLine()
	}
	p.write(commentText(c))
	p.newline()
	if line > p.lastLine {
		p.lastLine = line
	}
	return line
}

// endComments prints the comments after the last item of a block that
// belong to it: those before limit written at or right of column minCol.
// At the end of a file (top), a comment the source separated from the code
// above by an empty line keeps one blank line above it.
func (p *printer) endComments(limit, minCol int, top bool) {
	prev := 0
	if top {
		prev = p.lastLine
	}
	for {
		c := p.nextComment()
		if c == nil || c.Pos().Offset >= limit || p.colOf(c.Pos().Offset) < minCol {
			return
		}
		if !p.atLineStart() && !p.needNL && p.lineOf(c.Pos().Offset) == p.lastLine {
			p.emitComment() // after an item printed without a line break (a Node)
			continue
		}
		prev = p.ownLineComment(prev)
	}
}

// gapBlank reports whether a blank line separates two statements of a
// block, as the official formatter decides: when the source had at least
// two lines between them, or exactly one empty line (one with a comment
// does not count, nor one before a statement whose first line carries a
// comment). A compound statement (if, schema, rule) never has a blank line
// after it by this rule: the official parser ends it where the next
// statement starts; extraBlank gives the blank lines it has.
func (p *printer) gapBlank(prev, cur syntax.Node, curFirstLineEnd int) bool {
	if _, ok := prev.(syntax.Stmt); !ok {
		return false
	}
	if _, ok := cur.(syntax.Stmt); !ok {
		return false
	}
	switch prev.(type) {
	case *syntax.IfStmt, *syntax.SchemaStmt, *syntax.RuleStmt:
		return false
	}
	pe, cs := p.endLine(prev), p.startLine(cur)
	if pe == 0 || cs == 0 {
		return false
	}
	gap := cs - pe - 1
	if gap >= 2 || gap == 1 && !p.hasCommentBefore(curFirstLineEnd) {
		return true
	}
	// The comments printed above cur (with the blank lines between them)
	// make the gap of the next formatting: when they take two lines or more,
	// the official formatter adds the blank line on its second pass. We add
	// it at once, so that formatting is idempotent (the official formatter's
	// own output is then reached in one step).
	n, last := 0, 0
	for i := p.ci; i < len(p.comments) && p.comments[i].Pos().Offset < curFirstLineEnd; i++ {
		line := p.lineOf(p.comments[i].Pos().Offset)
		n++
		if last > 0 && line-last >= 2 {
			n++
		}
		last = line
	}
	return n >= 2
}

// extraBlank reports whether the official formatter ends a statement with
// an empty line wherever it stands: a schema definition always, an if
// statement whose last branch is not an else.
func (p *printer) extraBlank(n syntax.Node) bool {
	switch n := n.(type) {
	case *syntax.SchemaStmt:
		return true
	case *syntax.IfStmt:
		for {
			if len(n.Else) == 0 {
				return true
			}
			elif := p.elif(n)
			if elif == nil {
				return false
			}
			n = elif
		}
	}
	return false
}

// elif returns the if statement that the else branch of s is printed as an
// elif: an elif, or an else branch holding nothing but an if statement
// (the official formatter writes `else:` + `if c:` as `elif c:`) when no
// comment stands between the else and the if. It returns nil otherwise.
func (p *printer) elif(s *syntax.IfStmt) *syntax.IfStmt {
	if e, ok := p.elifs[s]; ok {
		return e // decided when the statement was printed
	}
	e := p.findElif(s)
	if p.elifs == nil {
		p.elifs = map[*syntax.IfStmt]*syntax.IfStmt{}
	}
	p.elifs[s] = e
	return e
}

func (p *printer) findElif(s *syntax.IfStmt) *syntax.IfStmt {
	if len(s.Else) != 1 {
		return nil
	}
	e, ok := s.Else[0].(*syntax.IfStmt)
	if !ok {
		return nil
	}
	if !e.IsElif && p.src != nil {
		if len(s.Body) == 0 {
			return nil
		}
		kw := p.findTok(s.Body[len(s.Body)-1].End().Offset, "else")
		if kw < 0 || p.pendingCommentIn(kw, e.Pos().Offset) {
			return nil
		}
	}
	return e
}

func isIfItem(n syntax.Node) bool {
	switch n := n.(type) {
	case *syntax.ListIfItem:
		return true
	case *syntax.ConfigEntry:
		return n.Op == syntax.IF
	}
	return false
}

func isImport(n syntax.Node) bool {
	_, ok := n.(*syntax.ImportStmt)
	return ok
}

// forceBlank reports whether the style requires a blank line between two
// top-level statements: after the import block. (Blank lines around
// schema definitions come from extraBlank and gapBlank.)
func forceBlank(prev, cur syntax.Node) bool {
	return isImport(prev) && !isImport(cur)
}

// sortNodes sorts nodes by start offset (stable).
func sortNodes(nodes []syntax.Node) {
	sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].Pos().Offset < nodes[j].Pos().Offset })
}

// vertical reports whether a bracketed sequence with the given opening and
// closing bracket offsets was written one item per line: with a line break
// between the opening bracket and the first item, between two items, or
// between the last item and the closing bracket.
func (p *printer) vertical(open, close int, items []syntax.Node) bool {
	if p.src == nil || open < 0 || close < 0 {
		return false
	}
	prev := p.lineOf(open)
	for _, it := range items {
		if !it.Pos().IsValid() {
			return false
		}
		if p.startLine(it) != prev {
			return true
		}
		prev = p.endLine(it)
	}
	return p.lineOf(close) != prev
}

// collectionVertical reports whether a list or config is printed one item
// per line, as the official formatter decides: when an item starts on
// another line than the opening bracket, or an item is an `if` entry.
// (Where the closing bracket is does not matter.)
func (p *printer) collectionVertical(open int, items []syntax.Node) bool {
	if p.src == nil || open < 0 || len(items) == 0 {
		return false
	}
	line := p.lineOf(open)
	for _, it := range items {
		if !it.Pos().IsValid() {
			return false
		}
		// An if entry is printed as a block: the official formatter breaks
		// the list when it is first; after another item, `[1, if c: 2, 3]`,
		// its block would take in the items after it, so we break the list
		// there too.
		if p.startLine(it) != line || isIfItem(it) {
			return true
		}
	}
	return false
}

// argsVertical reports whether call arguments (or decorator, schema
// arguments) are printed one per line. The official formatter always
// prints them on one line; we keep the source's lines only where a comment
// inside the parentheses needs them.
func (p *printer) argsVertical(open, close int, items []syntax.Node) bool {
	return close >= 0 && p.hasCommentBefore(close) && p.vertical(open, close, items)
}

// commaStyle says how the items of a sequence printed one per line are
// separated.
type commaStyle uint8

const (
	commasNever   commaStyle = iota // newlines only (config entries and list elements, as the official printer)
	commasAlways                    // call arguments: the last one too when the source had it
	commasBetween                   // mixins: between items only
)

// commaAfter reports whether the source has a comma right after n.
func (p *printer) commaAfter(n syntax.Node) bool {
	return n.End().IsValid() && p.findTok(n.End().Offset, ",") >= 0
}

// seq prints a bracketed sequence, one item per line when vert is set, else
// on one line (items separated by ", "). One per line, items are separated
// as commas says; with commasAlways the last item keeps a trailing comma
// when the source had one.
func (p *printer) seq(openTok, closeTok string, open, close int, items []syntax.Node, vert bool, commas commaStyle, printItem func(syntax.Node)) {
	p.write(openTok)
	p.depth++
	if p.src != nil && vert && (len(items) > 0 || p.hasCommentBefore(close)) {
		o := blockOpts{limit: close}
		if n := len(items); n > 0 && commas != commasNever {
			o.sep = ","
			o.sepLast = commas == commasAlways && p.commaAfter(items[n-1])
		}
		p.lastLine = p.lineOf(open)
		p.indent++
		p.block(items, o, func(n syntax.Node, next int) {
			p.itemLimit = next
			printItem(n)
			p.itemLimit = -1
		})
		p.indent--
		p.write(closeTok)
	} else {
		for i, it := range items {
			if i > 0 {
				p.write(", ")
			}
			printItem(it)
		}
		p.write(closeTok)
	}
	p.depth--
	if close >= 0 {
		p.setLastOff(close)
	}
}

// ---------------------------------------------------------------------------
// File and statements

func (p *printer) file(f *syntax.File) error {
	items := make([]syntax.Node, 0, len(f.Stmts))
	for _, s := range f.Stmts {
		items = append(items, s)
	}
	// A module docstring (a triple-quoted string first in the file) is
	// followed by a blank line, as the official formatter prints it.
	var doc syntax.Node
	if len(f.Stmts) > 0 {
		if es, ok := f.Stmts[0].(*syntax.ExprStmt); ok {
			switch x := es.X.(type) {
			case *syntax.StringLit:
				if x.Triple {
					doc = es
				}
			case *syntax.JoinedString:
				if x.Triple {
					doc = es
				}
			}
		}
	}
	blank := func(prev, cur syntax.Node) bool { return prev == doc || forceBlank(prev, cur) }
	p.block(items, blockOpts{limit: len(p.src) + 1, top: true, stmts: true, blank: blank}, func(n syntax.Node, next int) {
		p.stmt(n.(syntax.Stmt), next)
	})
	// Comments are normally all printed; any left over (which only a tree
	// inconsistent with its comments can cause) are kept at the end.
	for p.nextComment() != nil {
		p.emitComment()
	}
	return p.err
}

// node prints any node without comments (for Node).
func (p *printer) node(n syntax.Node) error {
	switch n := n.(type) {
	case syntax.Stmt:
		p.stmt(n, -1)
	case syntax.Expr:
		p.expr(n)
	case *syntax.TypeExpr:
		p.typ(n)
	case *syntax.ConfigEntry:
		p.configEntry(n)
	case *syntax.CheckExpr:
		p.check(n)
	case *syntax.Param:
		p.param(n)
	case *syntax.Keyword:
		p.keyword(n)
	case *syntax.Decorator:
		p.decorator(n)
	case *syntax.CompClause:
		p.compClause(n)
	case *syntax.IndexSignature:
		p.indexSignature(n)
	case *syntax.Comment:
		p.write(commentText(n))
	default:
		p.fail("cannot print %T", n)
	}
	return p.err
}

// stmt prints a statement; limit bounds the comments it may own (the start
// of the next statement).
func (p *printer) stmt(s syntax.Stmt, limit int) {
	switch s := s.(type) {
	case *syntax.ExprStmt:
		p.expr(s.X)
	case *syntax.AssignStmt:
		// `a = b = value`, or `a: T = b = value` (the type follows the first target).
		for i, t := range s.Targets {
			if i > 0 {
				p.write(" = ")
			}
			p.expr(t)
			if i == 0 && s.Type != nil {
				p.write(": ")
				p.typ(s.Type)
			}
		}
		if s.Value != nil {
			p.write(" = ")
			p.expr(s.Value)
		}
	case *syntax.AugAssignStmt:
		p.expr(s.Target)
		p.write(" " + s.Op.String() + " ")
		p.expr(s.Value)
	case *syntax.UnificationStmt:
		p.expr(s.Target)
		p.write(": ")
		if s.Value != nil {
			p.expr(s.Value)
		}
	case *syntax.ImportStmt:
		p.write("import " + s.Rawpath)
		if s.AsName != nil {
			p.write(" as ")
			p.ident(s.AsName)
		}
	case *syntax.IfStmt:
		p.ifStmt(s, limit, "if ")
	case *syntax.AssertStmt:
		p.write("assert ")
		p.expr(s.Test)
		if s.IfCond != nil {
			p.write(" if ")
			p.expr(s.IfCond)
		}
		if s.Msg != nil {
			p.write(", ")
			p.expr(s.Msg)
		}
	case *syntax.TypeAliasStmt:
		p.write("type ")
		p.ident(s.Name)
		p.write(" = ")
		p.typ(s.Type)
	case *syntax.SchemaStmt:
		p.schemaStmt(s, limit)
	case *syntax.SchemaAttr:
		p.schemaAttr(s)
	case *syntax.RuleStmt:
		p.ruleStmt(s, limit)
	case *syntax.BadStmt:
		p.fail("cannot format a broken statement at line %d", s.Pos().Line)
	case nil:
		p.fail("nil statement")
	default:
		p.fail("cannot print statement %T", s)
	}
}

// body prints the statements of a compound statement whose header (ending
// in ':' at offset colon) has just been written, one level deeper.
func (p *printer) body(headerStart, colon int, items []syntax.Node, limit int, printItem func(n syntax.Node, next int)) {
	p.bodyWith(headerStart, colon, items, blockOpts{limit: limit}, printItem)
}

// bodyWith is body with extra block options (blank-line rules).
func (p *printer) bodyWith(headerStart, colon int, items []syntax.Node, o blockOpts, printItem func(n syntax.Node, next int)) {
	p.write(":")
	p.setLastOff(colon)
	p.indent++
	if c := p.colOf(headerStart); c > 0 {
		o.minCol = c + 1
	}
	p.block(items, o, printItem)
	p.indent--
}

func stmtItems(list []syntax.Stmt) []syntax.Node {
	items := make([]syntax.Node, len(list))
	for i, s := range list {
		items[i] = s
	}
	return items
}

func (p *printer) printStmtItem(n syntax.Node, next int) { p.stmt(n.(syntax.Stmt), next) }

func (p *printer) ifStmt(s *syntax.IfStmt, limit int, kw string) {
	p.write(kw)
	p.expr(s.Cond)
	colon := -1
	if s.Cond != nil {
		colon = p.findColon(s.Cond.End().Offset)
	}
	bodyLimit := limit
	var elseOff int = -1
	if len(s.Else) > 0 {
		if len(s.Body) > 0 {
			elseOff = p.findTok(s.Body[len(s.Body)-1].End().Offset, "el")
		}
		if elseOff < 0 {
			elseOff = s.Else[0].Pos().Offset
		}
		bodyLimit = elseOff
	}
	p.bodyWith(s.Pos().Offset, colon, stmtItems(s.Body), blockOpts{limit: bodyLimit, stmts: true}, p.printStmtItem)
	if len(s.Else) == 0 {
		return
	}
	// Comments before the else (or elif) are printed in its body, above its
	// first statement, as the official formatter prints them.
	p.newline()
	if elif := p.elif(s); elif != nil {
		p.ifStmt(elif, limit, "elif ")
		return
	}
	p.write("else")
	p.setLastOff(elseOff)
	p.bodyWith(elseOff, p.findColon(elseOff), stmtItems(s.Else), blockOpts{limit: limit, stmts: true}, p.printStmtItem)
}

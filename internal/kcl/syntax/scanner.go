package syntax

import (
	"fmt"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
)

// tokenInfo is one scanned token.
type tokenInfo struct {
	tok Token
	pos Pos    // first byte
	end Pos    // just after the last byte
	lit string // text of IDENT (without $), INT, FLOAT, STRING tokens
	// dollar is set for $-escaped identifiers.
	dollar bool
	// nlBefore is set when a line break separates this token from the previous one.
	nlBefore bool
}

// errorHandler receives scanner and parser errors.
type errorHandler func(pos Pos, kind diag.Kind, msg string)

// indentLevel is one level of the indentation stack: col counts a tab as
// advancing to the next multiple of 8, alt counts a tab as 1 (Python's rule
// for detecting inconsistent tabs and spaces).
type indentLevel struct {
	col, alt int
}

// scanner is a hand-written scanner over a byte slice. It produces INDENT,
// DEDENT and NEWLINE tokens like Python's tokenizer and suppresses them inside
// brackets.
type scanner struct {
	src       []byte
	end       int // scan limit (exclusive)
	off       int // current read offset
	line      int
	lineStart int // offset of the first byte of the current line

	depth      int    // bracket nesting (len(kinds))
	kinds      []byte // open brackets, innermost last: '(', '[' or '{'
	indents    []indentLevel
	pending    int  // pending DEDENT tokens
	atBOL      bool // at beginning of a logical line (indentation must be measured)
	lastTok    Token
	nlBefore   bool
	noIndent   bool // expression mode: no NEWLINE/INDENT/DEDENT tokens
	comments   []*Comment
	keepComm   bool
	err        errorHandler
	str        string // the source as a string: token texts are substrings of it
	nerr       int    // errors reported (formatting stops after maxErrors)
	pendingPos Pos
	// lineIndent is the indentation column of the current logical line;
	// outerIndent and outerPos describe the line and position of the
	// outermost open bracket (for recovering from unclosed brackets).
	lineIndent  int
	outerIndent int
	outerPos    Pos
	// modes saves the bracket depth and indentation stack of enclosing
	// contexts while a lambda body (block mode) is scanned.
	modes []savedMode
}

type savedMode struct {
	noIndent    bool
	depth       int
	kinds       []byte
	indents     []indentLevel
	outerIndent int
	outerPos    Pos
}

// pushBlock switches to block mode after a lambda's `{` has been scanned:
// inside, NEWLINE/INDENT/DEDENT are produced relative to the indentation of
// the current line, until the matching `}`.
func (s *scanner) pushBlock() {
	d := s.depth - 1 // the `{` was counted as a bracket
	if d < 0 {
		d = 0
	}
	kinds := s.kinds
	if len(kinds) > 0 {
		kinds = kinds[:len(kinds)-1]
	}
	s.modes = append(s.modes, savedMode{noIndent: s.noIndent, depth: d, kinds: kinds, indents: s.indents, outerIndent: s.outerIndent, outerPos: s.outerPos})
	col, alt := 0, 0
	for i := s.lineStart; i < s.end && (s.src[i] == ' ' || s.src[i] == '\t'); i++ {
		if s.src[i] == ' ' {
			col++
		} else {
			col = (col/8 + 1) * 8
		}
		alt++
	}
	s.depth = 0
	s.kinds = nil
	s.noIndent = false
	s.indents = make([]indentLevel, 1, 8)
	s.indents[0] = indentLevel{col, alt}
	s.lineIndent = col
	s.lastTok = LBRACE
}

// closeBlock handles a `}` at depth 0 in block mode: it returns NEWLINE and
// DEDENT tokens as needed, then the RBRACE that ends the block.
func (s *scanner) closeBlock() tokenInfo {
	p := s.pos()
	if s.lastTok != NEWLINE && s.lastTok != DEDENT && s.lastTok != LBRACE && s.lastTok != INDENT {
		return tokenInfo{tok: NEWLINE, pos: p, end: p}
	}
	if len(s.indents) > 1 {
		s.indents = s.indents[:len(s.indents)-1]
		return tokenInfo{tok: DEDENT, pos: p, end: p}
	}
	m := s.modes[len(s.modes)-1]
	s.modes = s.modes[:len(s.modes)-1]
	s.depth = m.depth
	s.kinds = m.kinds
	s.noIndent = m.noIndent
	s.indents = m.indents
	s.outerIndent, s.outerPos = m.outerIndent, m.outerPos
	s.atBOL = false
	s.off++
	return tokenInfo{tok: RBRACE, pos: p, end: s.posAt(s.off)}
}

func newScanner(src []byte, str string, start, end int, startPos Pos, err errorHandler) *scanner {
	s := &scanner{
		src:       src,
		end:       end,
		off:       start,
		line:      startPos.Line,
		lineStart: startPos.Offset - (startPos.Col - 1),
		indents:   make([]indentLevel, 1, 16),
		atBOL:     true,
		lastTok:   NEWLINE,
		err:       err,
		str:       str,
	}
	if start == 0 && len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF {
		s.off = 3 // skip a UTF-8 byte order mark
	}
	return s
}

func (s *scanner) pos() Pos {
	return Pos{Offset: s.off, Line: s.line, Col: s.off - s.lineStart + 1}
}

func (s *scanner) posAt(off int) Pos {
	return Pos{Offset: off, Line: s.line, Col: off - s.lineStart + 1}
}

func (s *scanner) errorf(p Pos, format string, args ...any) {
	s.nerr++
	if s.err != nil && s.nerr <= maxErrors {
		s.err(p, diag.InvalidSyntax, fmt.Sprintf(format, args...))
	}
}

func (s *scanner) newline() {
	// s.off is at '\n'
	s.off++
	s.line++
	s.lineStart = s.off
}

// next returns the next token.
func (s *scanner) next() tokenInfo {
	s.nlBefore = false
	t := s.scan()
	t.nlBefore = s.nlBefore
	s.lastTok = t.tok
	return t
}

func (s *scanner) scan() tokenInfo {
	if s.pending > 0 {
		s.pending--
		return tokenInfo{tok: DEDENT, pos: s.pendingPos, end: s.pendingPos}
	}
	if s.atBOL && !s.noIndent {
		if t, ok := s.lineStartTokens(); ok {
			return t
		}
	}
	// Skip whitespace and comments within a line.
	for s.off < s.end {
		c := s.src[s.off]
		switch {
		case c == ' ' || c == '\t' || c == '\f' || c == '\r':
			s.off++
			continue
		case c == '#':
			s.comment()
			continue
		case c == '\\' && s.off+1 < s.end && (s.src[s.off+1] == '\n' || (s.src[s.off+1] == '\r' && s.off+2 < s.end && s.src[s.off+2] == '\n')):
			// line continuation
			s.off++
			if s.src[s.off] == '\r' {
				s.off++
			}
			s.newline()
			continue
		case c == '\\' && s.off+1 >= s.end:
			s.off++ // a backslash at the end of the input
			continue
		case c == '\n':
			if s.depth > 0 || s.noIndent {
				p := s.pos()
				s.newline()
				s.nlBefore = true
				if s.depth > 0 && !s.noIndent && s.unclosedAtLine() {
					if s.err != nil {
						s.err(s.outerPos, diag.InvalidSyntax, "unclosed bracket: expected a closing bracket before the next statement")
					}
					s.depth = 0
					s.kinds = s.kinds[:0]
					s.atBOL = true
					return tokenInfo{tok: NEWLINE, pos: p, end: Pos{Offset: p.Offset + 1, Line: p.Line, Col: p.Col + 1}}
				}
				continue
			}
			p := s.pos()
			s.newline()
			s.atBOL = true
			if s.lastTok == NEWLINE || s.lastTok == INDENT || s.lastTok == DEDENT {
				// blank logical line: no NEWLINE token
				if t, ok := s.lineStartTokens(); ok {
					return t
				}
				continue
			}
			return tokenInfo{tok: NEWLINE, pos: p, end: Pos{Offset: p.Offset + 1, Line: p.Line, Col: p.Col + 1}}
		}
		break
	}
	if s.off >= s.end {
		p := s.pos()
		if !s.noIndent {
			if s.depth == 0 && s.lastTok != NEWLINE && s.lastTok != INDENT && s.lastTok != DEDENT && s.lastTok != EOF {
				return tokenInfo{tok: NEWLINE, pos: p, end: p}
			}
			if len(s.indents) > 1 {
				s.indents = s.indents[:len(s.indents)-1]
				return tokenInfo{tok: DEDENT, pos: p, end: p}
			}
		}
		return tokenInfo{tok: EOF, pos: p, end: p}
	}
	return s.token()
}

// lineStartTokens measures the indentation at the beginning of a logical
// line, skipping blank and comment-only lines, and returns an INDENT or DEDENT
// token when the level changes.
func (s *scanner) lineStartTokens() (tokenInfo, bool) {
	for {
		col, alt := 0, 0
		i := s.off
		for i < s.end {
			c := s.src[i]
			if c == ' ' {
				col++
				alt++
			} else if c == '\t' {
				col = (col/8 + 1) * 8
				alt++
			} else if c == '\f' {
				col, alt = 0, 0
			} else {
				break
			}
			i++
		}
		if i >= s.end {
			s.off = i
			s.atBOL = false
			return tokenInfo{}, false
		}
		c := s.src[i]
		if c == '#' {
			s.off = i
			s.comment()
			continue
		}
		if c == '\r' && i+1 < s.end && s.src[i+1] == '\n' {
			i++
			c = '\n'
		}
		if c == '\n' {
			s.off = i
			s.newline()
			continue
		}
		if c == '\\' && i+1 < s.end && s.src[i+1] == '\n' {
			// a continuation at the start of a line: treat as blank
			s.off = i + 1
			s.newline()
			continue
		}
		s.off = i
		s.atBOL = false
		if s.depth == 0 {
			s.lineIndent = col
		}
		if s.depth > 0 || (c == '}' && len(s.modes) > 0) {
			return tokenInfo{}, false
		}
		p := s.pos()
		top := s.indents[len(s.indents)-1]
		switch {
		case col == top.col:
			if alt != top.alt {
				s.errorf(p, "inconsistent use of tabs and spaces in indentation")
			}
			return tokenInfo{}, false
		case col > top.col:
			if alt <= top.alt {
				s.errorf(p, "inconsistent use of tabs and spaces in indentation")
			}
			s.indents = append(s.indents, indentLevel{col, alt})
			return tokenInfo{tok: INDENT, pos: Pos{Offset: s.lineStart, Line: p.Line, Col: 1}, end: p}, true
		default:
			n := 0
			for len(s.indents) > 1 && col < s.indents[len(s.indents)-1].col {
				s.indents = s.indents[:len(s.indents)-1]
				n++
			}
			top = s.indents[len(s.indents)-1]
			if col != top.col && n > 0 {
				// Between two levels: stay in the inner block (the
				// popped level's storage is still in place).
				s.indents = s.indents[:len(s.indents)+1]
				n--
			}
			if col != top.col {
				s.errorf(p, "invalid indentation with %d spaces, try to align indents by adding or removing spaces", alt)
			} else if alt != top.alt {
				s.errorf(p, "inconsistent use of tabs and spaces in indentation")
			}
			if n == 0 {
				return tokenInfo{}, false
			}
			dp := Pos{Offset: s.lineStart, Line: p.Line, Col: 1}
			s.pending = n - 1
			s.pendingPos = dp
			return tokenInfo{tok: DEDENT, pos: dp, end: dp}, true
		}
	}
}

func (s *scanner) comment() {
	start := s.off
	p := s.pos()
	for s.off < s.end && s.src[s.off] != '\n' {
		s.off++
	}
	e := s.off
	if e > start && s.src[e-1] == '\r' {
		e--
	}
	if s.keepComm {
		s.comments = append(s.comments, &Comment{
			Span: Span{Start: p, Stop: s.posAt(e)},
			Text: s.str[start:e],
		})
	}
}

// open records an opening bracket of the given kind at p.
func (s *scanner) open(p Pos, kind byte) {
	if s.depth == 0 {
		s.outerIndent = s.lineIndent
		s.outerPos = p
	}
	s.kinds = append(s.kinds, kind)
	s.depth = len(s.kinds)
}

// close records a closing bracket matching the opener kind: it closes the
// innermost such bracket (and any unclosed ones inside it); a closer with no
// matching opener is ignored.
func (s *scanner) close(kind byte) {
	for i := len(s.kinds) - 1; i >= 0; i-- {
		if s.kinds[i] == kind {
			s.kinds = s.kinds[:i]
			s.depth = len(s.kinds)
			return
		}
	}
}

// unclosedAtLine reports whether the line starting at s.off (inside
// brackets) looks like the start of a new statement: it is indented no
// deeper than the line that opened the outermost bracket and starts with a
// name or a decorator. Then the bracket is taken as unclosed.
func (s *scanner) unclosedAtLine() bool {
	col := 0
	i := s.off
	for i < s.end && (s.src[i] == ' ' || s.src[i] == '\t') {
		if s.src[i] == ' ' {
			col++
		} else {
			col = (col/8 + 1) * 8
		}
		i++
	}
	if i >= s.end || col > s.outerIndent {
		return false
	}
	c := s.src[i]
	if !(isLetter(c) || c == '@' || c == '$') {
		return false
	}
	// A keyword that continues an expression (`for`, `if`, `else`, `in`,
	// `and`, `or`, `not`, `is`, `as`) does not start a statement.
	j := i
	for j < s.end && (isLetter(s.src[j]) || isDigit(s.src[j])) {
		j++
	}
	switch s.str[i:j] {
	case "for", "if", "elif", "else", "in", "and", "or", "not", "is", "as":
		return false
	}
	return true
}

func isLetter(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (s *scanner) token() tokenInfo {
	start := s.off
	p := s.pos()
	c := s.src[s.off]
	mk := func(tok Token, n int) tokenInfo {
		s.off += n
		return tokenInfo{tok: tok, pos: p, end: s.posAt(s.off)}
	}
	peek := func(i int) byte {
		if s.off+i < s.end {
			return s.src[s.off+i]
		}
		return 0
	}
	switch {
	case isLetter(c) || c == '$':
		dollar := false
		if c == '$' {
			dollar = true
			s.off++
			if s.off >= s.end || !isLetter(s.src[s.off]) {
				s.errorf(p, "unexpected character '$'")
				return tokenInfo{tok: ILLEGAL, pos: p, end: s.posAt(s.off)}
			}
		}
		// string prefix r/R
		if !dollar && (c == 'r' || c == 'R') && (peek(1) == '"' || peek(1) == '\'') {
			return s.string(start, p)
		}
		idStart := s.off
		for s.off < s.end && (isLetter(s.src[s.off]) || isDigit(s.src[s.off])) {
			s.off++
		}
		name := s.str[idStart:s.off]
		if !dollar {
			if kw := lookupKeyword(name); kw != IDENT {
				return tokenInfo{tok: kw, pos: p, end: s.posAt(s.off), lit: kw.String()}
			}
		}
		return tokenInfo{tok: IDENT, pos: p, end: s.posAt(s.off), lit: s.str[idStart:s.off], dollar: dollar}
	case isDigit(c) || c == '.' && isDigit(peek(1)):
		return s.number(start, p)
	case c == '"' || c == '\'':
		return s.string(start, p)
	}
	switch c {
	case '(':
		s.open(p, '(')
		return mk(LPAREN, 1)
	case ')':
		s.close('(')
		return mk(RPAREN, 1)
	case '[':
		s.open(p, '[')
		return mk(LBRACK, 1)
	case ']':
		s.close('[')
		return mk(RBRACK, 1)
	case '{':
		s.open(p, '{')
		return mk(LBRACE, 1)
	case '}':
		if s.depth == 0 && len(s.modes) > 0 {
			return s.closeBlock()
		}
		s.close('{')
		return mk(RBRACE, 1)
	case ',':
		return mk(COMMA, 1)
	case ':':
		return mk(COLON, 1)
	case ';':
		return mk(SEMICOLON, 1)
	case '@':
		return mk(AT, 1)
	case '~':
		return mk(INV, 1)
	case '.':
		if peek(1) == '.' && peek(2) == '.' {
			return mk(ELLIPSIS, 3)
		}
		return mk(DOT, 1)
	case '?':
		if peek(1) == '.' {
			return mk(QDOT, 2)
		}
		if peek(1) == '[' {
			s.open(p, '[')
			return mk(QLBRACK, 2)
		}
		return mk(QUESTION, 1)
	case '+':
		if peek(1) == '=' {
			return mk(ADD_ASSIGN, 2)
		}
		return mk(ADD, 1)
	case '-':
		if peek(1) == '=' {
			return mk(SUB_ASSIGN, 2)
		}
		if peek(1) == '>' {
			return mk(ARROW, 2)
		}
		return mk(SUB, 1)
	case '*':
		if peek(1) == '*' {
			if peek(2) == '=' {
				return mk(POW_ASSIGN, 3)
			}
			return mk(POW, 2)
		}
		if peek(1) == '=' {
			return mk(MUL_ASSIGN, 2)
		}
		return mk(MUL, 1)
	case '/':
		if peek(1) == '/' {
			if peek(2) == '=' {
				return mk(FLOORDIV_ASSIGN, 3)
			}
			return mk(FLOORDIV, 2)
		}
		if peek(1) == '=' {
			return mk(DIV_ASSIGN, 2)
		}
		return mk(DIV, 1)
	case '%':
		if peek(1) == '=' {
			return mk(MOD_ASSIGN, 2)
		}
		return mk(MOD, 1)
	case '<':
		if peek(1) == '<' {
			if peek(2) == '=' {
				return mk(SHL_ASSIGN, 3)
			}
			return mk(SHL, 2)
		}
		if peek(1) == '=' {
			return mk(LE, 2)
		}
		return mk(LT, 1)
	case '>':
		if peek(1) == '>' {
			if peek(2) == '=' {
				return mk(SHR_ASSIGN, 3)
			}
			return mk(SHR, 2)
		}
		if peek(1) == '=' {
			return mk(GE, 2)
		}
		return mk(GT, 1)
	case '=':
		if peek(1) == '=' {
			return mk(EQ, 2)
		}
		return mk(ASSIGN, 1)
	case '!':
		if peek(1) == '=' {
			return mk(NE, 2)
		}
	case '&':
		if peek(1) == '=' {
			return mk(AND_ASSIGN, 2)
		}
		return mk(AND, 1)
	case '|':
		if peek(1) == '=' {
			return mk(OR_ASSIGN, 2)
		}
		return mk(OR, 1)
	case '^':
		if peek(1) == '=' {
			return mk(XOR_ASSIGN, 2)
		}
		return mk(XOR, 1)
	}
	// Illegal character: consume one UTF-8 sequence.
	n := 1
	if c >= 0x80 {
		for n < 4 && s.off+n < s.end && s.src[s.off+n]&0xC0 == 0x80 {
			n++
		}
	}
	s.off += n
	s.errorf(p, "unexpected character %q", string(s.src[start:s.off]))
	return tokenInfo{tok: ILLEGAL, pos: p, end: s.posAt(s.off), lit: s.str[start:s.off]}
}

func lookupKeyword(b string) Token {
	if len(b) < 2 || len(b) > 9 || b[0] < 'a' && b[0] != 'F' && b[0] != 'N' && b[0] != 'T' && b[0] != 'U' {
		return IDENT
	}
	if t, ok := keywords[b]; ok {
		return t
	}
	return IDENT
}

// number scans an int or float literal, including a unit suffix; the parser
// validates and converts it.
func (s *scanner) number(start int, p Pos) tokenInfo {
	tok := INT
	c := s.src[s.off]
	if c == '0' && s.off+1 < s.end && (s.src[s.off+1]|0x20 == 'x' || s.src[s.off+1]|0x20 == 'o' || s.src[s.off+1]|0x20 == 'b') {
		s.off += 2
		for s.off < s.end && (isDigit(s.src[s.off]) || isLetter(s.src[s.off])) {
			s.off++
		}
		return tokenInfo{tok: INT, pos: p, end: s.posAt(s.off), lit: s.str[start:s.off]}
	}
	for s.off < s.end && (isDigit(s.src[s.off]) || s.src[s.off] == '_') {
		s.off++
	}
	if s.off < s.end && s.src[s.off] == '.' && !(s.off+1 < s.end && s.src[s.off+1] == '.') {
		tok = FLOAT
		s.off++
		for s.off < s.end && (isDigit(s.src[s.off]) || s.src[s.off] == '_') {
			s.off++
		}
	}
	if s.off < s.end && (s.src[s.off]|0x20) == 'e' {
		i := s.off + 1
		if i < s.end && (s.src[i] == '+' || s.src[i] == '-') {
			i++
		}
		if i < s.end && isDigit(s.src[i]) {
			tok = FLOAT
			s.off = i
			for s.off < s.end && isDigit(s.src[s.off]) {
				s.off++
			}
		}
	}
	// suffix (validated by the parser)
	for s.off < s.end && (isLetter(s.src[s.off]) || isDigit(s.src[s.off])) {
		s.off++
	}
	return tokenInfo{tok: tok, pos: p, end: s.posAt(s.off), lit: s.str[start:s.off]}
}

// string scans a string literal (with optional r prefix), single or triple
// quoted. The literal text, including prefix and quotes, is the token's lit.
func (s *scanner) string(start int, p Pos) tokenInfo {
	raw := false
	if s.src[s.off] == 'r' || s.src[s.off] == 'R' {
		raw = true
		s.off++
	}
	q := s.src[s.off]
	triple := s.off+2 < s.end && s.src[s.off+1] == q && s.src[s.off+2] == q
	if triple {
		s.off += 3
	} else {
		s.off++
	}
	for {
		if s.off >= s.end {
			s.errorf(p, "unterminated string literal")
			break
		}
		c := s.src[s.off]
		if c == '\\' && !raw || c == '\\' && raw && s.off+1 < s.end && (s.src[s.off+1] == q || s.src[s.off+1] == '\\') {
			s.off++
			if s.off < s.end {
				if s.src[s.off] == '\n' {
					s.newline()
				} else {
					s.off++
				}
			}
			continue
		}
		if c == '\n' {
			if !triple {
				s.errorf(p, "unterminated string literal")
				break
			}
			s.newline()
			continue
		}
		if c == q {
			if !triple {
				s.off++
				break
			}
			if s.off+2 < s.end && s.src[s.off+1] == q && s.src[s.off+2] == q {
				s.off += 3
				break
			}
		}
		s.off++
	}
	return tokenInfo{tok: STRING, pos: p, end: s.posAt(s.off), lit: s.str[start:s.off]}
}

package syntax

import (
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"strconv"
	"strings"
	"unicode/utf8"
)

// validSuffixes are the number-multiplier suffixes of integer literals.
var validSuffixes = map[string]bool{
	"n": true, "u": true, "m": true, "k": true, "K": true, "M": true, "G": true, "T": true, "P": true,
	"Ki": true, "Mi": true, "Gi": true, "Ti": true, "Pi": true,
}

func (p *parser) parseNumber() Expr {
	t := p.tok
	p.next()
	n := &NumberLit{Span: Span{t.pos, t.end}, Raw: t.lit}
	lit := t.lit
	if t.tok == FLOAT {
		n.Kind = FloatNumber
		i := 0
		for i < len(lit) && (isDigit(lit[i]) || lit[i] == '.' || lit[i] == '_' || lit[i] == 'e' || lit[i] == 'E' ||
			(i > 0 && (lit[i] == '+' || lit[i] == '-') && (lit[i-1] == 'e' || lit[i-1] == 'E'))) {
			i++
		}
		if i < len(lit) {
			p.errorAt(t.pos, "invalid float literal")
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(lit[:i], "_", ""), 64)
		if err != nil && !isRangeErr(err) {
			p.errorAt(t.pos, "invalid float literal")
		}
		n.Float = f
		return n
	}
	n.Kind = IntNumber
	base := 10
	digits := lit
	if len(lit) > 1 && lit[0] == '0' {
		switch lit[1] | 0x20 {
		case 'x':
			base, digits = 16, lit[2:]
		case 'o':
			base, digits = 8, lit[2:]
		case 'b':
			base, digits = 2, lit[2:]
		}
	}
	if base == 10 {
		i := 0
		for i < len(lit) && (isDigit(lit[i]) || lit[i] == '_') {
			i++
		}
		digits = lit[:i]
		if i < len(lit) {
			n.Suffix = lit[i:]
			if !validSuffixes[n.Suffix] {
				p.errorAt(t.pos, "invalid int binary suffix")
			}
		}
		if len(digits) > 1 && digits[0] == '0' && strings.Trim(digits, "0_") != "" {
			base = 8
		}
	}
	clean := strings.ReplaceAll(digits, "_", "")
	v, err := strconv.ParseInt(clean, base, 64)
	if err != nil {
		if isRangeErr(err) {
			n.IntOverflow = true
		} else {
			p.errorAt(t.pos, "invalid int literal")
		}
	}
	n.Int = v
	return n
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// posAfter returns the position of byte offset off, which must be at or
// after base (walking the source to count lines).
func (p *parser) posAfter(base Pos, off int) Pos {
	pos := base
	if c := p.posCache; c.IsValid() && c.Offset >= base.Offset && c.Offset <= off {
		pos = c
	}
	defer func() { p.posCache = pos }()
	for i := pos.Offset; i < off && i < len(p.src); i++ {
		if p.src[i] == '\n' {
			pos.Line++
			pos.Col = 1
		} else {
			pos.Col++
		}
	}
	pos.Offset = off
	return pos
}

// parseString converts a STRING token into a *StringLit or, when it has
// `${…}` interpolation, a *JoinedString.
func (p *parser) parseString() Expr {
	t := p.tok
	p.next()
	lit := t.lit
	i := 0
	raw := false
	if lit[0] == 'r' || lit[0] == 'R' {
		raw = true
		i = 1
	}
	q := lit[i]
	triple := len(lit) >= i+3 && lit[i+1] == q && lit[i+2] == q
	open := i + 1
	if triple {
		open = i + 3
	}
	closeLen := 1
	if triple {
		closeLen = 3
	}
	end := len(lit)
	if len(lit) >= open+closeLen && strings.HasSuffix(lit, strings.Repeat(string(q), closeLen)) &&
		!(closeLen == 1 && len(lit)-1 > open && lit[len(lit)-2] == '\\' && !raw && oddBackslashes(lit[:len(lit)-1])) {
		end = len(lit) - closeLen
	}
	if end < open {
		end = open
	}
	content := lit[open:end]
	contentOff := t.pos.Offset + open
	var offs []int // source offset of each content byte after dedent (nil: identity)
	if triple {
		needOffs := !raw && strings.Contains(content, "${")
		content, offs = dedent(content, contentOff, needOffs)
	}
	span := Span{t.pos, t.end}
	if raw || !strings.Contains(content, "${") {
		val := content
		if !raw {
			val = unescape(content)
		}
		return &StringLit{Span: span, Raw: lit, Value: val, IsRaw: raw, Triple: triple, Quote: q}
	}
	// interpolation
	srcOff := func(k int) int {
		if offs == nil {
			return contentOff + k
		}
		if k < len(offs) {
			return offs[k]
		}
		return contentOff + len(lit[open:end])
	}
	js := &JoinedString{Span: span, Raw: lit, Triple: triple, Quote: q}
	var sb strings.Builder
	segStart := 0
	flush := func(k int) {
		if sb.Len() > 0 {
			a := p.posAfter(t.pos, srcOff(segStart))
			b := p.posAfter(t.pos, srcOff(k))
			js.Parts = append(js.Parts, &StringLit{Span: Span{a, b}, Value: sb.String(), Quote: q})
			sb.Reset()
		}
	}
	k := 0
	for k < len(content) {
		c := content[k]
		if c == '\\' && k+1 < len(content) {
			if content[k+1] == '$' && k+2 < len(content) && content[k+2] == '{' {
				sb.WriteString("${")
				k += 3
				continue
			}
			n := escapeLen(content[k:])
			sb.WriteString(unescape(content[k : k+n]))
			k += n
			continue
		}
		if c == '$' && k+1 < len(content) && content[k+1] == '{' {
			flush(k)
			j := strings.IndexByte(content[k+2:], '}')
			exprStart := k + 2
			var exprEnd, next int
			if j < 0 {
				exprEnd = len(content)
				next = len(content)
			} else {
				exprEnd = exprStart + j
				next = exprEnd + 1
			}
			fv := p.parseInterpolation(t.pos, content[exprStart:exprEnd], srcOff(exprStart), srcOff(k), srcOff(next-1)+1)
			if j < 0 {
				p.errorAt(p.posAfter(t.pos, srcOff(exprStart)), "invalid string interpolation expression: missing '}'")
			}
			js.Parts = append(js.Parts, fv)
			k = next
			segStart = k
			continue
		}
		sb.WriteByte(c)
		k++
	}
	flush(len(content))
	return js
}

func oddBackslashes(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// parseInterpolation parses the expression text of `${text}` found at source
// offset exprOff.
func (p *parser) parseInterpolation(base Pos, text string, exprOff, startOff, endOff int) *FormattedValue {
	startPos := p.posAfter(base, startOff)
	exprPos := p.posAfter(base, exprOff)
	fv := &FormattedValue{Span: Span{startPos, p.posAfter(base, endOff)}}
	if strings.TrimSpace(text) == "" || exprOff+len(text) > len(p.src) {
		p.errorAt(exprPos, "invalid string interpolation expression: '"+text+"'")
		fv.X = p.bad(exprPos)
		return fv
	}
	sub := &parser{filename: p.filename, src: p.src, errs: p.errs, nest: p.nest}
	sub.sc = newScanner(p.src, p.sc.str, exprOff, exprOff+len(text), exprPos, func(pos Pos, kind diag.Kind, msg string) {
		sub.addErr(pos, kind, msg)
	})
	sub.sc.noIndent = true
	sub.next()
	if sub.tok.tok == EOF {
		p.errorAt(exprPos, "invalid string interpolation expression: '"+text+"'")
		fv.X = p.bad(exprPos)
		return fv
	}
	fv.X = sub.parseTest()
	switch sub.tok.tok {
	case EOF:
	case COLON:
		fv.Spec = strings.TrimSpace(p.sc.str[sub.tok.end.Offset : exprOff+len(text)])
	default:
		p.errorAt(exprPos, "invalid string interpolation expression: '"+text+"'")
	}
	return fv
}

// dedent removes the common indentation of a triple-quoted string's content
// the way KCL does: an empty first line is dropped, and the minimum
// indentation of the non-blank lines (and of a whitespace-only last line) is
// removed from every line. It returns the new content and, when it changed,
// the source offset of each remaining byte.
func dedent(content string, off int, needOffs bool) (string, []int) {
	start := 0
	if strings.HasPrefix(content, "\n") {
		start = 1
	} else if strings.HasPrefix(content, "\r\n") {
		start = 2
	}
	body := content[start:]
	if start == 0 && strings.IndexByte(body, '\n') < 0 {
		return content, nil
	}
	// The minimum indentation of the non-blank lines; a whitespace-only
	// last line (the closing quotes' indentation) counts too.
	minInd := -1
	for i := 0; ; {
		j := strings.IndexByte(body[i:], '\n')
		last := j < 0
		if last {
			j = len(body)
		} else {
			j += i
		}
		ln := body[i:j]
		ind := 0
		for ind < len(ln) && (ln[ind] == ' ' || ln[ind] == '\t') {
			ind++
		}
		blank := strings.TrimSpace(ln) == ""
		if !blank || (last && ln != "") {
			if minInd < 0 || ind < minInd {
				minInd = ind
			}
		}
		if last || minInd == 0 {
			break
		}
		i = j + 1
	}
	if minInd <= 0 {
		if start == 0 {
			return content, nil
		}
		minInd = 0
	}
	var sb strings.Builder
	sb.Grow(len(body))
	var offs []int
	if needOffs {
		offs = make([]int, 0, len(body))
	}
	pos := off + start
	for i := 0; ; {
		j := strings.IndexByte(body[i:], '\n')
		last := j < 0
		if last {
			j = len(body)
		} else {
			j += i
		}
		ln := body[i:j]
		cut := 0
		for cut < minInd && cut < len(ln) && (ln[cut] == ' ' || ln[cut] == '\t') {
			cut++
		}
		sb.WriteString(ln[cut:])
		if needOffs {
			for k := cut; k < len(ln); k++ {
				offs = append(offs, pos+k)
			}
		}
		pos += len(ln)
		if last {
			break
		}
		sb.WriteByte('\n')
		if needOffs {
			offs = append(offs, pos)
		}
		pos++
		i = j + 1
	}
	return sb.String(), offs
}

// escapeLen returns the length of the escape sequence at the start of s
// (s[0] == '\\').
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch s[1] {
	case 'x':
		return min(len(s), 4)
	case 'u':
		return min(len(s), 6)
	case 'U':
		return min(len(s), 10)
	case '\r':
		if len(s) > 2 && s[2] == '\n' {
			return 3
		}
	case '0', '1', '2', '3', '4', '5', '6', '7':
		n := 2
		for n < 4 && n < len(s) && s[n] >= '0' && s[n] <= '7' {
			n++
		}
		return n
	}
	// a multi-byte character after the backslash
	_, sz := utf8.DecodeRuneInString(s[1:])
	return 1 + sz
}

// unescape processes Python-style backslash escapes.
func unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			sb.WriteByte(c)
			i++
			continue
		}
		e := s[i+1]
		switch e {
		case '\n':
			i += 2
		case '\r':
			i += 2
			if i < len(s) && s[i] == '\n' {
				i++
			}
		case '\\', '\'', '"':
			sb.WriteByte(e)
			i += 2
		case 'n':
			sb.WriteByte('\n')
			i += 2
		case 't':
			sb.WriteByte('\t')
			i += 2
		case 'r':
			sb.WriteByte('\r')
			i += 2
		case 'a':
			sb.WriteByte('\a')
			i += 2
		case 'b':
			sb.WriteByte('\b')
			i += 2
		case 'f':
			sb.WriteByte('\f')
			i += 2
		case 'v':
			sb.WriteByte('\v')
			i += 2
		case 'x', 'u', 'U':
			n := 2
			switch e {
			case 'u':
				n = 4
			case 'U':
				n = 8
			}
			if i+2+n <= len(s) {
				if v, err := strconv.ParseUint(s[i+2:i+2+n], 16, 32); err == nil {
					sb.WriteRune(rune(v))
					i += 2 + n
					continue
				}
			}
			sb.WriteByte('\\')
			i++
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i + 1
			for j < i+4 && j < len(s) && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(s[i+1:j], 8, 32)
			sb.WriteRune(rune(v))
			i = j
		default:
			sb.WriteByte('\\')
			i++
		}
	}
	return sb.String()
}

package value

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// YAMLOptions are the options of the YAML printer, as yaml.encode and
// manifests.yaml_stream take them. The zero value prints everything planned
// (private keys included, None as null, insertion order).
type YAMLOptions struct {
	SortKeys      bool
	IgnorePrivate bool
	IgnoreNone    bool
	// DropEmptyLists: see PlanOptions.
	DropEmptyLists bool
	// Budget, when set, is charged for the planned value (see PlanOptions)
	// and the bytes written; once it refuses, encoding stops and the
	// output is incomplete: callers must check Budget.Err().
	Budget *Budget
}

// EncodeYAML prints v as one YAML document the way the official KCL printer
// does (serde_yaml on libyaml): 2-space indent, block sequences not indented
// under a mapping key, ryu float forms, single quotes for strings that would
// read as another type, literal blocks for multi-line strings, {} and [] for
// empty collections, unlimited line width. v is planned first (see Plan)
// with the options; a value that plans to nothing prints as null. The
// output ends with a newline.
func EncodeYAML(v Value, opts YAMLOptions) []byte {
	p := Plan(v, PlanOptions{DisableNone: opts.IgnoreNone, SortKeys: opts.SortKeys, ShowHidden: !opts.IgnorePrivate, DropEmptyLists: opts.DropEmptyLists, Budget: opts.Budget})
	if opts.Budget.Err() != nil {
		return nil
	}
	e := &yamlEmitter{budget: opts.Budget}
	e.node(p, -1, yamlRoot)
	if !e.atLineStart() {
		e.buf = append(e.buf, '\n')
	}
	return e.buf
}

// EncodeYAMLStream prints each value as a document and joins the documents
// with "\n<sep>\n" after trimming each document's trailing newlines, the way
// manifests.yaml_stream and yaml.encode_all do. sep defaults to "---". The
// result ends with one newline unless it is empty.
func EncodeYAMLStream(values []Value, opts YAMLOptions, sep string) []byte {
	if sep == "" {
		sep = "---"
	}
	var out []byte
	for i, v := range values {
		doc := bytes.TrimRight(EncodeYAML(v, opts), "\n")
		if !opts.Budget.Charge(int64(len(doc) + len(sep) + 2)) {
			return nil
		}
		if i > 0 {
			out = append(out, '\n')
			out = append(out, sep...)
			out = append(out, '\n')
		}
		out = append(out, doc...)
	}
	if len(values) == 0 {
		return nil
	}
	return append(out, '\n')
}

type yamlContext uint8

const (
	yamlRoot     yamlContext = iota // nothing written on the line yet
	yamlMapValue                    // after "key:"
	yamlItem                        // after "- " (or "? ", ": " of a complex key)
)

type yamlEmitter struct {
	buf        []byte
	budget     *Budget
	capCharged int // the capacity of buf last charged
}

// spend charges n bytes about to be written and, when the buffer has grown
// since the last charge, its new capacity (each growth allocates a new
// buffer: the charges add up to what was allocated); false when the
// budget refuses.
func (e *yamlEmitter) spend(n int) bool {
	if e.budget == nil {
		return true
	}
	c := int64(n)
	if cap(e.buf) != e.capCharged {
		c += int64(cap(e.buf))
		e.capCharged = cap(e.buf)
	}
	return e.budget.Charge(c)
}

func (e *yamlEmitter) atLineStart() bool {
	return len(e.buf) == 0 || e.buf[len(e.buf)-1] == '\n'
}

// newline moves to a fresh line indented by indent, as libyaml's
// write_indent does.
func (e *yamlEmitter) newline(indent int) {
	if !e.atLineStart() {
		e.buf = append(e.buf, '\n')
	}
	for range indent {
		e.buf = append(e.buf, ' ')
	}
}

// node writes v; indent is the indentation of the enclosing collection (-1
// at the root).
func (e *yamlEmitter) node(v Value, indent int, ctx yamlContext) {
	n := 0
	if s, ok := v.(Str); ok {
		n = len(s)
	}
	if !e.spend(n) {
		return
	}
	switch x := v.(type) {
	case *Dict:
		if x.Len() == 0 {
			e.inline(ctx, "{}")
			return
		}
		e.mapping(x, indent, ctx)
	case *List:
		if len(x.Items) == 0 {
			e.inline(ctx, "[]")
			return
		}
		e.sequence(x, indent, ctx)
	default:
		e.scalar(v, indent, ctx)
	}
}

func (e *yamlEmitter) inline(ctx yamlContext, text string) {
	if ctx == yamlMapValue {
		e.buf = append(e.buf, ' ')
	}
	e.buf = append(e.buf, text...)
}

func (e *yamlEmitter) mapping(d *Dict, indent int, ctx yamlContext) {
	var in int
	switch ctx {
	case yamlRoot:
		in = 0
	default:
		in = indent + 2
	}
	for i, ent := range d.Entries() {
		if i > 0 || ctx == yamlMapValue {
			e.newline(in)
		}
		style, text := yamlScalarStyle(ent.Key, true)
		if style == yamlComplex {
			e.buf = append(e.buf, "? "...)
			e.scalar(Str(ent.Key), in, yamlItem)
			e.newline(in)
			e.buf = append(e.buf, ": "...)
			e.node(ent.Value, in, yamlItem)
			continue
		}
		e.buf = append(e.buf, text...)
		e.buf = append(e.buf, ':')
		e.node(ent.Value, in, yamlMapValue)
	}
}

func (e *yamlEmitter) sequence(l *List, indent int, ctx yamlContext) {
	var in int
	switch ctx {
	case yamlRoot:
		in = 0
	case yamlMapValue:
		in = indent // block sequences are not indented under a key
	default:
		in = indent + 2
	}
	for i, it := range l.Items {
		if i > 0 || ctx == yamlMapValue {
			e.newline(in)
		}
		e.buf = append(e.buf, "- "...)
		e.node(it, in, yamlItem)
	}
}

func (e *yamlEmitter) scalar(v Value, indent int, ctx yamlContext) {
	var text string
	style := yamlPlain
	switch x := v.(type) {
	case nil, UndefinedType, NoneType:
		text = "null"
	case Bool:
		text = "false"
		if x {
			text = "true"
		}
	case Int:
		text = strconv.FormatInt(int64(x), 10)
	case Float:
		text = FormatFloatRyu(float64(x))
	case Unit:
		text = FormatFloatRyu(x.Float)
	case Str:
		style, text = yamlScalarStyle(string(x), false)
	default:
		text = "null"
	}
	if style == yamlLiteral {
		if ctx == yamlMapValue {
			e.buf = append(e.buf, ' ')
		}
		e.literal(text, indent)
		return
	}
	e.inline(ctx, text)
}

// literal writes s as a literal block scalar whose content is indented two
// columns more than indent.
func (e *yamlEmitter) literal(s string, indent int) {
	in := indent + 2
	if indent < 0 {
		in = 2
	}
	e.buf = append(e.buf, '|')
	first, _ := utf8.DecodeRuneInString(s)
	if first == ' ' || yamlIsBreak(first) {
		e.buf = append(e.buf, '2')
	}
	last, n := utf8.DecodeLastRuneInString(s)
	switch {
	case s == "" || !yamlIsBreak(last):
		e.buf = append(e.buf, '-')
	case len(s) == n:
		e.buf = append(e.buf, '+')
	default:
		prev, _ := utf8.DecodeLastRuneInString(s[:len(s)-n])
		if yamlIsBreak(prev) {
			e.buf = append(e.buf, '+')
		}
	}
	e.buf = append(e.buf, '\n')
	breaks := true
	for _, r := range s {
		if yamlIsBreak(r) {
			if r == '\n' {
				e.buf = append(e.buf, '\n')
			} else {
				e.buf = utf8.AppendRune(e.buf, r)
			}
			breaks = true
			continue
		}
		if breaks {
			for range in {
				e.buf = append(e.buf, ' ')
			}
			breaks = false
		}
		e.buf = utf8.AppendRune(e.buf, r)
	}
}

type yamlStyle uint8

const (
	yamlPlain yamlStyle = iota
	yamlSingle
	yamlDouble
	yamlLiteral
	yamlComplex // a mapping key that must be written as "? key"
)

// yamlScalarStyle chooses the style of a string scalar the way serde_yaml
// (which style to request) and libyaml (which styles the text allows)
// together do, and returns the text to write for the inline styles (for
// yamlLiteral and yamlComplex the raw string).
func yamlScalarStyle(s string, key bool) (yamlStyle, string) {
	if yamlSimple(s) {
		// No indicator, space, quote or special character: plain unless it
		// would read back as another type.
		if yamlReadsAsNonString(s) {
			return yamlSingle, "'" + s + "'"
		}
		return yamlPlain, s
	}
	a := yamlAnalyze(s)
	if key && (a.multiline || len(s) > 128) {
		return yamlComplex, s
	}
	want := yamlPlain
	switch {
	case strings.Contains(s, "\n"):
		want = yamlLiteral
	case yamlReadsAsNonString(s):
		want = yamlSingle
	}
	style := want
	if key && a.multiline {
		style = yamlDouble
	}
	if style == yamlPlain && !a.blockPlainAllowed {
		style = yamlSingle
	}
	if style == yamlPlain && s == "" && key {
		style = yamlSingle
	}
	if style == yamlSingle && !a.singleQuotedAllowed {
		style = yamlDouble
	}
	if style == yamlLiteral && (!a.blockAllowed || key) {
		style = yamlDouble
	}
	switch style {
	case yamlSingle:
		return style, "'" + strings.ReplaceAll(s, "'", "''") + "'"
	case yamlDouble:
		return style, yamlDoubleQuote(s)
	}
	return style, s
}

// yamlSimple reports whether s is non-empty, at most 128 bytes, made of
// ASCII letters, digits and "_./-", and starts with a letter, a digit or
// '_': such a string is plain-safe for libyaml in every context.
func yamlSimple(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		case (c == '.' || c == '/' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

type yamlAnalysis struct {
	multiline           bool
	blockPlainAllowed   bool
	singleQuotedAllowed bool
	blockAllowed        bool
}

func yamlIsBreak(r rune) bool {
	return r == '\n' || r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029
}

func yamlIsBlankZ(r rune) bool {
	return r == ' ' || r == '\t' || r == 0 || yamlIsBreak(r)
}

func yamlIsPrintable(r rune) bool {
	switch {
	case r == 0x0A, r >= 0x20 && r <= 0x7E:
		return true
	case r >= 0xA0 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD && r != 0xFEFF:
		return true
	}
	return false
}

// yamlAnalyze follows libyaml's scalar analysis (block context only).
func yamlAnalyze(s string) yamlAnalysis {
	if s == "" {
		return yamlAnalysis{blockPlainAllowed: true, singleQuotedAllowed: true}
	}
	runes := []rune(s)
	var blockIndicators, specialCharacters, lineBreaks bool
	var leadingSpace, leadingBreak, trailingSpace, trailingBreak bool
	var breakSpace, spaceBreak, previousSpace, previousBreak bool
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		blockIndicators = true
	}
	precededByWhitespace := true
	at := func(i int) rune {
		if i >= len(runes) {
			return 0
		}
		return runes[i]
	}
	followedByWhitespace := yamlIsBlankZ(at(1))
	for i, r := range runes {
		first := i == 0
		last := i == len(runes)-1
		if first {
			switch r {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				blockIndicators = true
			case '?', ':':
				if followedByWhitespace {
					blockIndicators = true
				}
			case '-':
				if followedByWhitespace {
					blockIndicators = true
				}
			}
		} else {
			switch r {
			case ':':
				if followedByWhitespace {
					blockIndicators = true
				}
			case '#':
				if precededByWhitespace {
					blockIndicators = true
				}
			}
		}
		if !yamlIsPrintable(r) {
			specialCharacters = true
		}
		if yamlIsBreak(r) {
			lineBreaks = true
		}
		switch {
		case r == ' ':
			if first {
				leadingSpace = true
			}
			if last {
				trailingSpace = true
			}
			if previousBreak {
				breakSpace = true
			}
			previousSpace, previousBreak = true, false
		case yamlIsBreak(r):
			if first {
				leadingBreak = true
			}
			if last {
				trailingBreak = true
			}
			if previousSpace {
				spaceBreak = true
			}
			previousSpace, previousBreak = false, true
		default:
			previousSpace, previousBreak = false, false
		}
		precededByWhitespace = yamlIsBlankZ(r)
		followedByWhitespace = yamlIsBlankZ(at(i + 2))
	}
	a := yamlAnalysis{multiline: lineBreaks, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.blockPlainAllowed = false
	}
	if trailingSpace {
		a.blockAllowed = false
	}
	if breakSpace {
		a.blockPlainAllowed = false
		a.singleQuotedAllowed = false
	}
	if spaceBreak || specialCharacters {
		a.blockPlainAllowed = false
		a.singleQuotedAllowed = false
		a.blockAllowed = false
	}
	if lineBreaks {
		a.blockPlainAllowed = false
	}
	if blockIndicators {
		a.blockPlainAllowed = false
	}
	return a
}

// yamlDoubleQuote writes s as a libyaml double-quoted scalar.
func yamlDoubleQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if !yamlIsPrintable(r) || r == 0xFEFF || yamlIsBreak(r) || r == '"' || r == '\\' {
			switch r {
			case 0:
				b.WriteString(`\0`)
			case 0x07:
				b.WriteString(`\a`)
			case 0x08:
				b.WriteString(`\b`)
			case 0x09:
				b.WriteString(`\t`)
			case 0x0A:
				b.WriteString(`\n`)
			case 0x0B:
				b.WriteString(`\v`)
			case 0x0C:
				b.WriteString(`\f`)
			case 0x0D:
				b.WriteString(`\r`)
			case 0x1B:
				b.WriteString(`\e`)
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			case 0x85:
				b.WriteString(`\N`)
			case 0xA0:
				b.WriteString(`\_`)
			case 0x2028:
				b.WriteString(`\L`)
			case 0x2029:
				b.WriteString(`\P`)
			default:
				switch {
				case r <= 0xFF:
					fmt.Fprintf(&b, `\x%02X`, r)
				case r <= 0xFFFF:
					fmt.Fprintf(&b, `\u%04X`, r)
				default:
					fmt.Fprintf(&b, `\U%08X`, r)
				}
			}
			continue
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// yamlReadsAsNonString reports whether the printer requests single quotes
// for s: when a plain s would be read back as null, a bool, an int or a
// float (serde_yaml's rules), is one of the YAML 1.1 words KCL also quotes,
// or starts with a digit, '-', '+' or '.'.
func yamlReadsAsNonString(s string) bool {
	if s == "" {
		return true
	}
	switch strings.ToLower(s) {
	case "~", "null", "true", "false", "y", "yes", "n", "no", "on", "off", "nil", "nan":
		return true
	}
	// KCL's printer also quotes every string that starts like a number
	// ("5m" prints as '5m'; corpus builtins/template/raw_multiline_0).
	switch s[0] {
	case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '-', '+', '.':
		return true
	}
	if yamlLeadingZeroDigits(s) {
		return true
	}
	if yamlParsesAsInt(s) {
		return true
	}
	return yamlParsesAsFloat(s)
}

func yamlLeadingZeroDigits(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if len(s) < 2 || s[0] != '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func yamlParsesAsInt(s string) bool {
	u := s
	if strings.HasPrefix(u, "+") {
		u = u[1:]
		if strings.HasPrefix(u, "+") || strings.HasPrefix(u, "-") {
			return false
		}
	} else {
		u = strings.TrimPrefix(u, "-")
	}
	for _, p := range []struct {
		prefix string
		base   int
	}{{"0x", 16}, {"0o", 8}, {"0b", 2}} {
		if rest, ok := strings.CutPrefix(u, p.prefix); ok {
			if rest == "" || rest[0] == '+' || rest[0] == '-' {
				return false
			}
			_, err := strconv.ParseUint(rest, p.base, 64)
			return err == nil
		}
	}
	if u == "" {
		return false
	}
	for i := 0; i < len(u); i++ {
		if u[i] < '0' || u[i] > '9' {
			return false
		}
	}
	// All digits: an int if it fits, otherwise the float parser accepts it.
	return true
}

// yamlParsesAsFloat reports whether Rust's f64 parser accepts s (after an
// optional '+') with a finite result, or s is a YAML .inf/.nan spelling.
func yamlParsesAsFloat(s string) bool {
	u := s
	if strings.HasPrefix(u, "+") {
		u = u[1:]
		if strings.HasPrefix(u, "+") || strings.HasPrefix(u, "-") {
			return false
		}
	}
	switch u {
	case ".inf", ".Inf", ".INF":
		return true
	}
	switch s {
	case "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
		return true
	}
	// Rust grammar: [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?
	i := 0
	if i < len(u) && (u[i] == '+' || u[i] == '-') {
		i++
	}
	digits := 0
	for i < len(u) && u[i] >= '0' && u[i] <= '9' {
		i++
		digits++
	}
	if i < len(u) && u[i] == '.' {
		i++
		for i < len(u) && u[i] >= '0' && u[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(u) && (u[i] == 'e' || u[i] == 'E') {
		i++
		if i < len(u) && (u[i] == '+' || u[i] == '-') {
			i++
		}
		ed := 0
		for i < len(u) && u[i] >= '0' && u[i] <= '9' {
			i++
			ed++
		}
		if ed == 0 {
			return false
		}
	}
	if i != len(u) {
		return false
	}
	// Out of range parses to ±inf in Rust: not finite, so a string.
	_, err := strconv.ParseFloat(u, 64)
	return err == nil
}

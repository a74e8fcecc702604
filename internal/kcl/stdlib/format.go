package stdlib

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

func strFormatMethod(s string, c call, b *value.Budget) (value.Value, error) {
	var args []value.Value
	var kwargs []value.Entry
	if err := c.unpack(&args, &kwargs); err != nil {
		return nil, err
	}
	out, err := FormatStringCounted(s, args, kwargs, b)
	if err != nil {
		return nil, err
	}
	return value.Str(out), nil
}

// FormatString implements the Python str.format subset of KCL's
// "...".format(): automatic and explicit positional fields, keyword fields,
// attribute and index access ({0[1]}, {a.b}), conversions !s and !r, and
// format specs [[fill]align][sign][#][0][width][,][.precision][type].
func FormatString(s string, args []value.Value, kwargs []value.Entry) (string, error) {
	return FormatStringCounted(s, args, kwargs, nil)
}

// FormatStringCounted is FormatString charging bud for the text of every
// field (a value's str() and its padding) before it is built, and for the
// result.
func FormatStringCounted(s string, args []value.Value, kwargs []value.Entry, bud *value.Budget) (string, error) {
	var b strings.Builder
	auto := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '{' && i+1 < len(s) && s[i+1] == '{':
			b.WriteByte('{')
			i += 2
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			b.WriteByte('}')
			i += 2
		case c == '{':
			// Find the matching close brace (nested braces in specs).
			depth, j := 1, i+1
			for ; j < len(s) && depth > 0; j++ {
				switch s[j] {
				case '{':
					depth++
				case '}':
					depth--
				}
			}
			if depth != 0 {
				return "", errors.New("Single '{' encountered in format string")
			}
			field := s[i+1 : j-1]
			text, err := formatField(field, args, kwargs, &auto, bud)
			if err != nil {
				return "", err
			}
			// The text, and its copy into the result.
			if !bud.Charge(2 * int64(len(text))) {
				return "", bud.Err()
			}
			b.WriteString(text)
			i = j
		case c == '}':
			return "", errors.New("Single '}' encountered in format string")
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

func formatField(field string, args []value.Value, kwargs []value.Entry, auto *int, bud *value.Budget) (string, error) {
	name, spec, _ := strings.Cut(field, ":")
	conv := ""
	if k := strings.IndexByte(name, '!'); k >= 0 {
		conv = name[k+1:]
		name = name[:k]
	}
	// Split the first name part from the accessors.
	end := len(name)
	for k, r := range name {
		if r == '.' || r == '[' {
			end = k
			break
		}
	}
	head, rest := name[:end], name[end:]
	var v value.Value
	switch {
	case head == "":
		if *auto >= len(args) {
			return "", fmt.Errorf("Replacement index %d out of range for positional args tuple", *auto)
		}
		v = args[*auto]
		*auto++
	case isDigits(head):
		n, _ := strconv.Atoi(head)
		if n >= len(args) {
			return "", fmt.Errorf("Replacement index %d out of range for positional args tuple", n)
		}
		v = args[n]
	default:
		found := false
		for _, kw := range kwargs {
			if kw.Key == head {
				v, found = kw.Value, true
			}
		}
		if !found {
			return "", fmt.Errorf("KeyError: '%s'", head)
		}
	}
	for rest != "" {
		switch rest[0] {
		case '.':
			k := strings.IndexAny(rest[1:], ".[")
			attr := rest[1:]
			if k >= 0 {
				attr, rest = rest[1:k+1], rest[k+1:]
			} else {
				rest = ""
			}
			nv, err := formatGet(v, value.Str(attr))
			if err != nil {
				return "", err
			}
			v = nv
		case '[':
			k := strings.IndexByte(rest, ']')
			if k < 0 {
				return "", errors.New("Missing ']' in format string")
			}
			key := rest[1:k]
			rest = rest[k+1:]
			var kv value.Value = value.Str(key)
			if isDigits(key) {
				n, _ := strconv.Atoi(key)
				kv = value.Int(n)
			}
			nv, err := formatGet(v, kv)
			if err != nil {
				return "", err
			}
			v = nv
		default:
			return "", errors.New("Only '.' or '[' may follow ']' in format field specifier")
		}
	}
	switch conv {
	case "", "s":
	case "r":
		// Repr is ToStr with quotes: charge its size first.
		if value.ToStrCounted(v, bud); bud.Err() != nil {
			return "", bud.Err()
		}
		v = value.Str(value.Repr(v))
	default:
		return "", fmt.Errorf("Unknown conversion specifier %s", conv)
	}
	return formatSpec(v, spec, bud)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func formatGet(v value.Value, key value.Value) (value.Value, error) {
	switch x := v.(type) {
	case *value.List:
		n, ok := key.(value.Int)
		if !ok {
			return nil, errors.New("list indices must be integers")
		}
		if int(n) >= len(x.Items) {
			return nil, errors.New("list index out of range")
		}
		return x.Items[n], nil
	case *value.Dict:
		if r, ok := x.Get(value.ToStr(key)); ok {
			return r, nil
		}
		return nil, fmt.Errorf("KeyError: '%s'", value.ToStr(key))
	case *value.Schema:
		if x.Attrs != nil {
			if r, ok := x.Attrs.Get(value.ToStr(key)); ok {
				return r, nil
			}
		}
		return nil, fmt.Errorf("KeyError: '%s'", value.ToStr(key))
	}
	return nil, fmt.Errorf("'%s' object is not subscriptable", value.TypeName(v))
}

// maxFormatWidth bounds the width and precision of a format spec so that a
// spec cannot allocate an unbounded string.
const maxFormatWidth = 10_000_000

// formatSpec applies a Python format spec to v.
func formatSpec(v value.Value, spec string, bud *value.Budget) (string, error) {
	if spec == "" {
		s := value.ToStrCounted(v, bud)
		return s, bud.Err()
	}
	var fill rune = ' '
	align := byte(0)
	i := 0
	if r, n := utf8.DecodeRuneInString(spec); n > 0 && n < len(spec) && strings.IndexByte("<>^=", spec[n]) >= 0 {
		fill, align, i = r, spec[n], n+1
	} else if len(spec) > 0 && strings.IndexByte("<>^=", spec[0]) >= 0 {
		align, i = spec[0], 1
	}
	sign := byte('-')
	if i < len(spec) && strings.IndexByte("+- ", spec[i]) >= 0 {
		sign = spec[i]
		i++
	}
	alt := false
	if i < len(spec) && spec[i] == '#' {
		alt = true
		i++
	}
	if i < len(spec) && spec[i] == '0' {
		if align == 0 {
			fill, align = '0', '='
		}
		i++
	}
	width := 0
	for i < len(spec) && spec[i] >= '0' && spec[i] <= '9' {
		width = min(width*10+int(spec[i]-'0'), maxFormatWidth+1)
		i++
	}
	comma := false
	if i < len(spec) && (spec[i] == ',' || spec[i] == '_') {
		comma = spec[i] == ','
		i++
	}
	prec := -1
	if i < len(spec) && spec[i] == '.' {
		i++
		prec = 0
		for i < len(spec) && spec[i] >= '0' && spec[i] <= '9' {
			prec = min(prec*10+int(spec[i]-'0'), maxFormatWidth+1)
			i++
		}
	}
	typ := byte(0)
	if i < len(spec) {
		typ = spec[i]
		i++
	}
	if i != len(spec) {
		return "", errors.New("Invalid format specifier")
	}
	if width > maxFormatWidth || prec > maxFormatWidth {
		return "", fmt.Errorf("format width or precision too large (more than %d)", maxFormatWidth)
	}
	var body string
	numeric := false
	neg := false
	switch typ {
	case 0, 's':
		if typ == 0 {
			switch x := v.(type) {
			case value.Int:
				numeric = true
				body, neg = absInt(int64(x))
			case value.Float:
				numeric = true
				f := float64(x)
				neg = math.Signbit(f)
				if prec >= 0 {
					body = strconv.FormatFloat(math.Abs(f), 'g', max(prec, 1), 64)
				} else {
					body = value.FormatFloat(math.Abs(f))
				}
			}
		}
		if !numeric {
			body = value.ToStrCounted(v, bud)
			if err := bud.Err(); err != nil {
				return "", err
			}
			if prec >= 0 && utf8.RuneCountInString(body) > prec {
				body = string([]rune(body)[:prec])
			}
		}
	case 'd', 'n', 'x', 'X', 'o', 'b', 'c':
		n, ok := toInt(v)
		if _, isFloat := v.(value.Float); isFloat || !ok {
			return "", fmt.Errorf("Unknown format code '%c' for object of type '%s'", typ, value.TypeName(v))
		}
		numeric = true
		neg = n < 0
		if neg {
			n = -n
		}
		switch typ {
		case 'd', 'n':
			body = strconv.FormatInt(n, 10)
		case 'x':
			body = strconv.FormatInt(n, 16)
		case 'X':
			body = strings.ToUpper(strconv.FormatInt(n, 16))
		case 'o':
			body = strconv.FormatInt(n, 8)
		case 'b':
			body = strconv.FormatInt(n, 2)
		case 'c':
			body, numeric = string(rune(n)), false
		}
		if alt && strings.IndexByte("xXob", typ) >= 0 {
			body = "0" + string(typ) + body
		}
	case 'f', 'F', 'e', 'E', 'g', 'G', '%':
		f, ok := toFloat(v)
		if !ok {
			return "", fmt.Errorf("Unknown format code '%c' for object of type '%s'", typ, value.TypeName(v))
		}
		numeric = true
		neg = math.Signbit(f)
		f = math.Abs(f)
		if prec < 0 {
			prec = 6
		}
		switch typ {
		case 'f', 'F':
			body = strconv.FormatFloat(f, 'f', prec, 64)
		case 'e', 'E':
			body = pyExp(strconv.FormatFloat(f, 'e', prec, 64))
		case 'g', 'G':
			body = pyExp(strconv.FormatFloat(f, 'g', max(prec, 1), 64))
		case '%':
			body = strconv.FormatFloat(f*100, 'f', prec, 64) + "%"
		}
		if typ == 'F' || typ == 'E' || typ == 'G' {
			body = strings.ToUpper(body)
		}
	default:
		return "", fmt.Errorf("Unknown format code '%c' for object of type '%s'", typ, value.TypeName(v))
	}
	if comma && numeric {
		body = groupThousands(body)
	}
	prefix := ""
	if numeric {
		switch {
		case neg:
			prefix = "-"
		case sign == '+':
			prefix = "+"
		case sign == ' ':
			prefix = " "
		}
	}
	if align == 0 {
		align = '<'
		if numeric {
			align = '>'
		}
	}
	n := utf8.RuneCountInString(prefix + body)
	if n >= width {
		return prefix + body, nil
	}
	if !bud.Charge(int64(utf8.RuneLen(fill) * (width - n))) {
		return "", bud.Err()
	}
	pad := strings.Repeat(string(fill), width-n)
	switch align {
	case '<':
		return prefix + body + pad, nil
	case '>':
		return pad + prefix + body, nil
	case '=':
		return prefix + pad + body, nil
	default: // '^'
		left := (width - n) / 2
		return strings.Repeat(string(fill), left) + prefix + body + strings.Repeat(string(fill), width-n-left), nil
	}
}

func absInt(n int64) (string, bool) {
	if n < 0 {
		s := strconv.FormatInt(n, 10)
		return s[1:], true
	}
	return strconv.FormatInt(n, 10), false
}

// pyExp rewrites Go's exponent "e+06" into Python's "e+06" (same) and keeps
// at least two exponent digits.
func pyExp(s string) string {
	k := strings.IndexAny(s, "eE")
	if k < 0 {
		return s
	}
	exp := s[k+2:]
	if len(exp) < 2 {
		exp = "0" + exp
	}
	return s[:k+2] + exp
}

func groupThousands(s string) string {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

package value

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ToStr converts v the way KCL's str(), print and string interpolation do:
// None and Undefined as "None"/"Undefined", booleans as "True"/"False",
// floats in plain decimal with a ".0" when integral, unit values as written
// ("1Ki"), and lists, dicts and schemas Python-like with quoted strings
// inside ("[1, 'a', True]", "{'k': 'v'}"), as the KCL docs show for print.
func ToStr(v Value) string { return ToStrCounted(v, nil) }

// ToStrCounted is ToStr charging b for the text built (a structure shared
// several times in v is written, and counted, each time). Once b refuses
// a charge the text is incomplete: callers must check b.Err().
func ToStrCounted(v Value, b *Budget) string {
	w := &strWriter{budget: b}
	writeStr(w, v, false)
	return w.String()
}

// Repr is the quoted form used for the keys and values of dicts inside
// ToStr: strings are quoted with ' (or " when they contain ' but not "),
// everything else is as ToStr.
func Repr(v Value) string {
	w := &strWriter{}
	writeStr(w, v, true)
	return w.String()
}

// strWriter is the text of ToStr and its budget.
type strWriter = budgetWriter

func writeStr(b *strWriter, v Value, quote bool) {
	n := 0
	if s, ok := v.(Str); ok {
		n = len(s)
	}
	if !b.spend(n) {
		return
	}
	switch x := v.(type) {
	case nil, UndefinedType:
		b.WriteString("Undefined")
	case NoneType:
		b.WriteString("None")
	case Bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case Int:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case Float:
		b.WriteString(FormatFloat(float64(x)))
	case Unit:
		b.WriteString(strconv.FormatInt(x.Raw, 10))
		b.WriteString(x.Suffix)
	case Str:
		if quote {
			b.WriteString(quoteRepr(string(x)))
		} else {
			b.WriteString(string(x))
		}
	case *List:
		b.WriteByte('[')
		for i, it := range x.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			writeStr(b, it, true)
		}
		b.WriteByte(']')
	case *Dict:
		writeDictStr(b, x)
	case *Schema:
		if x.Attrs == nil {
			b.WriteString("{}")
			return
		}
		writeDictStr(b, x.Attrs)
	case *Func:
		b.WriteString("function")
	default:
		fmt.Fprintf(b, "%v", v)
	}
}

func writeDictStr(b *strWriter, d *Dict) {
	b.WriteByte('{')
	for i, e := range d.Entries() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteRepr(e.Key))
		b.WriteString(": ")
		writeStr(b, e.Value, true)
	}
	b.WriteByte('}')
}

// quoteRepr quotes s like Python's repr of a str.
func quoteRepr(s string) string {
	q := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// FormatFloat formats f as KCL's str() does (Rust Display plus ".0"):
// shortest round-trip digits, never an exponent, "inf", "-inf", "NaN".
func FormatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "NaN"
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// FormatFloatRyu formats a finite f in the layout of the Rust ryu crate (the
// form the YAML and JSON printers use): plain decimal with at least one
// fractional digit when the decimal exponent lies in [-5, 16), otherwise
// "d.ddde-N" with no '+' and no padding. Infinities and NaN give ".inf",
// "-.inf" and ".nan" (the YAML spellings).
func FormatFloatRyu(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	case math.IsNaN(f):
		return ".nan"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64)
	neg := false
	if s[0] == '-' {
		neg = true
		s = s[1:]
	}
	mant, exps, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(exps)
	digits := strings.Replace(mant, ".", "", 1)
	length := len(digits)
	// kk is the position of the decimal point relative to the digits.
	kk := exp + 1
	k := kk - length
	var out string
	switch {
	case k >= 0 && kk <= 16:
		out = digits + strings.Repeat("0", k) + ".0"
	case kk > 0 && kk <= 16:
		out = digits[:kk] + "." + digits[kk:]
	case kk > -5 && kk <= 0:
		out = "0." + strings.Repeat("0", -kk) + digits
	case length == 1:
		out = digits + "e" + strconv.Itoa(kk-1)
	default:
		out = digits[:1] + "." + digits[1:] + "e" + strconv.Itoa(kk-1)
	}
	if neg {
		return "-" + out
	}
	return out
}

// Format applies a string-interpolation format spec such as "#json" or
// "#yaml" (case-insensitive, surrounding blanks ignored) to v. An empty spec
// gives ToStr(v).
func Format(spec string, v Value) (string, error) { return FormatCounted(spec, v, nil) }

// FormatCounted is Format charging b for the text built (see ToStrCounted):
// callers must check b.Err().
func FormatCounted(spec string, v Value, b *Budget) (string, error) {
	s := strings.TrimSpace(spec)
	switch strings.ToLower(s) {
	case "":
		return ToStrCounted(v, b), nil
	case "#json":
		return string(EncodeJSON(v, JSONOptions{Budget: b})), nil
	case "#yaml":
		return string(EncodeYAML(v, YAMLOptions{Budget: b})), nil
	}
	return "", fmt.Errorf("%s is a invalid format spec", s)
}

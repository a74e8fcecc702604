package value

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// JSONOptions are the options of the JSON printer, as json.encode takes
// them. Indent 0 prints on one line with Python-like separators (", " and
// ": "); Indent n > 0 prints one item per line indented n spaces per level.
// The zero value keeps private keys and None.
//
// Budget, when set, is charged for the planned value (see PlanOptions) and
// the bytes written; once it refuses, encoding stops and the output is
// incomplete: callers must check Budget.Err().
type JSONOptions struct {
	SortKeys      bool
	Indent        int
	IgnorePrivate bool
	IgnoreNone    bool
	Budget        *Budget
}

// EncodeJSON prints v as JSON the way KCL's json.encode and `${x: #json}`
// do. v is planned first (see Plan) with the options; a value that plans to
// nothing prints as null. There is no trailing newline.
func EncodeJSON(v Value, opts JSONOptions) []byte {
	p := Plan(v, PlanOptions{DisableNone: opts.IgnoreNone, SortKeys: opts.SortKeys, ShowHidden: !opts.IgnorePrivate, Budget: opts.Budget})
	if opts.Budget.Err() != nil {
		return nil
	}
	b := &jsonWriter{budget: opts.Budget}
	jsonWrite(b, p, opts.Indent, 0)
	return []byte(b.String())
}

// jsonWriter is the output of EncodeJSON and its budget.
type jsonWriter = budgetWriter

func jsonNewline(b *jsonWriter, indent, level int) {
	b.WriteByte('\n')
	b.WriteString(strings.Repeat(" ", indent*level))
}

func jsonWrite(b *jsonWriter, v Value, indent, level int) {
	n := 0
	if s, ok := v.(Str); ok {
		n = len(s)
	}
	if !b.spend(n) {
		return
	}
	switch x := v.(type) {
	case nil, UndefinedType, NoneType:
		b.WriteString("null")
	case Bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case Int:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case Float:
		jsonFloat(&b.Builder, float64(x))
	case Unit:
		jsonFloat(&b.Builder, x.Float)
	case Str:
		jsonQuoteTo(&b.Builder, string(x))
	case *List:
		if len(x.Items) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, it := range x.Items {
			if i > 0 {
				b.WriteByte(',')
				if indent == 0 {
					b.WriteByte(' ')
				}
			}
			if indent > 0 {
				jsonNewline(b, indent, level+1)
			}
			jsonWrite(b, it, indent, level+1)
		}
		if indent > 0 {
			jsonNewline(b, indent, level)
		}
		b.WriteByte(']')
	case *Dict:
		if x.Len() == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		for i, e := range x.Entries() {
			if i > 0 {
				b.WriteByte(',')
				if indent == 0 {
					b.WriteByte(' ')
				}
			}
			if indent > 0 {
				jsonNewline(b, indent, level+1)
			}
			jsonQuoteTo(&b.Builder, e.Key)
			b.WriteString(": ")
			jsonWrite(b, e.Value, indent, level+1)
		}
		if indent > 0 {
			jsonNewline(b, indent, level)
		}
		b.WriteByte('}')
	case *Schema:
		if x.Attrs == nil {
			b.WriteString("{}")
			return
		}
		jsonWrite(b, x.Attrs, indent, level)
	default:
		b.WriteString("null")
	}
}

func jsonFloat(b *strings.Builder, f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		b.WriteString("null")
		return
	}
	b.WriteString(FormatFloatRyu(f))
}

// JSONQuote quotes s as a JSON string: '"', '\\' and control characters
// are escaped, everything else (non-ASCII included) is kept.
func JSONQuote(s string) string {
	var b strings.Builder
	jsonQuoteTo(&b, s)
	return b.String()
}

func jsonQuoteTo(b *strings.Builder, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			fmt.Fprintf(b, `\u%04x`, c)
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

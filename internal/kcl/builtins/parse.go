package builtins

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// entry is one row of the table: a signature in the notation below and a
// line of documentation.
//
//	name(p: T, q: T = 1, r?: T, *args: any, k: T = "x", **kwargs: any) -> R
//
// `q: T = 1` has a default, `r?: T` may be left out and has none; after
// `*args` (or a bare `*`) parameters are keyword-only.
type entry struct {
	module, sig, doc string
}

// parseSig parses one signature of the table.
func parseSig(s string) (*Func, error) {
	open := strings.IndexByte(s, '(')
	arrow := strings.LastIndex(s, ") -> ")
	if open <= 0 || arrow < open {
		return nil, errors.New("want name(params) -> result")
	}
	f := &Func{Name: s[:open], Result: strings.TrimSpace(s[arrow+len(") -> "):])}
	if f.Result == "" {
		return nil, errors.New("no result type")
	}
	inner := strings.TrimSpace(s[open+1 : arrow])
	if inner == "" {
		return f, nil
	}
	kind := Positional
	for _, text := range splitParams(inner) {
		text = strings.TrimSpace(text)
		if text == "*" {
			kind = KeywordOnly
			continue
		}
		p, err := parseParam(text, kind)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", text, err)
		}
		if n := len(f.Params); n > 0 && f.Params[n-1].Kind == KwArgs {
			return nil, errors.New("a parameter follows **kwargs")
		}
		if p.Kind == VarArgs {
			if kind != Positional {
				return nil, errors.New("a second *args")
			}
			kind = KeywordOnly
		}
		if n := len(f.Params); n > 0 && p.Kind == Positional && !p.Optional && f.Params[n-1].Optional {
			return nil, errors.New("a required parameter follows an optional one")
		}
		if _, dup := f.Param(p.Name); dup {
			return nil, errors.New("duplicate parameter")
		}
		f.Params = append(f.Params, p)
	}
	return f, nil
}

func parseParam(text string, kind Kind) (Param, error) {
	p := Param{Kind: kind}
	switch {
	case strings.HasPrefix(text, "**"):
		p.Kind, p.Optional, text = KwArgs, true, text[2:]
	case strings.HasPrefix(text, "*"):
		p.Kind, p.Optional, text = VarArgs, true, text[1:]
	}
	name, rest, ok := strings.Cut(text, ":")
	if !ok {
		return p, errors.New("no type")
	}
	name = strings.TrimSpace(name)
	if strings.HasSuffix(name, "?") {
		p.Optional, name = true, strings.TrimSuffix(name, "?")
	}
	if name == "" {
		return p, errors.New("no name")
	}
	p.Name = name
	typ, def, hasDef := strings.Cut(rest, " = ")
	p.Type = strings.TrimSpace(typ)
	if p.Type == "" {
		return p, errors.New("no type")
	}
	if hasDef {
		if p.Kind == VarArgs || p.Kind == KwArgs || p.Optional {
			return p, errors.New("a default on *args, **kwargs or name?")
		}
		p.Default, p.Optional = strings.TrimSpace(def), true
		if _, err := Literal(p.Default); err != nil {
			return p, err
		}
	}
	return p, nil
}

// splitParams splits at the commas outside brackets and string literals.
func splitParams(s string) []string {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[' || c == '{' || c == '(':
			depth++
		case c == ']' || c == '}' || c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// Literal returns the Go value of a default's KCL source text: nil for
// None, a bool, an int64, a float64 or a string.
func Literal(src string) (any, error) {
	switch src {
	case "None":
		return nil, nil
	case "True":
		return true, nil
	case "False":
		return false, nil
	}
	if strings.HasPrefix(src, `"`) {
		s, err := strconv.Unquote(src)
		if err != nil {
			return nil, fmt.Errorf("default %s: %w", src, err)
		}
		return s, nil
	}
	if n, err := strconv.ParseInt(src, 10, 64); err == nil {
		return n, nil
	}
	if x, err := strconv.ParseFloat(src, 64); err == nil {
		return x, nil
	}
	return nil, fmt.Errorf("default %s: not None, True, False, a number or a string", src)
}

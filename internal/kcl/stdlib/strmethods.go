package stdlib

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/builtins"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// StrMethod returns the method name of s bound to s, and false if str has
// no such method.
func StrMethod(s value.Str, name string) (*value.Func, bool) {
	return StrMethodCounted(s, name, nil)
}

// StrMethodCounted is StrMethod charging b for what the method builds
// (join, replace, format, split, splitlines, chars, …) before it builds
// it: a refused charge ends the call with b's error.
func StrMethodCounted(s value.Str, name string, b *value.Budget) (*value.Func, bool) {
	m, ok := strMethodImpl(name)
	f := builtins.Lookup(builtins.StrMethod, name)
	if !ok || f == nil {
		return nil, false
	}
	str := string(s)
	return &value.Func{Name: name, Call: func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
		return m(str, call{fn: f, args: args, kwargs: kwargs}, b)
	}}, true
}

// StrMethodNames returns the names of the str methods, in the order of
// the builtin table.
func StrMethodNames() []string {
	var out []string
	for _, f := range builtins.Funcs(builtins.StrMethod) {
		out = append(out, f.Name)
	}
	return out
}

type strMethodFunc func(s string, c call, b *value.Budget) (value.Value, error)

func strMethodImpl(name string) (strMethodFunc, bool) {
	switch name {
	case "capitalize":
		return noArg(name, func(s string) value.Value { return value.Str(capitalize(s)) }), true
	case "chars":
		return func(s string, c call, b *value.Budget) (value.Value, error) {
			if err := c.unpack(); err != nil {
				return nil, err
			}
			items, err := iterItems(value.Str(s), b)
			if err != nil {
				return nil, err
			}
			return &value.List{Items: items}, nil
		}, true
	case "lower":
		return noArg(name, func(s string) value.Value { return value.Str(strings.ToLower(s)) }), true
	case "upper":
		return noArg(name, func(s string) value.Value { return value.Str(strings.ToUpper(s)) }), true
	case "title":
		return noArg(name, func(s string) value.Value { return value.Str(title(s)) }), true
	case "isalnum":
		return predicate(name, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }), true
	case "isalpha":
		return predicate(name, unicode.IsLetter), true
	case "isdigit":
		return predicate(name, unicode.IsDigit), true
	case "isspace":
		return predicate(name, unicode.IsSpace), true
	case "islower":
		return noArg(name, func(s string) value.Value { return value.Bool(casedAll(s, unicode.IsLower)) }), true
	case "isupper":
		return noArg(name, func(s string) value.Value { return value.Bool(casedAll(s, unicode.IsUpper)) }), true
	case "istitle":
		return noArg(name, func(s string) value.Value { return value.Bool(isTitle(s)) }), true
	case "count":
		return strCount, true
	case "find":
		return findFunc(false, false), true
	case "rfind":
		return findFunc(true, false), true
	case "index":
		return findFunc(false, true), true
	case "rindex":
		return findFunc(true, true), true
	case "startswith":
		return affixFunc(strings.HasPrefix), true
	case "endswith":
		return affixFunc(strings.HasSuffix), true
	case "strip":
		return stripFunc(true, true), true
	case "lstrip":
		return stripFunc(true, false), true
	case "rstrip":
		return stripFunc(false, true), true
	case "removeprefix":
		return oneStr(func(s, p string) value.Value { return value.Str(strings.TrimPrefix(s, p)) }), true
	case "removesuffix":
		return oneStr(func(s, p string) value.Value { return value.Str(strings.TrimSuffix(s, p)) }), true
	case "replace":
		return strReplace, true
	case "join":
		return strJoin, true
	case "split":
		return splitFunc(false), true
	case "rsplit":
		return splitFunc(true), true
	case "splitlines":
		return strSplitLines, true
	case "format":
		return strFormatMethod, true
	}
	return nil, false
}

func noArg(name string, f func(string) value.Value) strMethodFunc {
	return func(s string, c call, b *value.Budget) (value.Value, error) {
		if err := c.unpack(); err != nil {
			return nil, err
		}
		return f(s), nil
	}
}

func predicate(name string, p func(rune) bool) strMethodFunc {
	return noArg(name, func(s string) value.Value {
		if s == "" {
			return value.Bool(false)
		}
		for _, r := range s {
			if !p(r) {
				return value.Bool(false)
			}
		}
		return value.Bool(true)
	})
}

func oneStr(f func(s, arg string) value.Value) strMethodFunc {
	return func(s string, c call, b *value.Budget) (value.Value, error) {
		var arg string
		if err := c.unpack(&arg); err != nil {
			return nil, err
		}
		return f(s, arg), nil
	}
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + strings.ToLower(s[n:])
}

func title(s string) string {
	var b strings.Builder
	prevCased := false
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			if prevCased {
				b.WriteRune(unicode.ToLower(r))
			} else {
				b.WriteRune(unicode.ToTitle(r))
			}
			prevCased = true
		default:
			b.WriteRune(r)
			prevCased = false
		}
	}
	return b.String()
}

func isCased(r rune) bool { return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) }

func casedAll(s string, p func(rune) bool) bool {
	cased := false
	for _, r := range s {
		if isCased(r) {
			if !p(r) {
				return false
			}
			cased = true
		}
	}
	return cased
}

func isTitle(s string) bool {
	cased := false
	prevCased := false
	for _, r := range s {
		switch {
		case unicode.IsUpper(r) || unicode.IsTitle(r):
			if prevCased {
				return false
			}
			prevCased, cased = true, true
		case unicode.IsLower(r):
			if !prevCased {
				return false
			}
			prevCased, cased = true, true
		default:
			prevCased = false
		}
	}
	return cased
}

// sliceBounds resolves Python-style optional start/end arguments (nil
// when left out) against a string of length n (byte offsets).
func sliceBounds(c call, startv, endv value.Value, n int) (int, int, error) {
	start, err := intArg(c, "start", startv, 0)
	if err != nil {
		return 0, 0, err
	}
	end, err := intArg(c, "end", endv, int64(n))
	if err != nil {
		return 0, 0, err
	}
	adj := func(i int64) int {
		if i < 0 {
			i += int64(n)
			if i < 0 {
				i = 0
			}
		}
		if i > int64(n) {
			i = int64(n)
		}
		return int(i)
	}
	return adj(start), adj(end), nil
}

// subArgs unpacks the (sub, start?, end?) arguments of count, find and
// index against s.
func subArgs(s string, c call) (sub string, start, end int, err error) {
	var startv, endv value.Value
	if err := c.unpack(&sub, &startv, &endv); err != nil {
		return "", 0, 0, err
	}
	start, end, err = sliceBounds(c, startv, endv, len(s))
	return sub, start, end, err
}

func strCount(s string, c call, b *value.Budget) (value.Value, error) {
	sub, start, end, err := subArgs(s, c)
	if err != nil {
		return nil, err
	}
	if start > end {
		return value.Int(0), nil
	}
	if sub == "" {
		return value.Int(utf8.RuneCountInString(s[start:end]) + 1), nil
	}
	return value.Int(strings.Count(s[start:end], sub)), nil
}

func findFunc(reverse, mustFind bool) strMethodFunc {
	return func(s string, c call, b *value.Budget) (value.Value, error) {
		sub, start, end, err := subArgs(s, c)
		if err != nil {
			return nil, err
		}
		idx := -1
		if start <= end {
			if reverse {
				idx = strings.LastIndex(s[start:end], sub)
			} else {
				idx = strings.Index(s[start:end], sub)
			}
			if idx >= 0 {
				idx += start
			}
		}
		if idx < 0 && mustFind {
			return nil, errors.New("substring not found")
		}
		return value.Int(idx), nil
	}
}

func affixFunc(has func(s, affix string) bool) strMethodFunc {
	return func(s string, c call, b *value.Budget) (value.Value, error) {
		var v, startv, endv value.Value
		if err := c.unpack(&v, &startv, &endv); err != nil {
			return nil, err
		}
		name := c.fn.Name
		start, end, err := sliceBounds(c, startv, endv, len(s))
		if err != nil {
			return nil, err
		}
		if start > end {
			return value.Bool(false), nil
		}
		sub := s[start:end]
		var affixes []value.Value
		switch x := v.(type) {
		case value.Str:
			affixes = []value.Value{x}
		case *value.List:
			affixes = x.Items
		default:
			return nil, fmt.Errorf("%s first arg must be str or a list of str, not %s", name, value.TypeName(v))
		}
		for _, af := range affixes {
			t := value.ToStrCounted(af, b)
			if err := b.Err(); err != nil {
				return nil, err
			}
			if has(sub, t) {
				return value.Bool(true), nil
			}
		}
		return value.Bool(false), nil
	}
}

func stripFunc(left, right bool) strMethodFunc {
	return func(s string, c call, b *value.Budget) (value.Value, error) {
		var charsv value.Value
		if err := c.unpack(&charsv); err != nil {
			return nil, err
		}
		if charsv == nil || charsv == value.None {
			if left {
				s = strings.TrimLeftFunc(s, unicode.IsSpace)
			}
			if right {
				s = strings.TrimRightFunc(s, unicode.IsSpace)
			}
			return value.Str(s), nil
		}
		chars, err := strArg(c, "chars", charsv)
		if err != nil {
			return nil, err
		}
		if left {
			s = strings.TrimLeft(s, chars)
		}
		if right {
			s = strings.TrimRight(s, chars)
		}
		return value.Str(s), nil
	}
}

func strReplace(s string, c call, b *value.Budget) (value.Value, error) {
	var old, nw string
	var count int64
	if err := c.unpack(&old, &nw, &count); err != nil {
		return nil, err
	}
	// Charge the result before it is built: len(s) plus what each
	// replacement adds.
	if len(nw) > len(old) {
		n := int64(strings.Count(s, old))
		if count >= 0 {
			n = min(n, count)
		}
		if !b.Charge(value.SizeStr + int64(len(s)) + n*int64(len(nw)-len(old))) {
			return nil, b.Err()
		}
	}
	return value.Str(strings.Replace(s, old, nw, int(count))), nil
}

func strJoin(s string, c call, b *value.Budget) (value.Value, error) {
	var v value.Value
	if err := c.unpack(&v); err != nil {
		return nil, err
	}
	items, err := iterItems(v, b)
	if err != nil {
		return nil, err
	}
	parts := make([]string, len(items))
	size := int64(value.SizeStr)
	for i, it := range items {
		parts[i] = value.ToStrCounted(it, b)
		if err := b.Err(); err != nil {
			return nil, err
		}
		size += int64(len(parts[i]) + len(s))
	}
	// The joined text, charged before it is built.
	if !b.Charge(size) {
		return nil, b.Err()
	}
	return value.Str(strings.Join(parts, s)), nil
}

func splitFunc(reverse bool) strMethodFunc {
	return func(s string, c call, b *value.Budget) (value.Value, error) {
		var sepv value.Value
		var maxsplit int64
		if err := c.unpack(&sepv, &maxsplit); err != nil {
			return nil, err
		}
		if sepv == nil || sepv == value.None {
			if !chargeParts(b, countFields(s), maxsplit) {
				return nil, b.Err()
			}
			return strList(splitWhitespace(s, int(maxsplit), reverse)), nil
		}
		sep, err := strArg(c, "sep", sepv)
		if err != nil {
			return nil, err
		}
		if sep == "" {
			return nil, errors.New("empty separator")
		}
		if !chargeParts(b, int64(strings.Count(s, sep))+1, maxsplit) {
			return nil, b.Err()
		}
		if maxsplit < 0 {
			return strList(strings.Split(s, sep)), nil
		}
		if !reverse {
			return strList(strings.SplitN(s, sep, int(maxsplit)+1)), nil
		}
		var parts []string
		rest := s
		for i := int64(0); i < maxsplit; i++ {
			j := strings.LastIndex(rest, sep)
			if j < 0 {
				break
			}
			parts = append(parts, rest[j+len(sep):])
			rest = rest[:j]
		}
		parts = append(parts, rest)
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
		return strList(parts), nil
	}
}

// chargeParts charges b for a list of n parts (at most maxsplit+1 when
// maxsplit >= 0) and the slice of strings it is made from; false when b
// refuses.
func chargeParts(b *value.Budget, n, maxsplit int64) bool {
	if maxsplit >= 0 {
		n = min(n, maxsplit+1)
	}
	return b.Charge(value.SizeList + n*(value.SizeListItem+value.SizeStr))
}

// countFields is the number of runs of non-space characters in s.
func countFields(s string) int64 {
	n := int64(0)
	in := false
	for _, r := range s {
		sp := unicode.IsSpace(r)
		if !sp && !in {
			n++
		}
		in = !sp
	}
	return n
}

// splitWhitespace splits on runs of whitespace like Python's str.split()
// without a separator.
func splitWhitespace(s string, maxsplit int, reverse bool) []string {
	fields := strings.Fields(s)
	if maxsplit < 0 || len(fields) <= maxsplit+1 {
		return fields
	}
	if !reverse {
		// Keep the remainder after maxsplit fields verbatim (left-trimmed).
		rest := s
		var out []string
		for i := 0; i < maxsplit; i++ {
			rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
			j := strings.IndexFunc(rest, unicode.IsSpace)
			out = append(out, rest[:j])
			rest = rest[j:]
		}
		return append(out, strings.TrimLeftFunc(rest, unicode.IsSpace))
	}
	rest := s
	out := make([]string, 0, maxsplit+1)
	for i := 0; i < maxsplit; i++ {
		rest = strings.TrimRightFunc(rest, unicode.IsSpace)
		j := strings.LastIndexFunc(rest, unicode.IsSpace)
		out = append(out, rest[j+1:])
		rest = rest[:j+1]
	}
	out = append(out, strings.TrimRightFunc(rest, unicode.IsSpace))
	slices.Reverse(out)
	return out
}

func isLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

func strSplitLines(s string, c call, b *value.Budget) (value.Value, error) {
	var keep bool
	if err := c.unpack(&keep); err != nil {
		return nil, err
	}
	var out []string
	start := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isLineBreak(r) {
			i += n
			continue
		}
		end := i + n
		if r == '\r' && end < len(s) && s[end] == '\n' {
			end++
		}
		if len(out)%1024 == 0 && !chargeParts(b, 1024, -1) {
			return nil, b.Err()
		}
		if keep {
			out = append(out, s[start:end])
		} else {
			out = append(out, s[start:i])
		}
		start = end
		i = end
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return strList(out), nil
}

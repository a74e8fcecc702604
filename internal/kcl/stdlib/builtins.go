package stdlib

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/builtins"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

type globals struct {
	env Env
}

func (b *globals) funcs() map[string]*value.Func {
	g := builtins.Global
	fs := []*value.Func{
		def(g, "print", b.print),
		def(g, "len", builtinLen),
		def(g, "abs", builtinAbs),
		def(g, "all_true", b.allTrue),
		def(g, "any_true", b.anyTrue),
		def(g, "bin", radixFunc(2, "0b")),
		def(g, "oct", radixFunc(8, "0o")),
		def(g, "hex", radixFunc(16, "0x")),
		def(g, "ord", builtinOrd),
		def(g, "sorted", b.sorted),
		def(g, "range", b.rangeList),
		def(g, "max", b.minMax(1)),
		def(g, "min", b.minMax(-1)),
		def(g, "sum", b.sum),
		def(g, "pow", builtinPow),
		def(g, "round", builtinRound),
		def(g, "zip", b.zip),
		def(g, "int", builtinInt),
		def(g, "float", builtinFloat),
		def(g, "bool", builtinBool),
		def(g, "str", b.str),
		def(g, "list", b.list),
		def(g, "dict", b.dict),
		def(g, "typeof", builtinTypeof),
		def(g, "isunique", b.isUnique),
		def(g, "isnullish", builtinIsNullish),
		def(g, "multiplyof", builtinMultiplyOf),
		def(g, "reduce", b.reduce),
	}
	m := make(map[string]*value.Func, len(fs))
	for _, f := range fs {
		m[f.Name] = f
	}
	return m
}

func (b *globals) print(c call) (value.Value, error) {
	var args []value.Value
	var sepv, endv value.Value
	if err := c.unpack(&args, &sepv, &endv); err != nil {
		return nil, err
	}
	// Any value is printed as its text (None as "None").
	sep, end := value.ToStr(sepv), value.ToStr(endv)
	budget := budgetOf(b.env)
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = value.ToStrCounted(a, budget)
		if err := budget.Err(); err != nil {
			return nil, err
		}
	}
	w := io.Discard
	if b.env != nil && b.env.Stdout() != nil {
		w = b.env.Stdout()
	}
	if _, err := io.WriteString(w, strings.Join(parts, sep)+end); err != nil {
		return nil, fmt.Errorf("print: %w", err)
	}
	return value.None, nil
}

func builtinLen(c call) (value.Value, error) {
	var v value.Value
	if err := c.unpack(&v); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case value.Str:
		return value.Int(len(x)), nil
	case *value.List:
		return value.Int(len(x.Items)), nil
	case *value.Dict:
		return value.Int(x.Len()), nil
	case *value.Schema:
		if x.Attrs == nil {
			return value.Int(0), nil
		}
		return value.Int(x.Attrs.Len()), nil
	}
	return nil, fmt.Errorf("object of type '%s' has no len()", value.TypeName(v))
}

func builtinAbs(c call) (value.Value, error) {
	var v value.Value
	if err := c.unpack(&v); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case value.Int:
		if x < 0 {
			return -x, nil
		}
		return x, nil
	case value.Bool:
		n, _ := toInt(x)
		return value.Int(n), nil
	case value.Float:
		return value.Float(math.Abs(float64(x))), nil
	}
	return nil, fmt.Errorf("bad operand type for abs(): '%s'", value.TypeName(v))
}

// iterItems returns the items iterating v yields: list items, dict and
// schema keys, str characters (substrings of the string: nothing is
// copied but the slice). It charges b for the slice it makes (a list's
// items are returned as they are), and fails with b's error when b
// refuses, or with "not iterable".
func iterItems(v value.Value, b *value.Budget) ([]value.Value, error) {
	switch x := v.(type) {
	case *value.List:
		return x.Items, nil
	case *value.Dict:
		if !b.Charge(value.SizeList + value.SizeListItem*int64(x.Len())) {
			return nil, b.Err()
		}
		keys := x.Keys()
		out := make([]value.Value, len(keys))
		for i, k := range keys {
			out[i] = value.Str(k)
		}
		return out, nil
	case *value.Schema:
		if x.Attrs == nil {
			return nil, nil
		}
		return iterItems(x.Attrs, b)
	case value.Str:
		s := string(x)
		n := utf8.RuneCountInString(s)
		if !b.Charge(value.SizeList + value.SizeListItem*int64(n)) {
			return nil, b.Err()
		}
		out := make([]value.Value, 0, n)
		for i := 0; i < len(s); {
			_, w := utf8.DecodeRuneInString(s[i:])
			out = append(out, value.Str(s[i:i+w]))
			i += w
		}
		return out, nil
	case value.NoneType, value.UndefinedType:
		return nil, nil
	}
	return nil, notIterable(v)
}

func notIterable(v value.Value) error {
	return fmt.Errorf("'%s' object is not iterable", value.TypeName(v))
}

func (b *globals) allTrue(c call) (value.Value, error) {
	return b.truthQuant(c, true)
}

func (b *globals) anyTrue(c call) (value.Value, error) {
	return b.truthQuant(c, false)
}

func (b *globals) truthQuant(c call, all bool) (value.Value, error) {
	var v value.Value
	if err := c.unpack(&v); err != nil {
		return nil, err
	}
	items, err := iterItems(v, budgetOf(b.env))
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		t := value.Truthy(it)
		if all && !t {
			return value.Bool(false), nil
		}
		if !all && t {
			return value.Bool(true), nil
		}
	}
	return value.Bool(all), nil
}

func radixFunc(base int, prefix string) func(call) (value.Value, error) {
	return func(c call) (value.Value, error) {
		var n int64
		if err := c.unpack(&n); err != nil {
			return nil, err
		}
		if n < 0 {
			return value.Str("-" + prefix + new(big.Int).Neg(big.NewInt(n)).Text(base)), nil
		}
		return value.Str(prefix + strconv.FormatInt(n, base)), nil
	}
}

func builtinOrd(c call) (value.Value, error) {
	var s string
	if err := c.unpack(&s); err != nil {
		return nil, err
	}
	r := []rune(s)
	if len(r) != 1 {
		return nil, fmt.Errorf("ord() expected a character, but string of length %d found", len(r))
	}
	return value.Int(r[0]), nil
}

// sortValues sorts vs in place with value.Compare, counting the steps of
// the comparisons against budget.
func sortValues(vs []value.Value, reverse bool, budget *value.Budget) error {
	var cmpErr error
	sort.SliceStable(vs, func(i, j int) bool {
		if cmpErr != nil {
			return false // stopped: finish the sort quickly
		}
		c, err := value.CompareCounted(vs[i], vs[j], budget)
		if err != nil && cmpErr == nil {
			cmpErr = err
		}
		if reverse {
			return c > 0
		}
		return c < 0
	})
	return cmpErr
}

func (b *globals) sorted(c call) (value.Value, error) {
	var v value.Value
	var reverse bool
	if err := c.unpack(&v, &reverse); err != nil {
		return nil, err
	}
	budget := budgetOf(b.env)
	items, err := iterItems(v, budget)
	if err != nil {
		return nil, err
	}
	if !budget.Charge(value.SizeList + value.SizeListItem*int64(len(items))) {
		return nil, budget.Err()
	}
	out := make([]value.Value, len(items))
	copy(out, items)
	if err := sortValues(out, reverse, budget); err != nil {
		return nil, err
	}
	return &value.List{Items: out}, nil
}

// maxRangeLen bounds range() results (the evaluator's default output
// bound).
const maxRangeLen = 10_000_000

func (b *globals) rangeList(c call) (value.Value, error) {
	// start and stop are unpacked as given: range(n) means range(0, n).
	var startv, stopv value.Value
	var step int64
	if err := c.unpack(&startv, &stopv, &step); err != nil {
		return nil, err
	}
	var start, stop int64
	var err error
	if startv != nil && stopv == nil {
		stop, err = intArg(c, "start", startv, 0)
	} else if start, err = intArg(c, "start", startv, 0); err == nil {
		stop, err = intArg(c, "stop", stopv, 0)
	}
	if err != nil {
		return nil, err
	}
	if step == 0 {
		return nil, errors.New("range() step argument must not be zero")
	}
	// Number of items, computed in big arithmetic to avoid overflow.
	span := new(big.Int).Sub(big.NewInt(stop), big.NewInt(start))
	bstep := big.NewInt(step)
	if step < 0 {
		span.Neg(span)
		bstep.Neg(bstep)
	}
	n := int64(0)
	if span.Sign() > 0 {
		cnt := new(big.Int).Add(span, new(big.Int).Sub(bstep, big.NewInt(1)))
		cnt.Quo(cnt, bstep)
		if !cnt.IsInt64() || cnt.Int64() > maxRangeLen {
			return nil, fmt.Errorf("range() result is too large (more than %d items)", maxRangeLen)
		}
		n = cnt.Int64()
	}
	// Not charged here: the evaluator charges the list returned (and
	// bounds its length by the output bound).
	l := &value.List{Items: make([]value.Value, n)}
	for k := int64(0); k < n; k++ {
		l.Items[k] = value.Int(start + k*step)
	}
	return l, nil
}

func (b *globals) minMax(sign int) func(call) (value.Value, error) {
	return func(c call) (value.Value, error) {
		var args []value.Value
		if err := c.unpack(&args); err != nil {
			return nil, err
		}
		name := c.fn.Name
		budget := budgetOf(b.env)
		items := args
		if len(args) == 1 {
			it, err := iterItems(args[0], budget)
			if err != nil {
				return nil, err
			}
			items = it
		}
		if len(items) == 0 {
			return nil, fmt.Errorf("%s() arg is an empty sequence", name)
		}
		best := items[0]
		for _, it := range items[1:] {
			c, err := value.CompareCounted(it, best, budget)
			if err != nil {
				return nil, err
			}
			if c*sign > 0 {
				best = it
			}
		}
		return best, nil
	}
}

func (b *globals) sum(c call) (value.Value, error) {
	var v, acc value.Value
	if err := c.unpack(&v, &acc); err != nil {
		return nil, err
	}
	budget := budgetOf(b.env)
	items, err := iterItems(v, budget)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		// Adding lists or strings builds a new one each time (quadratic
		// in all): charge each before it is built.
		if n := concatSize(acc, it); n > 0 {
			if !budget.Charge(n) {
				return nil, budget.Err()
			}
		} else if !budget.Step() {
			return nil, budget.Err()
		}
		if acc, err = value.Binary("+", acc, it, value.ArithOptions{}); err != nil {
			return nil, err
		}
	}
	return acc, nil
}

// concatSize is the size of the string or list a + b builds, 0 for other
// operands.
func concatSize(a, b value.Value) int64 {
	switch x := a.(type) {
	case value.Str:
		if y, ok := b.(value.Str); ok {
			return value.SizeStr + int64(len(x)+len(y))
		}
	case *value.List:
		if y, ok := b.(*value.List); ok {
			return value.SizeList + value.SizeListItem*int64(len(x.Items)+len(y.Items))
		}
	}
	return 0
}

func builtinPow(c call) (value.Value, error) {
	var x, y, z value.Value
	if err := c.unpack(&x, &y, &z); err != nil {
		return nil, err
	}
	if z != nil {
		xi, ok1 := toInt(x)
		yi, ok2 := toInt(y)
		zi, ok3 := toInt(z)
		if !ok1 || !ok2 || !ok3 {
			return nil, errors.New("pow() 3rd argument not allowed unless all arguments are integers")
		}
		if zi == 0 {
			return nil, errors.New("pow() 3rd argument cannot be 0")
		}
		if yi < 0 {
			return nil, errors.New("pow() 2nd argument cannot be negative when 3rd argument specified")
		}
		r := new(big.Int).Exp(big.NewInt(xi), big.NewInt(yi), big.NewInt(zi))
		// Python's sign convention: the result has the sign of z.
		if r.Sign() != 0 && (r.Sign() < 0) != (zi < 0) {
			r.Add(r, big.NewInt(zi))
		}
		return value.Int(r.Int64()), nil
	}
	return value.Binary("**", x, y, value.ArithOptions{})
}

func builtinRound(c call) (value.Value, error) {
	var v, ndigits value.Value
	if err := c.unpack(&v, &ndigits); err != nil {
		return nil, err
	}
	if i, ok := v.(value.Int); ok {
		return i, nil
	}
	f, ok := toFloat(v)
	if !ok {
		return nil, fmt.Errorf("type %s doesn't define __round__ method", value.TypeName(v))
	}
	if ndigits == nil || ndigits == value.None {
		return value.Int(int64(math.RoundToEven(f))), nil
	}
	nd, err := intArg(c, "ndigits", ndigits, 0)
	if err != nil {
		return nil, err
	}
	s := strconv.FormatFloat(f, 'f', int(max(nd, 0)), 64)
	r, _ := strconv.ParseFloat(s, 64)
	if nd < 0 {
		p := math.Pow(10, float64(-nd))
		r = math.RoundToEven(f/p) * p
	}
	return value.Float(r), nil
}

func (b *globals) zip(c call) (value.Value, error) {
	var args []value.Value
	if err := c.unpack(&args); err != nil {
		return nil, err
	}
	budget := budgetOf(b.env)
	lists := make([][]value.Value, len(args))
	n := -1
	for i, arg := range args {
		items, err := iterItems(arg, budget)
		if err != nil {
			return nil, err
		}
		lists[i] = items
		if n < 0 || len(items) < n {
			n = len(items)
		}
	}
	n = max(n, 0)
	if !budget.Charge(value.SizeList + int64(n)*(value.SizeListItem+value.SizeList+value.SizeListItem*int64(len(lists)))) {
		return nil, budget.Err()
	}
	out := &value.List{Items: make([]value.Value, 0, n)}
	for i := 0; i < n; i++ {
		t := &value.List{Items: make([]value.Value, len(lists))}
		for j := range lists {
			t.Items[j] = lists[j][i]
		}
		out.Items = append(out.Items, t)
	}
	return out, nil
}

// unitMultipliers maps number-multiplier suffixes to their factors.
func unitMultiplier(suffix string) (float64, bool) {
	switch suffix {
	case "n":
		return 1e-9, true
	case "u":
		return 1e-6, true
	case "m":
		return 1e-3, true
	case "k", "K":
		return 1e3, true
	case "M":
		return 1e6, true
	case "G":
		return 1e9, true
	case "T":
		return 1e12, true
	case "P":
		return 1e15, true
	case "Ki":
		return 1 << 10, true
	case "Mi":
		return 1 << 20, true
	case "Gi":
		return 1 << 30, true
	case "Ti":
		return 1 << 40, true
	case "Pi":
		return 1 << 50, true
	}
	return 0, false
}

// parseUnitInt parses "1024Mi" and the like.
func parseUnitInt(s string) (int64, bool) {
	i := len(s)
	for i > 0 && (s[i-1] < '0' || s[i-1] > '9') {
		i--
	}
	if i == 0 || i == len(s) {
		return 0, false
	}
	m, ok := unitMultiplier(s[i:])
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, false
	}
	return int64(float64(n) * m), true
}

func builtinInt(c call) (value.Value, error) {
	var v value.Value
	var base int64
	if err := c.unpack(&v, &base); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case value.Int:
		return x, nil
	case value.Bool:
		n, _ := toInt(x)
		return value.Int(n), nil
	case value.Float:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("cannot convert float %s to integer", value.FormatFloat(f))
		}
		return value.Int(int64(f)), nil
	case value.Unit:
		return value.Int(int64(x.Float)), nil
	case value.Str:
		return parseIntStr(string(x), base)
	}
	return nil, fmt.Errorf("int() argument must be a string, a bytes-like object or a number, not '%s'", value.TypeName(v))
}

func parseIntStr(s string, base int64) (value.Value, error) {
	t := strings.TrimSpace(s)
	bad := fmt.Errorf("invalid literal for int() with base %d: '%s'", base, s)
	if base == 10 {
		if n, ok := parseUnitInt(t); ok {
			return value.Int(n), nil
		}
	}
	neg := false
	body := t
	if strings.HasPrefix(body, "-") {
		neg = true
		body = body[1:]
	} else {
		body = strings.TrimPrefix(body, "+")
	}
	lower := strings.ToLower(body)
	switch {
	case base == 16 && strings.HasPrefix(lower, "0x"),
		base == 8 && strings.HasPrefix(lower, "0o"),
		base == 2 && strings.HasPrefix(lower, "0b"):
		body = body[2:]
	case base == 0:
		switch {
		case strings.HasPrefix(lower, "0x"):
			base, body = 16, body[2:]
		case strings.HasPrefix(lower, "0o"):
			base, body = 8, body[2:]
		case strings.HasPrefix(lower, "0b"):
			base, body = 2, body[2:]
		default:
			base = 10
		}
	}
	if base < 2 || base > 36 {
		return nil, errors.New("int() base must be >= 2 and <= 36, or 0")
	}
	body = strings.ReplaceAll(body, "_", "")
	n, err := strconv.ParseInt(body, int(base), 64)
	if err != nil || body == "" {
		return nil, bad
	}
	if neg {
		n = -n
	}
	return value.Int(n), nil
}

func builtinFloat(c call) (value.Value, error) {
	var v value.Value
	if err := c.unpack(&v); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case value.Float:
		return x, nil
	case value.Int, value.Bool, value.Unit:
		f, _ := toFloat(x)
		return value.Float(f), nil
	case value.Str:
		t := strings.TrimSpace(string(x))
		switch strings.ToLower(t) {
		case "nan", "+nan", "-nan":
			return value.Float(math.NaN()), nil
		case "inf", "+inf", "infinity", "+infinity":
			return value.Float(math.Inf(1)), nil
		case "-inf", "-infinity":
			return value.Float(math.Inf(-1)), nil
		}
		f, err := strconv.ParseFloat(t, 64)
		if err != nil {
			if n, ok := parseUnitInt(t); ok {
				return value.Float(float64(n)), nil
			}
			return nil, fmt.Errorf("invalid literal for float(): '%s'", string(x))
		}
		return value.Float(f), nil
	}
	return nil, fmt.Errorf("float() argument must be a string or a number, not '%s'", value.TypeName(v))
}

func builtinBool(c call) (value.Value, error) {
	var x bool
	if err := c.unpack(&x); err != nil {
		return nil, err
	}
	return value.Bool(x), nil
}

func (b *globals) str(c call) (value.Value, error) {
	// str(Undefined) is "Undefined": x is looked at as given.
	if len(c.args) == 1 && len(c.kwargs) == 0 {
		if _, undef := c.args[0].(value.UndefinedType); undef {
			return value.Str(value.ToStr(c.args[0])), nil
		}
	}
	var x value.Value
	if err := c.unpack(&x); err != nil {
		return nil, err
	}
	if x == nil {
		return value.Str(""), nil
	}
	budget := budgetOf(b.env)
	s := value.ToStrCounted(x, budget)
	if err := budget.Err(); err != nil {
		return nil, err
	}
	return value.Str(s), nil
}

func (b *globals) list(c call) (value.Value, error) {
	var x value.Value
	if err := c.unpack(&x); err != nil {
		return nil, err
	}
	if x == nil {
		return &value.List{}, nil
	}
	budget := budgetOf(b.env)
	items, err := iterItems(x, budget)
	if err != nil {
		return nil, err
	}
	if !budget.Charge(value.SizeList + value.SizeListItem*int64(len(items))) {
		return nil, budget.Err()
	}
	out := make([]value.Value, len(items))
	for i, it := range items {
		out[i] = value.CopyCounted(it, budget)
	}
	if err := budget.Err(); err != nil {
		return nil, err
	}
	return &value.List{Items: out}, nil
}

func (b *globals) dict(c call) (value.Value, error) {
	budget := budgetOf(b.env)
	if len(c.args) > 1 {
		return nil, fmt.Errorf("dict expected at most 1 argument, got %d", len(c.args))
	}
	// Every keyword argument is an entry, x=1 too: x is positional-only.
	var arg value.Value
	if err := UnpackArgs(c.fn, c.args, nil, &arg, nil); err != nil {
		return nil, err
	}
	kwargs := c.kwargs
	d := value.NewDict()
	if arg != nil {
		switch x := arg.(type) {
		case *value.Dict:
			for _, e := range x.Entries() {
				d.SetEntry(value.Entry{Key: e.Key, Value: value.CopyCounted(e.Value, budget), Op: e.Op})
			}
		case *value.Schema:
			if x.Attrs != nil {
				for _, e := range x.Attrs.Entries() {
					d.Set(e.Key, value.CopyCounted(e.Value, budget))
				}
			}
		case *value.List:
			for _, it := range x.Items {
				pair, ok := it.(*value.List)
				if !ok || len(pair.Items) != 2 {
					return nil, errors.New("dictionary update sequence element has wrong length; 2 is required")
				}
				d.Set(value.ToStr(pair.Items[0]), value.CopyCounted(pair.Items[1], budget))
			}
		case value.NoneType, value.UndefinedType:
		default:
			return nil, fmt.Errorf("'%s' object is not iterable", value.TypeName(x))
		}
	}
	for _, kw := range kwargs {
		d.Set(kw.Key, kw.Value)
	}
	if err := budget.Err(); err != nil {
		return nil, err
	}
	return d, nil
}

func builtinTypeof(c call) (value.Value, error) {
	var v value.Value
	var fullName bool
	if err := c.unpack(&v, &fullName); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case *value.Schema:
		if fullName && x.PkgPath != "" && x.PkgPath != "__main__" {
			return value.Str(x.PkgPath + "." + x.Name), nil
		}
		return value.Str(x.Name), nil
	case value.Unit:
		return value.Str(fmt.Sprintf("number_multiplier(%d%s)", x.Raw, x.Suffix)), nil
	}
	return value.Str(v.Type()), nil
}

func (b *globals) isUnique(c call) (value.Value, error) {
	var v value.Value
	if err := c.unpack(&v); err != nil {
		return nil, err
	}
	budget := budgetOf(b.env)
	items, err := iterItems(v, budget)
	if err != nil {
		return nil, err
	}
	for i := range items {
		for j := i + 1; j < len(items); j++ {
			if !budget.Step() {
				return nil, budget.Err()
			}
			if value.EqualCounted(items[i], items[j], budget) {
				return value.Bool(false), nil
			}
			if err := budget.Err(); err != nil {
				return nil, err
			}
		}
	}
	return value.Bool(true), nil
}

func builtinIsNullish(c call) (value.Value, error) {
	var v value.Value
	if err := c.unpack(&v); err != nil {
		return nil, err
	}
	switch v.(type) {
	case value.NoneType, value.UndefinedType:
		return value.Bool(true), nil
	}
	return value.Bool(false), nil
}

func builtinMultiplyOf(c call) (value.Value, error) {
	var x, y int64
	if err := c.unpack(&x, &y); err != nil {
		return nil, err
	}
	if y == 0 {
		return nil, errors.New("integer division or modulo by zero")
	}
	return value.Bool(x%y == 0), nil
}

func (b *globals) reduce(c call) (value.Value, error) {
	var reducer, v, initial value.Value
	if err := c.unpack(&reducer, &v, &initial); err != nil {
		return nil, err
	}
	f, ok := reducer.(*value.Func)
	if !ok || f.Call == nil {
		return nil, errors.New("reduce() argument 'reducer' must be a function")
	}
	items, err := iterItems(v, budgetOf(b.env))
	if err != nil {
		return nil, err
	}
	var acc value.Value
	start := 0
	switch {
	case initial != nil:
		acc = initial
	case len(items) > 0:
		acc = items[0]
		start = 1
	default:
		if pt, ok := f.Def.(ParamTyper); ok {
			types := pt.ParamTypes()
			if len(types) > 0 && !nullableType(types[0]) {
				return nil, fmt.Errorf("reduce() empty list with no initial value and non-nullable accumulator type '%s'", types[0])
			}
		}
		return value.None, nil
	}
	for _, it := range items[start:] {
		if acc, err = f.Call([]value.Value{acc, it}, nil); err != nil {
			return nil, err
		}
	}
	return acc, nil
}

// nullableType reports whether a declared type admits None.
func nullableType(t string) bool {
	if t == "" || t == "any" {
		return true
	}
	for _, part := range strings.Split(t, "|") {
		if p := strings.TrimSpace(part); p == "None" || p == "any" {
			return true
		}
	}
	return false
}

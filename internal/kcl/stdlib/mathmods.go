package stdlib

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/builtins"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

func regexModule(env Env) map[string]value.Value {
	def := defs("regex")
	compile := func(p string) (*regexp.Regexp, error) {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("invalid regular expression %q: %w", p, err)
		}
		return re, nil
	}
	// match takes (string, pattern) and compiles the pattern.
	match := func(c call) (string, *regexp.Regexp, error) {
		var s, p string
		if err := c.unpack(&s, &p); err != nil {
			return "", nil, err
		}
		re, err := compile(p)
		return s, re, err
	}
	return members(
		def("match", func(c call) (value.Value, error) {
			s, re, err := match(c)
			if err != nil {
				return nil, err
			}
			return value.Bool(re.MatchString(s)), nil
		}),
		def("search", func(c call) (value.Value, error) {
			s, re, err := match(c)
			if err != nil {
				return nil, err
			}
			return value.Bool(re.MatchString(s)), nil
		}),
		def("compile", func(c call) (value.Value, error) {
			var p string
			if err := c.unpack(&p); err != nil {
				return nil, err
			}
			_, err := regexp.Compile(p)
			return value.Bool(err == nil), nil
		}),
		def("replace", func(c call) (value.Value, error) {
			var s, p, repl string
			var count int64
			if err := c.unpack(&s, &p, &repl, &count); err != nil {
				return nil, err
			}
			re, err := compile(p)
			if err != nil {
				return nil, err
			}
			budget := budgetOf(env)
			if !budget.Charge(value.SizeStr + int64(len(s))) {
				return nil, budget.Err()
			}
			n := int64(0)
			out := re.ReplaceAllStringFunc(s, func(m string) string {
				n++
				if count > 0 && n > count || budget.Err() != nil {
					return m
				}
				// Expand $1-style references against this match.
				sub := re.FindStringSubmatchIndex(m)
				r := repl
				if sub != nil {
					r = string(re.ExpandString(nil, repl, m, sub))
				}
				// What the replacement adds (an empty pattern matches
				// between every two characters), charged as it is built;
				// once refused the rest is left as it is.
				if !budget.Charge(int64(len(r))) {
					return m
				}
				return r
			})
			if err := budget.Err(); err != nil {
				return nil, err
			}
			return value.Str(out), nil
		}),
		def("findall", func(c call) (value.Value, error) {
			s, re, err := match(c)
			if err != nil {
				return nil, err
			}
			budget := budgetOf(env)
			// Per match: its index pair(s), a list slot and a list of
			// groups; no more matches are looked for than the budget
			// can hold.
			per := int64(24+16*(re.NumSubexp()+1)) + value.SizeListItem + value.SizeStr + int64(re.NumSubexp())*(value.SizeListItem+value.SizeStr)
			matches := re.FindAllStringSubmatchIndex(s, affordable(budget, per))
			if !budget.Charge(value.SizeList + int64(len(matches))*per) {
				return nil, budget.Err()
			}
			out := &value.List{Items: make([]value.Value, 0, len(matches))}
			for _, loc := range matches {
				m := make([]string, len(loc)/2)
				for i := range m {
					if loc[2*i] >= 0 {
						m[i] = s[loc[2*i]:loc[2*i+1]]
					}
				}
				if len(m) == 1 {
					out.Items = append(out.Items, value.Str(m[0]))
					continue
				}
				out.Items = append(out.Items, strList(m[1:]))
			}
			return out, nil
		}),
		def("split", func(c call) (value.Value, error) {
			var s, p string
			var maxsplit int64
			if err := c.unpack(&s, &p, &maxsplit); err != nil {
				return nil, err
			}
			re, err := compile(p)
			if err != nil {
				return nil, err
			}
			n := -1
			if maxsplit > 0 {
				n = int(maxsplit) + 1
			}
			budget := budgetOf(env)
			per := int64(40) + value.SizeListItem + value.SizeStr
			limit := affordable(budget, per)
			if n >= 0 && (limit < 0 || n < limit) {
				limit = n
			}
			parts := len(re.FindAllStringIndex(s, limit)) + 1
			if !budget.Charge(value.SizeList + int64(parts)*per) {
				return nil, budget.Err()
			}
			return strList(re.Split(s, n)), nil
		}),
	)
}

// affordable is how many things of per bytes b can still pay for, plus
// one (so that the charge for them fails), or -1 (no limit) without a
// budget: the n of regexp's FindAll functions.
func affordable(b *value.Budget, per int64) int {
	if b == nil || b.Limit() == math.MaxInt64 {
		return -1
	}
	n := (b.Limit()-b.Used())/per + 1
	return int(min(max(n, 1), math.MaxInt32))
}

func mathModule(Env) map[string]value.Value {
	def := defs("math")
	num := func(name string, f func(float64) (value.Value, error)) *value.Func {
		return def(name, func(c call) (value.Value, error) {
			var x float64
			if err := c.unpack(&x); err != nil {
				return nil, err
			}
			return f(x)
		})
	}
	flt := func(name string, f func(float64) float64) *value.Func {
		return num(name, func(x float64) (value.Value, error) { return value.Float(f(x)), nil })
	}
	intRound := func(name string, f func(float64) float64) *value.Func {
		return def(name, func(c call) (value.Value, error) {
			var v value.Value
			if err := c.unpack(&v); err != nil {
				return nil, err
			}
			if i, ok := v.(value.Int); ok {
				return i, nil
			}
			var x float64
			if err := c.unpack(&x); err != nil {
				return nil, err
			}
			return value.Int(int64(f(x))), nil
		})
	}
	return members(
		intRound("ceil", math.Ceil),
		intRound("floor", math.Floor),
		def("factorial", func(c call) (value.Value, error) {
			var v value.Value
			if err := c.unpack(&v); err != nil {
				return nil, err
			}
			var n int64
			switch x := v.(type) {
			case value.Int:
				n = int64(x)
			case value.Float:
				if float64(x) != math.Trunc(float64(x)) {
					return nil, errors.New("factorial() only accepts integral values")
				}
				n = int64(x)
			default:
				return nil, fmt.Errorf("factorial() argument must be a number, not %s", value.TypeName(v))
			}
			if n < 0 {
				return nil, errors.New("factorial() not defined for negative values")
			}
			// 20! is the largest factorial that fits in 64 bits; do not
			// compute huge ones only to reject them.
			if n > 20 {
				return nil, fmt.Errorf("factorial(%d): A 64 bit integer overflow", n)
			}
			r := new(big.Int).MulRange(1, max(n, 1))
			return value.Int(r.Int64()), nil
		}),
		def("gcd", func(c call) (value.Value, error) {
			var x, y int64
			if err := c.unpack(&x, &y); err != nil {
				return nil, err
			}
			r := new(big.Int).GCD(nil, nil, new(big.Int).Abs(big.NewInt(x)), new(big.Int).Abs(big.NewInt(y)))
			return value.Int(r.Int64()), nil
		}),
		num("isfinite", func(x float64) (value.Value, error) {
			return value.Bool(!math.IsInf(x, 0) && !math.IsNaN(x)), nil
		}),
		num("isinf", func(x float64) (value.Value, error) { return value.Bool(math.IsInf(x, 0)), nil }),
		num("isnan", func(x float64) (value.Value, error) { return value.Bool(math.IsNaN(x)), nil }),
		num("modf", func(x float64) (value.Value, error) {
			i, f := math.Modf(x)
			return &value.List{Items: []value.Value{value.Float(f), value.Float(i)}}, nil
		}),
		flt("exp", preciseExp),
		flt("expm1", preciseExpm1),
		flt("log1p", math.Log1p),
		flt("log2", math.Log2),
		flt("log10", math.Log10),
		flt("sqrt", math.Sqrt),
		def("log", func(c call) (value.Value, error) {
			var xv value.Value
			var x float64
			base := math.NaN() // left out: the natural logarithm
			if err := c.unpack(&xv, &base); err != nil {
				return nil, err
			}
			if err := c.unpack(&x, nil); err != nil {
				return nil, err
			}
			r := math.Log(x)
			if !math.IsNaN(base) {
				r /= math.Log(base)
			}
			// KCL returns an int (truncated) for an int argument:
			// math.log(10) is 2 (corpus kcl-evaluator-snapshots/import_stmt_3).
			if _, isInt := xv.(value.Int); isInt && !math.IsInf(r, 0) && !math.IsNaN(r) {
				return value.Int(int64(r)), nil
			}
			return value.Float(r), nil
		}),
		def("pow", func(c call) (value.Value, error) {
			var x, y float64
			if err := c.unpack(&x, &y); err != nil {
				return nil, err
			}
			return value.Float(math.Pow(x, y)), nil
		}),
	)
}

// unitsModule has the table's members of units: a constant per multiplier
// suffix (n, u and m are floats) and a to_<suffix> conversion for each.
func unitsModule(Env) map[string]value.Value {
	m := map[string]value.Value{}
	for _, c := range builtins.Consts("units") {
		f, ok := unitMultiplier(c.Name)
		switch {
		case !ok: // NumberMultiplier, a type
		case f < 1:
			m[c.Name] = value.Float(f)
		default:
			m[c.Name] = value.Int(int64(f))
		}
	}
	for _, f := range builtins.Funcs("units") {
		suffix := strings.TrimPrefix(f.Name, "to_")
		mult, _ := unitMultiplier(suffix)
		m[f.Name] = def("units", f.Name, func(c call) (value.Value, error) {
			var x float64
			if err := c.unpack(&x); err != nil {
				return nil, err
			}
			return value.Str(strconv.FormatInt(int64(x/mult), 10) + suffix), nil
		})
	}
	return m
}

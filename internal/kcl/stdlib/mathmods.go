package stdlib

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

func regexModule(env Env) map[string]value.Value {
	compile := func(a *bound, strIdx, patIdx int) (string, *regexp.Regexp, error) {
		s, err := a.str(strIdx, "string")
		if err != nil {
			return "", nil, err
		}
		p, err := a.str(patIdx, "pattern")
		if err != nil {
			return "", nil, err
		}
		re, err := regexp.Compile(p)
		if err != nil {
			return "", nil, fmt.Errorf("invalid regular expression %q: %w", p, err)
		}
		return s, re, nil
	}
	return members(
		fn("match", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("match", args, kwargs, "string", "pattern")
			if err != nil {
				return nil, err
			}
			s, re, err := compile(a, 0, 1)
			if err != nil {
				return nil, err
			}
			return value.Bool(re.MatchString(s)), nil
		}),
		fn("search", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("search", args, kwargs, "string", "pattern")
			if err != nil {
				return nil, err
			}
			s, re, err := compile(a, 0, 1)
			if err != nil {
				return nil, err
			}
			return value.Bool(re.MatchString(s)), nil
		}),
		fn("compile", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("compile", args, kwargs, "pattern")
			if err != nil {
				return nil, err
			}
			p, err := a.str(0, "pattern")
			if err != nil {
				return nil, err
			}
			_, err = regexp.Compile(p)
			return value.Bool(err == nil), nil
		}),
		fn("replace", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("replace", args, kwargs, "string", "pattern", "replace", "count")
			if err != nil {
				return nil, err
			}
			s, re, err := compile(a, 0, 1)
			if err != nil {
				return nil, err
			}
			repl, err := a.str(2, "replace")
			if err != nil {
				return nil, err
			}
			count, err := a.optInt(3, "count", 0)
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
		fn("findall", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("findall", args, kwargs, "string", "pattern")
			if err != nil {
				return nil, err
			}
			s, re, err := compile(a, 0, 1)
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
		fn("split", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("split", args, kwargs, "string", "pattern", "maxsplit")
			if err != nil {
				return nil, err
			}
			s, re, err := compile(a, 0, 1)
			if err != nil {
				return nil, err
			}
			maxsplit, err := a.optInt(2, "maxsplit", 0)
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
	num := func(name string, f func(float64) (value.Value, error)) *value.Func {
		return fn(name, func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind(name, args, kwargs, "x")
			if err != nil {
				return nil, err
			}
			x, err := a.float(0, "x")
			if err != nil {
				return nil, err
			}
			return f(x)
		})
	}
	flt := func(name string, f func(float64) float64) *value.Func {
		return num(name, func(x float64) (value.Value, error) { return value.Float(f(x)), nil })
	}
	intRound := func(name string, f func(float64) float64) *value.Func {
		return fn(name, func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind(name, args, kwargs, "x")
			if err != nil {
				return nil, err
			}
			v, err := a.required(0, "x")
			if err != nil {
				return nil, err
			}
			if i, ok := v.(value.Int); ok {
				return i, nil
			}
			x, err := a.float(0, "x")
			if err != nil {
				return nil, err
			}
			return value.Int(int64(f(x))), nil
		})
	}
	return members(
		intRound("ceil", math.Ceil),
		intRound("floor", math.Floor),
		fn("factorial", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("factorial", args, kwargs, "x")
			if err != nil {
				return nil, err
			}
			v, err := a.required(0, "x")
			if err != nil {
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
		fn("gcd", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("gcd", args, kwargs, "a", "b")
			if err != nil {
				return nil, err
			}
			x, err := a.int(0, "a")
			if err != nil {
				return nil, err
			}
			y, err := a.int(1, "b")
			if err != nil {
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
		fn("log", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("log", args, kwargs, "x", "e")
			if err != nil {
				return nil, err
			}
			x, err := a.float(0, "x")
			if err != nil {
				return nil, err
			}
			r := math.Log(x)
			if a.has(1) {
				base, err := a.float(1, "e")
				if err != nil {
					return nil, err
				}
				r /= math.Log(base)
			}
			// KCL returns an int (truncated) for an int argument:
			// math.log(10) is 2 (corpus kcl-evaluator-snapshots/import_stmt_3).
			if _, isInt := a.vals[0].(value.Int); isInt && !math.IsInf(r, 0) && !math.IsNaN(r) {
				return value.Int(int64(r)), nil
			}
			return value.Float(r), nil
		}),
		fn("pow", func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind("pow", args, kwargs, "x", "y")
			if err != nil {
				return nil, err
			}
			x, err := a.float(0, "x")
			if err != nil {
				return nil, err
			}
			y, err := a.float(1, "y")
			if err != nil {
				return nil, err
			}
			return value.Float(math.Pow(x, y)), nil
		}),
	)
}

func unitsModule(Env) map[string]value.Value {
	m := map[string]value.Value{
		"n": value.Float(1e-9),
		"u": value.Float(1e-6),
		"m": value.Float(1e-3),
	}
	for _, s := range []string{"k", "K", "M", "G", "T", "P", "Ki", "Mi", "Gi", "Ti", "Pi"} {
		f, _ := unitMultiplier(s)
		m[s] = value.Int(int64(f))
	}
	for _, s := range []string{"n", "u", "m", "K", "M", "G", "T", "P", "Ki", "Mi", "Gi", "Ti", "Pi"} {
		name := "to_" + s
		mult, _ := unitMultiplier(s)
		suffix := s
		m[name] = fn(name, func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			a, err := bind(name, args, kwargs, "num")
			if err != nil {
				return nil, err
			}
			x, err := a.float(0, "num")
			if err != nil {
				return nil, err
			}
			return value.Str(strconv.FormatInt(int64(x/mult), 10) + suffix), nil
		})
	}
	return m
}

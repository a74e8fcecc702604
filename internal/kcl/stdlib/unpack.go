package stdlib

import (
	"fmt"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/builtins"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// UnpackArgs matches the arguments of a call of f to f's parameters as the
// builtin table declares them, and stores each parameter's value through
// the pointer of dst at the parameter's index (dst has one entry per
// parameter; a nil entry accepts the argument and ignores it):
//
//	*value.Value    any value, as given
//	*string         a str
//	*int64          an int (a bool or a unit value converts)
//	*float64        a float (an int, a bool or a unit value converts)
//	*bool           the truth value of any value
//	*[]value.Value  *args: the positional arguments beyond the others
//	*[]value.Entry  **kwargs: the keyword arguments naming no parameter
//
// A left-out optional parameter, or one given Undefined, gets its default
// from the table (a None default or a None argument leaves a *string,
// *int64, *float64 untouched); without a default its pointer is left as
// it is, so a *value.Value still nil tells it was not given. The errors
// are Python's: too many positional arguments, an unexpected keyword, a
// keyword repeating a positional argument, a missing required argument,
// an argument of the wrong type.
func UnpackArgs(f *builtins.Func, args []value.Value, kwargs []value.Entry, dst ...any) error {
	if len(dst) != len(f.Params) {
		return fmt.Errorf("internal error: %s() unpacked into %d values, it has %d parameters", f.Name, len(dst), len(f.Params))
	}
	// The table puts the positional parameters first, then *args, the
	// keyword-only ones and **kwargs.
	npos := 0
	hasRest, hasExtra := false, false
	for _, p := range f.Params {
		switch p.Kind {
		case builtins.Positional:
			npos++
		case builtins.VarArgs:
			hasRest = true
		case builtins.KwArgs:
			hasExtra = true
		}
	}
	var buf [8]value.Value
	vals := buf[:0]
	if len(f.Params) > len(buf) {
		vals = make([]value.Value, 0, len(f.Params))
	}
	vals = vals[:len(f.Params)]
	var rest []value.Value
	if len(args) > npos {
		if !hasRest {
			return fmt.Errorf("%s() takes %d positional argument%s but %d were given", f.Name, npos, plural(npos), len(args))
		}
		rest = args[npos:]
		args = args[:npos]
	}
	copy(vals, args)
	var extra []value.Entry
	for _, kw := range kwargs {
		i := paramIndex(f, kw.Key)
		if i < 0 {
			if !hasExtra {
				return fmt.Errorf("%s() got an unexpected keyword argument '%s'", f.Name, kw.Key)
			}
			extra = append(extra, kw)
			continue
		}
		if i < len(args) {
			return fmt.Errorf("%s() got multiple values for argument '%s'", f.Name, kw.Key)
		}
		vals[i] = kw.Value
	}
	for i, p := range f.Params {
		switch p.Kind {
		case builtins.VarArgs:
			if d, ok := dst[i].(*[]value.Value); ok {
				*d = rest
			}
			continue
		case builtins.KwArgs:
			if d, ok := dst[i].(*[]value.Entry); ok {
				*d = extra
			}
			continue
		}
		v := vals[i]
		if p.Optional && (isUndefined(v) || isNone(v) && scalar(dst[i])) {
			v = nil
		}
		if v == nil {
			if !p.Optional {
				return &MissingArgError{Func: f.Name, Param: p.Name}
			}
			if p.Default == "" {
				continue
			}
			if v = defaultValue(p.Default); isNone(v) && scalar(dst[i]) {
				continue
			}
		}
		if err := store(f, p, v, dst[i]); err != nil {
			return err
		}
	}
	return nil
}

// MissingArgError is the error of a call leaving out a required argument.
type MissingArgError struct {
	Func, Param string
}

func (e *MissingArgError) Error() string {
	return fmt.Sprintf("%s() missing 1 required positional argument: '%s'", e.Func, e.Param)
}

// paramIndex returns the index of the parameter a keyword argument name
// may set, or -1.
func paramIndex(f *builtins.Func, name string) int {
	for i, p := range f.Params {
		if p.Name == name && (p.Kind == builtins.Positional || p.Kind == builtins.KeywordOnly) {
			return i
		}
	}
	return -1
}

// defaultValue is the value of a default's source text, which the table's
// own test has checked.
func defaultValue(src string) value.Value {
	lit, _ := builtins.Literal(src)
	switch x := lit.(type) {
	case bool:
		return value.Bool(x)
	case int64:
		return value.Int(x)
	case float64:
		return value.Float(x)
	case string:
		return value.Str(x)
	}
	return value.None
}

func isUndefined(v value.Value) bool {
	_, ok := v.(value.UndefinedType)
	return ok
}

func isNone(v value.Value) bool {
	_, ok := v.(value.NoneType)
	return ok
}

// scalar reports whether dst is a *string, *int64 or *float64, for which
// None means "left out".
func scalar(dst any) bool {
	switch dst.(type) {
	case *string, *int64, *float64:
		return true
	}
	return false
}

// store converts v for parameter p of f and stores it through dst.
func store(f *builtins.Func, p builtins.Param, v value.Value, dst any) error {
	wrong := func(want string) error {
		return fmt.Errorf("%s() argument '%s' must be %s, not %s", f.Name, p.Name, want, value.TypeName(v))
	}
	switch d := dst.(type) {
	case nil:
	case *value.Value:
		*d = v
	case *bool:
		*d = value.Truthy(v)
	case *string:
		s, ok := v.(value.Str)
		if !ok {
			return wrong("str")
		}
		*d = string(s)
	case *int64:
		n, ok := toInt(v)
		if !ok {
			return wrong("int")
		}
		*d = n
	case *float64:
		x, ok := toFloat(v)
		if !ok {
			return wrong("float")
		}
		*d = x
	default:
		return fmt.Errorf("internal error: %s() cannot unpack '%s' into that destination", f.Name, p.Name)
	}
	return nil
}

// intArg converts the argument v of parameter name, unpacked as given, to
// an int: def when it was left out (nil) or None.
func intArg(c call, name string, v value.Value, def int64) (int64, error) {
	if v == nil || isNone(v) {
		return def, nil
	}
	n, ok := toInt(v)
	if !ok {
		return 0, fmt.Errorf("%s() argument '%s' must be int, not %s", c.fn.Name, name, value.TypeName(v))
	}
	return n, nil
}

// strArg converts the argument v of parameter name, unpacked as given, to
// a string.
func strArg(c call, name string, v value.Value) (string, error) {
	s, ok := v.(value.Str)
	if !ok {
		return "", fmt.Errorf("%s() argument '%s' must be str, not %s", c.fn.Name, name, value.TypeName(v))
	}
	return string(s), nil
}

// call is one call of a builtin: its entry in the table and its arguments.
type call struct {
	fn     *builtins.Func
	args   []value.Value
	kwargs []value.Entry
}

// unpack is UnpackArgs for this call.
func (c call) unpack(dst ...any) error {
	return UnpackArgs(c.fn, c.args, c.kwargs, dst...)
}

// def returns the builtin name of module (a system module, or
// builtins.Global …) implemented by impl. It panics when the table has no
// such function: every function of the library is declared there.
func def(module, name string, impl func(c call) (value.Value, error)) *value.Func {
	f := builtins.Lookup(module, name)
	if f == nil {
		panic(fmt.Sprintf("stdlib: %q.%s is not in the builtin table", module, name))
	}
	return &value.Func{Name: name, Call: func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
		return impl(call{fn: f, args: args, kwargs: kwargs})
	}}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// defs returns def for the members of the system module.
func defs(module string) func(name string, impl func(c call) (value.Value, error)) *value.Func {
	return func(name string, impl func(c call) (value.Value, error)) *value.Func {
		return def(module, name, impl)
	}
}

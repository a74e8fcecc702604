package eval

import (
	"fmt"
	"io"
	"strconv"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/builtins"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/stdlib"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// env implements stdlib.Env for one evaluation.
type env struct{ e *evaluator }

func (v env) ModRoot() string       { return v.e.cfg.ModRoot }
func (v env) WorkDir() string       { return v.e.cfg.WorkDir }
func (v env) CurrentFile() string   { return v.e.curFile }
func (v env) FS() *sandbox.FS       { return v.e.cfg.Sandbox }
func (v env) Stdout() io.Writer     { return v.e.stdout }
func (v env) Budget() *value.Budget { return v.e.budget }
func (v env) SetStream(text string) {
	t := text
	v.e.stream = &t
}

// Message returns the bare message of the diagnostic (runtime.catch).
func (k *kclErr) Message() string {
	if len(k.d.Messages) == 0 {
		return string(k.d.Kind)
	}
	return k.d.Messages[0].Text
}

func (e *evaluator) makeBuiltins() map[string]value.Value {
	out := map[string]value.Value{}
	for name, f := range stdlib.Builtins(env{e}) {
		out[name] = f
	}
	out["option"] = &value.Func{Name: "option", Call: e.option}
	if rf, ok := out["range"].(*value.Func); ok {
		inner := rf.Call
		out["range"] = &value.Func{Name: "range", Call: func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			if n := rangeLen(args); n > int64(e.cfg.MaxOutput) {
				return nil, fmt.Errorf("value too large: range of %d elements would exceed the output bound %d", n, e.cfg.MaxOutput)
			}
			return inner(args, kwargs)
		}}
	}
	if tf, ok := out["typeof"].(*value.Func); ok {
		inner := tf.Call
		out["typeof"] = &value.Func{Name: "typeof", Call: func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
			if len(args) > 0 {
				if f, ok := args[0].(*value.Func); ok {
					if _, isSchema := f.Def.(*schemaDef); isSchema {
						return value.Str("type"), nil
					}
				}
				if _, ok := args[0].(*module); ok {
					return value.Str("module"), nil
				}
			}
			return inner(args, kwargs)
		}}
	}
	return out
}

func (e *evaluator) strMethod(s value.Str, name string) (value.Value, bool) {
	f, ok := stdlib.StrMethodCounted(s, name, e.budget)
	if !ok {
		return nil, false
	}
	return f, true
}

func (e *evaluator) sysModule(name string) *module {
	if m, ok := e.sysmods[name]; ok {
		return m
	}
	members, ok := stdlib.Module(name, env{e})
	if !ok {
		return nil
	}
	m := &module{name: name, path: name, sys: members}
	e.sysmods[name] = m
	return m
}

// optionSig is option's entry in the builtin table.
var optionSig = builtins.Lookup(builtins.Global, "option")

// option implements option(key, type="", required=False, default?, help="").
func (e *evaluator) option(args []value.Value, kwargs []value.Entry) (value.Value, error) {
	var keyv, typv, def value.Value
	var required bool
	if err := stdlib.UnpackArgs(optionSig, args, kwargs, &keyv, &typv, &required, &def, nil); err != nil {
		return nil, err
	}
	// key and type are taken as text, whatever their type.
	key, typ := value.ToStr(keyv), value.ToStr(typv)
	v, ok := e.options[key]
	if !ok {
		if def != nil {
			return convertOption(def, typ)
		}
		if required {
			return nil, fmt.Errorf("option('%s') must be initialized, try '-D %s=?' argument", key, key)
		}
		return value.None, nil
	}
	return convertOption(v, typ)
}

func convertOption(v value.Value, typ string) (value.Value, error) {
	switch typ {
	case "", "any":
		return v, nil
	case "bool":
		switch x := v.(type) {
		case value.Bool:
			return x, nil
		case value.Int:
			return value.Bool(x != 0), nil
		case value.Float:
			return value.Bool(x != 0), nil
		case value.Str:
			return value.Bool(x == "True" || x == "true"), nil
		case value.NoneType:
			return x, nil
		}
		return value.Undefined, nil
	case "int":
		switch x := v.(type) {
		case value.Int:
			return x, nil
		case value.Float:
			return value.Int(int64(x)), nil
		case value.Bool:
			return value.Int(boolInt(bool(x))), nil
		case value.Str:
			n, err := strconv.ParseInt(string(x), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("cannot use '%s' as type 'int'", x)
			}
			return value.Int(n), nil
		case value.NoneType:
			return x, nil
		}
		return nil, fmt.Errorf("cannot use '%s' as type 'int'", value.ToStr(v))
	case "float":
		switch x := v.(type) {
		case value.Float:
			return x, nil
		case value.Int:
			return value.Float(float64(x)), nil
		case value.Str:
			f, err := strconv.ParseFloat(string(x), 64)
			if err != nil {
				return value.Float(0), nil
			}
			return value.Float(f), nil
		case value.NoneType:
			return x, nil
		}
		return nil, fmt.Errorf("cannot use '%s' as type 'float'", value.ToStr(v))
	case "str":
		switch x := v.(type) {
		case value.Str:
			return x, nil
		case value.Bool:
			if x {
				return value.Str("true"), nil
			}
			return value.Str("false"), nil
		case value.Int, value.Float:
			return value.Str(value.ToStr(x)), nil
		case value.NoneType:
			return x, nil
		}
		return nil, fmt.Errorf("cannot use '%s' as type 'str'", value.ToStr(v))
	case "list":
		if _, ok := v.(*value.List); ok {
			return v, nil
		}
		return nil, fmt.Errorf("cannot use '%s' as type 'list'", value.ToStr(v))
	case "dict":
		if _, ok := v.(*value.Dict); ok {
			return v, nil
		}
		return nil, fmt.Errorf("cannot use '%s' as type 'dict'", value.ToStr(v))
	}
	return nil, fmt.Errorf("unknown type '%s'", typ)
}

// rangeLen returns the number of elements range(args...) would produce
// (0 when the arguments are not all ints).
func rangeLen(args []value.Value) int64 {
	ints := make([]int64, 0, 3)
	for _, a := range args {
		n, ok := a.(value.Int)
		if !ok {
			return 0
		}
		ints = append(ints, int64(n))
	}
	start, stop, step := int64(0), int64(0), int64(1)
	switch len(ints) {
	case 1:
		stop = ints[0]
	case 2:
		start, stop = ints[0], ints[1]
	case 3:
		start, stop, step = ints[0], ints[1], ints[2]
	default:
		return 0
	}
	if step == 0 {
		return 0
	}
	if step > 0 && stop > start {
		return (stop - start + step - 1) / step
	}
	if step < 0 && stop < start {
		return (start - stop - step - 1) / -step
	}
	return 0
}

// Package stdlib implements KCL's standard library on top of package value:
// the global builtin functions (print, len, sorted, int, typeof, …), the
// methods of str values and the system modules (base64, base32, json, yaml,
// regex, math, units, net, datetime, crypto, file, manifests, template,
// runtime, collection).
//
// The evaluator supplies an Env and looks names up:
//
//	builtins := stdlib.Builtins(env)           // name -> *value.Func
//	members, ok := stdlib.Module("json", env)  // after `import json`
//	f, ok := stdlib.StrMethod(value.Str("a,b"), "split")
//
// Functions return plain Go errors whose Error() is the official message
// text; the evaluator adds the position and error kind. Keyword arguments
// arrive as []value.Entry in call order.
package stdlib

import (
	"fmt"
	"io"
	"sort"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// Env is what the library needs from the running program.
type Env interface {
	// ModRoot is the module root (the directory of kcl.mod, or the working
	// directory): file.modpath.
	ModRoot() string
	// FS is the sandbox every file access and read_env go through (file.*,
	// crypto.filesha256); nil refuses them all.
	FS() *sandbox.FS
	// WorkDir is the working directory that relative file paths resolve
	// against (file.workdir prints it).
	WorkDir() string
	// CurrentFile is the path of the file being evaluated (file.current).
	CurrentFile() string
	// Stdout receives print() output.
	Stdout() io.Writer
	// SetStream replaces the program's YAML output with text, which is the
	// complete stdout YAML (documents joined by the separator, ending with
	// one newline): manifests.yaml_stream calls it.
	SetStream(text string)
}

// ParamTyper may be implemented by the Def of a lambda's *value.Func to let
// builtins such as reduce see the declared parameter types ("int", "any",
// "" when untyped, a trailing "?" is not used: nullable types are spelled
// as the evaluator prints them, e.g. "int | None").
type ParamTyper interface {
	ParamTypes() []string
}

// StreamOptioner may be implemented by an Env to adjust the options that
// manifests.yaml_stream prints with, after the call's own opts are applied;
// for example to set DropEmptyLists for parity with kclvm 0.4 output.
type StreamOptioner interface {
	StreamOptions(o *value.YAMLOptions)
}

// Messager may be implemented by errors that carry a position: Message
// returns the bare message, which runtime.catch returns.
type Messager interface {
	Message() string
}

// Builtins returns the global builtin functions except option and
// instances, which the evaluator implements.
func Builtins(env Env) map[string]*value.Func {
	b := &builtins{env: env}
	return b.funcs()
}

// ModuleNames returns the names of the system modules, sorted.
func ModuleNames() []string {
	names := []string{"base32", "base64", "collection", "crypto", "datetime", "file", "json",
		"manifests", "math", "net", "regex", "runtime", "template", "units", "yaml"}
	sort.Strings(names)
	return names
}

// Module returns the members (functions and constants) of the system module
// name, and false if there is no such module.
func Module(name string, env Env) (map[string]value.Value, bool) {
	switch name {
	case "base64":
		return base64Module(env), true
	case "base32":
		return base32Module(env), true
	case "json":
		return jsonModule(env), true
	case "yaml":
		return yamlModule(env), true
	case "regex":
		return regexModule(env), true
	case "math":
		return mathModule(env), true
	case "units":
		return unitsModule(env), true
	case "net":
		return netModule(env), true
	case "datetime":
		return datetimeModule(env), true
	case "crypto":
		return cryptoModule(env), true
	case "file":
		return fileModule(env), true
	case "manifests":
		return manifestsModule(env), true
	case "template":
		return templateModule(env), true
	case "runtime":
		return runtimeModule(env), true
	case "collection":
		return collectionModule(env), true
	}
	return nil, false
}

// fn builds a *value.Func.
func fn(name string, call func(args []value.Value, kwargs []value.Entry) (value.Value, error)) *value.Func {
	return &value.Func{Name: name, Call: call}
}

// members turns functions into a module member map.
func members(fs ...*value.Func) map[string]value.Value {
	m := make(map[string]value.Value, len(fs))
	for _, f := range fs {
		m[f.Name] = f
	}
	return m
}

// bound holds the arguments of one call matched to parameter names.
type bound struct {
	fn   string
	vals []value.Value // nil where not given
}

// bind matches positional and keyword arguments to params, in order.
// Unknown keywords, too many positionals and duplicates are errors.
func bind(fnName string, args []value.Value, kwargs []value.Entry, params ...string) (*bound, error) {
	b := &bound{fn: fnName, vals: make([]value.Value, len(params))}
	if len(args) > len(params) {
		return nil, fmt.Errorf("%s() takes %d positional argument%s but %d were given", fnName, len(params), plural(len(params)), len(args))
	}
	copy(b.vals, args)
	for _, kw := range kwargs {
		i := indexOf(params, kw.Key)
		if i < 0 {
			return nil, fmt.Errorf("%s() got an unexpected keyword argument '%s'", fnName, kw.Key)
		}
		if b.vals[i] != nil && i < len(args) {
			return nil, fmt.Errorf("%s() got multiple values for argument '%s'", fnName, kw.Key)
		}
		b.vals[i] = kw.Value
	}
	return b, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}

// has reports whether argument i was given (and is not Undefined).
func (b *bound) has(i int) bool {
	if b.vals[i] == nil {
		return false
	}
	_, undef := b.vals[i].(value.UndefinedType)
	return !undef
}

// get returns argument i or def when absent.
func (b *bound) get(i int, def value.Value) value.Value {
	if !b.has(i) {
		return def
	}
	return b.vals[i]
}

// required returns argument i or an error naming it.
func (b *bound) required(i int, name string) (value.Value, error) {
	if !b.has(i) {
		return nil, fmt.Errorf("%s() missing 1 required positional argument: '%s'", b.fn, name)
	}
	return b.vals[i], nil
}

// str returns argument i as a string.
func (b *bound) str(i int, name string) (string, error) {
	v, err := b.required(i, name)
	if err != nil {
		return "", err
	}
	s, ok := v.(value.Str)
	if !ok {
		return "", fmt.Errorf("%s() argument '%s' must be str, not %s", b.fn, name, value.TypeName(v))
	}
	return string(s), nil
}

// optStr returns argument i as a string, or def.
func (b *bound) optStr(i int, name, def string) (string, error) {
	if !b.has(i) {
		return def, nil
	}
	if _, ok := b.vals[i].(value.NoneType); ok {
		return def, nil
	}
	return b.str(i, name)
}

// int returns argument i as an int (bools count, unit values convert).
func (b *bound) int(i int, name string) (int64, error) {
	v, err := b.required(i, name)
	if err != nil {
		return 0, err
	}
	n, ok := toInt(v)
	if !ok {
		return 0, fmt.Errorf("%s() argument '%s' must be int, not %s", b.fn, name, value.TypeName(v))
	}
	return n, nil
}

// optInt returns argument i as an int, or def.
func (b *bound) optInt(i int, name string, def int64) (int64, error) {
	if !b.has(i) {
		return def, nil
	}
	if _, ok := b.vals[i].(value.NoneType); ok {
		return def, nil
	}
	return b.int(i, name)
}

// float returns argument i as a float (ints convert).
func (b *bound) float(i int, name string) (float64, error) {
	v, err := b.required(i, name)
	if err != nil {
		return 0, err
	}
	f, ok := toFloat(v)
	if !ok {
		return 0, fmt.Errorf("%s() argument '%s' must be float, not %s", b.fn, name, value.TypeName(v))
	}
	return f, nil
}

// bool returns argument i's truth value, or def.
func (b *bound) bool(i int, def bool) bool {
	if !b.has(i) {
		return def
	}
	return value.Truthy(b.vals[i])
}

func toInt(v value.Value) (int64, bool) {
	switch x := v.(type) {
	case value.Int:
		return int64(x), true
	case value.Bool:
		if x {
			return 1, true
		}
		return 0, true
	case value.Unit:
		return int64(x.Float), true
	}
	return 0, false
}

func toFloat(v value.Value) (float64, bool) {
	switch x := v.(type) {
	case value.Int:
		return float64(x), true
	case value.Float:
		return float64(x), true
	case value.Bool:
		if x {
			return 1, true
		}
		return 0, true
	case value.Unit:
		return x.Float, true
	}
	return 0, false
}

// strList converts strings to a KCL list.
func strList(ss []string) *value.List {
	l := &value.List{Items: make([]value.Value, len(ss))}
	for i, s := range ss {
		l.Items[i] = value.Str(s)
	}
	return l
}

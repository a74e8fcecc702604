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
	"io"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/builtins"
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
	b := &globals{env: env}
	return b.funcs()
}

// ModuleNames returns the names of the system modules of the builtin
// table, sorted.
func ModuleNames() []string {
	return builtins.Modules()
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

// members turns functions into a module member map.
func members(fs ...*value.Func) map[string]value.Value {
	m := make(map[string]value.Value, len(fs))
	for _, f := range fs {
		m[f.Name] = f
	}
	return m
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

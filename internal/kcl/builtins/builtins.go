// Package builtins is the one table of KCL's builtin functions: the global
// functions (print, len, option, …), the methods of str values, the
// decorators and the members of the system modules (base64, json, net, …),
// each with its parameters (name, type, default, kind), its result type and
// a line of documentation.
//
// It is pure data, imported by the resolver (package sema derives its
// signature types from it, which the language server's signature help,
// hover and completion read) and by the standard library (package stdlib
// unpacks every call's arguments by it), so the two cannot disagree.
//
// Types are written in KCL's own notation, which sema parses: any, None,
// bool, int, float, str, number (int | float), [T], {K:V}, A | B and fn (a
// function).
package builtins

import (
	"fmt"
	"slices"
	"sort"
)

// Pseudo-module names of the functions that are not system-module members.
const (
	Global    = ""    // the global functions: print, len, option, …
	StrMethod = "str" // the methods of str values: "a".upper()
	Decorator = "@"   // the decorators: @deprecated, @info
)

// Kind says how a parameter receives its argument.
type Kind uint8

// The kinds of parameters.
const (
	// Positional is a parameter given by position or by keyword.
	Positional Kind = iota
	// KeywordOnly is a parameter given only by keyword (it follows *args).
	KeywordOnly
	// VarArgs (*name) takes the positional arguments beyond the others.
	VarArgs
	// KwArgs (**name) takes the keyword arguments matching no parameter.
	KwArgs
)

// Param is one parameter of a builtin.
type Param struct {
	Name string
	// Type is the parameter's type in the table's notation.
	Type string
	Kind Kind
	// Optional reports whether the argument may be left out.
	Optional bool
	// Default is the value of a left-out argument as KCL source (None,
	// True, False, a number or a string literal); "" when the function
	// tells a left-out argument from any value (range's stop, pow's z).
	Default string
}

// Func is one builtin function.
type Func struct {
	// Module is the system module, or Global, StrMethod or Decorator.
	Module string
	Name   string
	Params []Param
	// Result is the result type in the table's notation.
	Result string
	Doc    string
}

// Variadic reports whether f takes arguments beyond its named parameters:
// *args, **kwargs, or keyword-only parameters, which a positional
// signature cannot show.
func (f *Func) Variadic() bool {
	for _, p := range f.Params {
		if p.Kind != Positional {
			return true
		}
	}
	return false
}

// Positional returns the parameters given by position or keyword, in order.
func (f *Func) Positional() []Param {
	var out []Param
	for _, p := range f.Params {
		if p.Kind == Positional {
			out = append(out, p)
		}
	}
	return out
}

// Param returns the parameter called name, and false if there is none.
func (f *Func) Param(name string) (Param, bool) {
	for _, p := range f.Params {
		if p.Name == name && (p.Kind == Positional || p.Kind == KeywordOnly) {
			return p, true
		}
	}
	return Param{}, false
}

// Const is a constant member of a system module (units.Ki).
type Const struct {
	Module, Name string
	Type         string
	Doc          string
}

var (
	funcs   = map[string]map[string]*Func{} // module → name → function
	ordered = map[string][]*Func{}          // module → functions in table order
	consts  = map[string][]Const{}
)

func init() {
	for _, e := range table {
		f, err := parseSig(e.sig)
		if err != nil {
			panic(fmt.Sprintf("builtins: %s %q: %v", e.module, e.sig, err))
		}
		f.Module, f.Doc = e.module, e.doc
		if funcs[e.module] == nil {
			funcs[e.module] = map[string]*Func{}
		}
		if _, dup := funcs[e.module][f.Name]; dup {
			panic(fmt.Sprintf("builtins: %s.%s declared twice", e.module, f.Name))
		}
		funcs[e.module][f.Name] = f
		ordered[e.module] = append(ordered[e.module], f)
	}
	for _, c := range constTable {
		consts[c.Module] = append(consts[c.Module], c)
	}
}

// Lookup returns the function name of module (Global, StrMethod, Decorator
// or a system module), or nil.
func Lookup(module, name string) *Func {
	return funcs[module][name]
}

// Funcs returns the functions of module in the table's order. The slice
// and the functions are shared: callers must not modify them.
func Funcs(module string) []*Func {
	return ordered[module]
}

// Consts returns the constant members of the system module.
func Consts(module string) []Const {
	return consts[module]
}

// Modules returns the names of the system modules, sorted.
func Modules() []string {
	var out []string
	for m := range funcs {
		if m != Global && m != StrMethod && m != Decorator {
			out = append(out, m)
		}
	}
	for m := range consts {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

// IsModule reports whether name is a system module.
func IsModule(name string) bool {
	return name != Global && name != StrMethod && name != Decorator && (funcs[name] != nil || consts[name] != nil)
}

// ModuleDoc returns the one-line description of a system module.
func ModuleDoc(name string) string {
	return moduleDocs[name]
}

package sema

import (
	"testing"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/builtins"
)

// TestBuiltinsFromTable checks that the resolver's signature types are
// those of the one builtin table (package builtins, whose own test checks
// it against the corpus's kcl-builtins.json): every function of every
// group, its positional parameters with their optionality, defaults and
// parsed types, the variadic flag, the result and the doc.
func TestBuiltinsFromTable(t *testing.T) {
	bt := newBuiltins()
	groups := map[string]map[string]*Type{
		builtins.Global:    bt.Funcs,
		builtins.StrMethod: bt.StrMethods,
		builtins.Decorator: bt.Decorators,
	}
	for _, m := range builtins.Modules() {
		if !bt.IsSystemModule(m) {
			t.Errorf("module %s: not a system module of sema", m)
		}
		groups[m] = bt.Modules[m]
	}
	n := 0
	for module, table := range groups {
		fns := builtins.Funcs(module)
		consts := builtins.Consts(module)
		if len(table) != len(fns)+len(consts) {
			t.Errorf("%q: %d members, table %d functions and %d constants", module, len(table), len(fns), len(consts))
		}
		for _, f := range fns {
			n++
			ty := table[f.Name]
			if ty == nil || ty.Kind != KFunc || ty.Func == nil {
				t.Errorf("%q.%s: missing", module, f.Name)
				continue
			}
			ft := ty.Func
			pos := f.Positional()
			if len(ft.Params) != len(pos) || ft.Variadic != f.Variadic() || ft.Doc != f.Doc || ft.Name != f.Name {
				t.Errorf("%q.%s: %d params variadic %v, table %d variadic %v", module, f.Name, len(ft.Params), ft.Variadic, len(pos), f.Variadic())
				continue
			}
			for i, p := range pos {
				got := ft.Params[i]
				if got.Name != p.Name || got.Optional != p.Optional || got.Default != p.Default || got.Type == nil {
					t.Errorf("%q.%s: param %d = %+v, table %+v", module, f.Name, i, got, p)
				}
			}
			if ft.Result == nil {
				t.Errorf("%q.%s: no result type", module, f.Name)
			}
		}
	}
	if n < 150 {
		t.Errorf("only %d builtins", n)
	}
	// Hover shows a builtin symbol's doc.
	if sym := sharedBuiltinScope().Names["len"]; sym == nil || sym.Doc != builtins.Lookup(builtins.Global, "len").Doc || sym.Doc == "" {
		t.Errorf("builtin symbol len: %+v, want the table's doc", sym)
	}
}

func TestBuiltinTypes(t *testing.T) {
	for text, want := range map[string]string{
		"[str]":       "[str]",
		"{str:any}":   "{str:any}",
		"int | str":   "int | str",
		"number":      "int | float",
		"[{str:int}]": "[{str:int}]",
	} {
		ty, err := parseTypeText(text)
		if err != nil {
			t.Errorf("parseTypeText(%q): %v", text, err)
			continue
		}
		if got := ty.String(); got != want {
			t.Errorf("parseTypeText(%q) = %s, want %s", text, got, want)
		}
	}
	if _, err := parseTypeText("list_ref(ANY)"); err == nil {
		t.Error("parseTypeText accepted a type outside the notation")
	}
}

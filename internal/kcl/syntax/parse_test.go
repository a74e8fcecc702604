package syntax

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
	"golang.org/x/tools/txtar"
)

// TestParseGolden parses the input.k section of every testdata/parse/*.txtar
// archive and compares the AST dump and the errors with the ast and errors
// sections. Run with -update to rewrite them.
func TestParseGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "parse", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no test data")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatalf("read %s: %v", file, err)
			}
			src, _ := testutil.Section(ar, "input.k")
			if src == nil {
				t.Fatalf("%s: no input.k section", file)
			}
			f, errs := ParseFile("input.k", src)
			var eb strings.Builder
			for _, e := range errs {
				m := e.Primary()
				fmt.Fprintf(&eb, "%d:%d: %s: %s\n", m.Pos.Line, m.Pos.Col, e.Kind, m.Text)
			}
			got := map[string]string{"ast": Dump(f), "errors": eb.String()}
			for _, k := range []string{"ast", "errors"} {
				testutil.GoldenSection(t, file, ar, k, []byte(got[k]))
			}
		})
	}
}

// TestDeepNesting checks that pathological nesting gives an error, not a
// stack overflow.
func TestDeepNesting(t *testing.T) {
	for _, tc := range []struct{ name, open, close string }{
		{"parens", "(", ")"},
		{"lists", "[", "]"},
		{"configs", "{a:", "}"},
		{"unary", "-", ""},
		{"not", "not ", ""},
		{"calls", "f(", ")"},
		{"lambdas", "lambda {", "}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 100000
			src := "x = " + strings.Repeat(tc.open, n) + "1" + strings.Repeat(tc.close, n) + "\ny = 2\n"
			f, errs := ParseFile("deep.k", []byte(src))
			if f == nil {
				t.Fatal("nil file")
			}
			found := false
			for _, e := range errs {
				if strings.Contains(e.Primary().Text, "nesting too deep") {
					found = true
				}
			}
			if !found {
				t.Errorf("no nesting error; errors: %v", errs)
			}
		})
	}
	// Moderate nesting below the limit parses cleanly.
	src := "x = " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n"
	if _, errs := ParseFile("ok.k", []byte(src)); len(errs) > 0 {
		t.Errorf("100 nested lists: unexpected errors %v", errs)
	}
}

// TestParseExpr covers the expression entry point.
func TestParseExpr(t *testing.T) {
	for _, tc := range []struct {
		src, want string
		err       bool
	}{
		{src: `1`, want: "NumberLit"},
		{src: `"a"`, want: "StringLit"},
		{src: `{"a": [1, 2]}`, want: "ConfigExpr"},
		{src: "{\n  a = 1\n  b = 2\n}", want: "ConfigExpr"},
		{src: `a.b + 1`, want: "BinaryExpr"},
		{src: "lambda x {\n    y = x + 1\n    if y:\n        y = 2\n    y\n}", want: "LambdaExpr"},
		{src: "[\n    1\n    lambda {\n        1\n    }\n]", want: "ListExpr"},
		{src: `a +`, want: "BinaryExpr", err: true},
		{src: `a b`, want: "Ident", err: true},
	} {
		x, err := ParseExpr(tc.src)
		if (err != nil) != tc.err {
			t.Errorf("ParseExpr(%q): err = %v, want error %v", tc.src, err, tc.err)
		}
		if x == nil {
			t.Errorf("ParseExpr(%q): nil expression", tc.src)
			continue
		}
		if got := fmt.Sprintf("%T", x); got != "*syntax."+tc.want {
			t.Errorf("ParseExpr(%q) = %s, want %s", tc.src, got, tc.want)
		}
	}
}

// TestWalkVisitsAll checks that Inspect reaches every identifier of a file
// and visits nodes in source order.
func TestWalkVisitsAll(t *testing.T) {
	src := []byte("schema S[p: int](B):\n    a: int = p\n    check:\n        a > 0 if q, \"m\"\nx = S(1) {a = [i for i in r if t]}\ny = lambda z { z + w }\n")
	f, errs := ParseFile("w.k", src)
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	var names []string
	last := -1
	Inspect(f, func(n Node) bool {
		if id, ok := n.(*Ident); ok {
			names = append(names, id.Name)
			if id.Pos().Offset < last {
				t.Errorf("identifier %s at offset %d visited after offset %d", id.Name, id.Pos().Offset, last)
			}
			last = id.Pos().Offset
		}
		return true
	})
	want := []string{"S", "p", "int", "B", "a", "int", "p", "a", "q", "x", "S", "a", "i", "i", "r", "t", "y", "z", "z", "w"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("identifiers (-want +got):\n%s", diff)
	}
}

// TestBOM checks that a UTF-8 byte order mark is ignored.
func TestBOM(t *testing.T) {
	f, errs := ParseFile("bom.k", []byte("\xEF\xBB\xBFa = 1\n"))
	if len(errs) > 0 || len(f.Stmts) != 1 {
		t.Errorf("errors %v, %d statements", errs, len(f.Stmts))
	}
}

// TestCharCol checks the character column of positions after multi-byte text.
func TestCharCol(t *testing.T) {
	src := []byte("a = \"中文\" + b\n")
	f, errs := ParseFile("c.k", src)
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	bin := f.Stmts[0].(*AssignStmt).Value.(*BinaryExpr)
	y := bin.Y.(*Ident)
	if y.Pos().Col != 16 {
		t.Errorf("byte column = %d, want 16", y.Pos().Col)
	}
	if got := y.Pos().CharCol(src); got != 12 {
		t.Errorf("char column = %d, want 12", got)
	}
	if got := f.DiagPos(y.Pos()); got.Col != 12 || got.Line != 1 || got.File != "c.k" {
		t.Errorf("DiagPos = %+v", got)
	}
}

// FuzzParse checks that the parser never panics or hangs and always
// returns a file.
func FuzzParse(f *testing.F) {
	f.Add([]byte("a = 1\n"))
	f.Add([]byte("schema S:\n    a: int\n"))
	if corpus := fuzzCorpusDir(); corpus != "" {
		_ = filepath.WalkDir(corpus, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".k") {
				return nil
			}
			if b, err := os.ReadFile(path); err == nil && len(b) < 4096 {
				f.Add(b)
			}
			return nil
		})
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, errs := ParseFile("fuzz.k", src)
		if file == nil {
			t.Fatal("nil file")
		}
		for _, e := range errs {
			if strings.Contains(e.Primary().Text, "internal parser error") {
				t.Fatalf("internal error: %v", e)
			}
		}
		if err := checkInvariants(file); err != nil {
			t.Fatal(err)
		}
		_ = Dump(file)
		_, _ = ParseExpr(string(src))
	})
}

// fuzzCorpusDir returns the corpus directory or "" when it is absent.
func fuzzCorpusDir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			c := filepath.Join(dir, "..", "shared", "corpus")
			if _, err := os.Stat(c); err == nil {
				return c
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// TestPathEnclosing checks the node path at a cursor inside a partial config.
func TestPathEnclosing(t *testing.T) {
	src := []byte("import frontend\n\napp = frontend.Server {\n    ima\n\nother = 1\n")
	f, _ := ParseFile("p.k", src)
	off := strings.Index(string(src), "ima") + 3
	var kinds []string
	for _, n := range PathEnclosing(f, off) {
		kinds = append(kinds, fmt.Sprintf("%T", n))
	}
	want := []string{"*syntax.File", "*syntax.AssignStmt", "*syntax.SchemaExpr", "*syntax.ConfigExpr", "*syntax.ConfigEntry", "*syntax.Ident"}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("path (-want +got):\n%s", diff)
	}
	if len(f.Stmts) != 3 {
		t.Errorf("got %d statements, want 3 (import, app, other)", len(f.Stmts))
	}
}

package format

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// TestGolden formats the `input.k` section of each testdata/*.txtar archive
// and compares the result with its `output.k` section, or, for input that
// does not parse, the error with its `error` section. It also checks the
// acceptance properties on every case (see checkFormat).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files in testdata: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatalf("parse %s: %v", file, err)
			}
			input, _ := testutil.Section(ar, "input.k")
			if input == nil {
				t.Fatalf("%s: no input.k section", file)
			}
			out, ferr := Source("input.k", input)
			name, got := "output.k", out
			if ferr != nil {
				var se *SyntaxError
				if !errors.As(ferr, &se) {
					t.Fatalf("format error is not a *SyntaxError: %v", ferr)
				}
				if out != nil {
					t.Errorf("output %q returned with an error", out)
				}
				name, got = "error", []byte(ferr.Error()+"\n")
			}
			testutil.GoldenSection(t, file, ar, name, got)
			if ferr == nil {
				if skip, problem := checkFormat("input.k", input); skip || problem != "" {
					t.Errorf("acceptance check failed (skip=%v): %s", skip, problem)
				}
			}
		})
	}
}

// TestNode prints single nodes, parsed and hand-built.
func TestNode(t *testing.T) {
	for _, src := range []string{
		`a + b * c`,
		`{a = 1, b: [1, 2]}`,
		`[x for x in xs if x]`,
		`app.Server(x=1) {name = "n"}`,
		`lambda x: int -> int { x + 1 }`,
	} {
		e, err := syntax.ParseExpr(src)
		if err != nil {
			t.Fatalf("ParseExpr(%q): %v", src, err)
		}
		got, err := Node(e)
		if err != nil {
			t.Fatalf("Node(%q): %v", src, err)
		}
		if got != src {
			t.Errorf("Node(ParseExpr(%q)) = %q", src, got)
		}
	}

	// A tree built by hand, without positions.
	id := func(n string) *syntax.Ident { return &syntax.Ident{Name: n} }
	str := func(s string) *syntax.StringLit { return &syntax.StringLit{Value: s} }
	tree := &syntax.AssignStmt{
		Targets: []syntax.Expr{id("app")},
		Type:    &syntax.TypeExpr{Kind: syntax.NamedType, Name: "frontend.Server"},
		Value: &syntax.SchemaExpr{
			Name: &syntax.SelectorExpr{X: id("frontend"), Name: id("Server")},
			Config: &syntax.ConfigExpr{Entries: []*syntax.ConfigEntry{
				{Key: id("image"), Op: syntax.ASSIGN, Value: str("nginx")},
				{Key: &syntax.SelectorExpr{X: id("labels"), Name: id("tier")}, Op: syntax.COLON, Value: str("web")},
				{Op: syntax.POW, Value: id("base")},
			}},
		},
	}
	got, err := Node(tree)
	if err != nil {
		t.Fatal(err)
	}
	want := `app: frontend.Server = frontend.Server {image = "nginx", labels.tier: "web", **base}`
	if got != want {
		t.Errorf("Node(hand-built) =\n%s\nwant\n%s", got, want)
	}
}

// TestNodeSource prints a statement of a parsed file with its source layout.
func TestNodeSource(t *testing.T) {
	src := []byte("import x\n\napp = x.S {\n  # comment\n  a=1\n  b: [1,2]\n}\n")
	f, diags := syntax.ParseFile("n.k", src)
	if hasErrors(diags) {
		t.Fatal(diags)
	}
	got, err := NodeSource(f.Stmts[1], src)
	if err != nil {
		t.Fatal(err)
	}
	want := "app = x.S {\n    a = 1\n    b: [1, 2]\n}"
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("NodeSource (-want +got):\n%s", d)
	}
	flat, err := Node(f.Stmts[1])
	if err != nil {
		t.Fatal(err)
	}
	if want := "app = x.S {a = 1, b: [1, 2]}"; flat != want {
		t.Errorf("Node = %q, want %q", flat, want)
	}
}

// TestBroken checks that a broken tree is refused rather than printed.
func TestBroken(t *testing.T) {
	f, diags := syntax.ParseFile("broken.k", []byte("a = \nb = 1\n"))
	if len(diags) == 0 {
		t.Fatal("expected a syntax error")
	}
	if out, err := File(f); err == nil {
		t.Errorf("File(broken tree) = %q, want an error", out)
	}
	if _, err := Source("broken.k", []byte("a = \nb = 1\n")); err == nil || !strings.HasPrefix(err.Error(), "broken.k:1:") {
		t.Errorf("Source(broken) error = %v, want broken.k:1:…", err)
	}
}

// TestEmpty: empty and blank files format to nothing; a file of comments
// keeps them.
func TestEmpty(t *testing.T) {
	for src, want := range map[string]string{
		"":              "",
		"\n\n   \n":     "",
		"# c\n\n\n# d ": "# c\n\n# d\n",
	} {
		got, err := Source("e.k", []byte(src))
		if err != nil {
			t.Fatalf("Source(%q): %v", src, err)
		}
		if !bytes.Equal(got, []byte(want)) {
			t.Errorf("Source(%q) = %q, want %q", src, got, want)
		}
	}
}

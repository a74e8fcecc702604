package schema

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sema"
	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// TestCatalog builds the catalog of each testdata/*.txtar module and dumps
// every schema of the main package and the `expected` queries: lines of
// `file:line:col` (1-based line and byte column) in a `queries` section.
func TestCatalog(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no test data: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			var queries []string
			for _, f := range ar.Files {
				if f.Name == "queries" {
					queries = strings.Fields(string(f.Data))
					continue
				}
				p := filepath.Join(dir, filepath.FromSlash(f.Name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			prog, err := sema.Load(context.Background(), sema.Config{ModRoot: dir, Files: []string{filepath.Join(dir, "main.k")}})
			if err != nil {
				t.Fatal(err)
			}
			cat := New(prog)
			var b strings.Builder
			for _, s := range cat.Schemas() {
				dumpSchema(&b, s)
			}
			for _, q := range queries {
				parts := strings.Split(q, ":")
				if len(parts) != 3 {
					t.Fatalf("bad query %q", q)
				}
				line, _ := strconv.Atoi(parts[1])
				col, _ := strconv.Atoi(parts[2])
				e := cat.ExpectedAt(filepath.Join(dir, parts[0]), line, col)
				if e == nil {
					fmt.Fprintf(&b, "expected at %s: none\n", q)
					continue
				}
				name := "-"
				if e.Schema != nil {
					name = e.Schema.FQN
				}
				fmt.Fprintf(&b, "expected at %s: schema %s type %s set %v missing %v block %d:%d-%d:%d\n", q, name, e.Type, e.Set, e.Missing,
					e.Block.Start.Line, e.Block.Start.Col, e.Block.End.Line, e.Block.End.Col)
			}
			got := b.String()
			golden := strings.TrimSuffix(path, ".txtar") + ".golden"
			testutil.Golden(t, golden, []byte(got))
		})
	}
}

func dumpSchema(b *strings.Builder, s *Schema) {
	fmt.Fprintf(b, "%s %s parents=%v mixins=%v protocol=%q index=%q\n", s.Kind, s.FQN, s.Parents, s.Mixins, s.Protocol, s.IndexSignature)
	if s.Summary != "" {
		fmt.Fprintf(b, "  summary: %q\n", s.Summary)
	}
	if s.Examples != "" {
		fmt.Fprintf(b, "  examples: %q\n", s.Examples)
	}
	for _, p := range s.Params {
		fmt.Fprintf(b, "  param %s: %s optional=%v default=%q\n", p.Name, p.Type, p.Optional, p.Default)
	}
	for _, a := range s.Attributes {
		fmt.Fprintf(b, "  attr %s: %s optional=%v default=%q owner=%s schemaType=%q doc=%q deco=%v\n",
			a.Name, a.Type, a.Optional, a.Default, a.Owner, a.SchemaType, a.Doc, a.Decorators)
	}
	for _, c := range s.Checks {
		fmt.Fprintf(b, "  check %s\n", c)
	}
}

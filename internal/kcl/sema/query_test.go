package sema

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
	"golang.org/x/tools/txtar"
)

// TestQueries answers the position queries of testdata/queries.txtar (a
// `queries` section of `file:line:col`, 1-based line and byte column) with
// ScopeAt, TypeAt, TypeEndingAt and Members, and compares with the golden.
func TestQueries(t *testing.T) {
	ar, err := txtar.ParseFile("testdata/queries.txtar")
	if err != nil {
		t.Fatal(err)
	}
	dir := writeArchive(t, ar)
	files := mainFiles(ar, dir)
	prog, err := Load(context.Background(), Config{ModRoot: dir, Files: files})
	if err != nil {
		t.Fatal(err)
	}
	var queries []string
	for _, f := range ar.Files {
		if f.Name == "queries" {
			queries = strings.Fields(string(f.Data))
		}
	}
	var b strings.Builder
	for _, q := range queries {
		parts := strings.Split(q, ":")
		line, _ := strconv.Atoi(parts[1])
		col, _ := strconv.Atoi(parts[2])
		file := filepath.Join(dir, parts[0])
		src := prog.File(file).Src
		off := offsetOf(src, line, col)
		fmt.Fprintf(&b, "%s\n", q)
		if sc := prog.ScopeAt(file, off); sc != nil {
			var names []string
			for _, sym := range sc.VisibleNames() {
				if sym.Kind != SymBuiltin {
					names = append(names, sym.Name)
				}
			}
			fmt.Fprintf(&b, "  scope %d: %s\n", sc.Kind, strings.Join(names, " "))
		}
		if e, ty := prog.TypeAt(file, off); e != nil {
			fmt.Fprintf(&b, "  at %q: %s\n", src[e.Pos().Offset:e.End().Offset], ty)
		}
		if e, ty := prog.TypeEndingAt(file, off); e != nil {
			var ms []string
			for _, m := range prog.Members(ty) {
				ms = append(ms, m.Name)
			}
			fmt.Fprintf(&b, "  ending %q: %s members %s\n", src[e.Pos().Offset:e.End().Offset], ty, strings.Join(ms, " "))
		}
	}
	got := b.String()
	golden := "testdata/queries.golden"
	testutil.Golden(t, golden, []byte(got))
}

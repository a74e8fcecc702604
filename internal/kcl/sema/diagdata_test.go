package sema

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
)

// TestEveryDiagnosticHasCode resolves every grammar case and requires a
// machine code on every diagnostic the resolver reports.
func TestEveryDiagnosticHasCode(t *testing.T) {
	root := filepath.Join(corpusDir(t), "kcl-grammar")
	var dirs []string
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "main.k" {
			dirs = append(dirs, filepath.Dir(path))
		}
		return nil
	})
	sort.Strings(dirs)
	codes := map[diag.Code]int{}
	for _, dir := range dirs {
		prog, err := Load(context.Background(), Config{ModRoot: loader.ModRoot(nil, dir), Files: caseFiles(dir)})
		if err != nil {
			continue
		}
		for _, d := range prog.Diagnostics() {
			c := d.MachineCode()
			if c == "" {
				rel, _ := filepath.Rel(root, dir)
				t.Errorf("%s: no code: %v", rel, d)
			}
			codes[c]++
		}
	}
	t.Logf("codes: %v", codes)
}

// TestUnusedImport: an import no name refers to is reported as a warning
// with a fix that deletes its line; a used one, or one used only in a
// type, is not.
func TestUnusedImport(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("kcl.mod", "")
	write("pkg/a.k", "schema R:\n    x: int = 1\n")
	write("main.k", "import pkg\nimport pkg as p2\nimport math\n\na: p2.R = p2.R {}\nb = math.log(1)\n")
	prog, err := Load(context.Background(), Config{ModRoot: dir, Files: []string{filepath.Join(dir, "main.k")}})
	if err != nil {
		t.Fatal(err)
	}
	var got []*diag.Diagnostic
	for _, d := range prog.Diagnostics() {
		if d.Code == diag.UnusedImport {
			got = append(got, d)
		}
	}
	if len(got) != 1 || got[0].Args.Name != "pkg" || !got[0].Warning || len(got[0].Fixes) != 1 {
		t.Fatalf("unused imports: %v", got)
	}
	e := got[0].Fixes[0].Edits[0]
	if e.Pos.Line != 1 || e.Pos.Col != 1 || e.End.Line != 2 || e.End.Col != 1 || e.NewText != "" {
		t.Errorf("removal edit %+v", e)
	}
}

package sema

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
	"golang.org/x/tools/txtar"
)

// writeArchive extracts a txtar archive into a temporary directory.
func writeArchive(t *testing.T, ar *txtar.Archive) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range ar.Files {
		if !strings.HasSuffix(f.Name, ".k") && f.Name != "kcl.mod" {
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
	return dir
}

// mainFiles returns the archive's main-package files: the names listed in a
// `files` section, else main.k.
func mainFiles(ar *txtar.Archive, dir string) []string {
	for _, f := range ar.Files {
		if f.Name == "files" {
			var out []string
			for _, n := range strings.Fields(string(f.Data)) {
				out = append(out, filepath.Join(dir, n))
			}
			return out
		}
	}
	return []string{filepath.Join(dir, "main.k")}
}

// dumpProgram prints the diagnostics and every occurrence of the main files
// with what it resolves to and the type of its symbol.
func dumpProgram(prog *Program, dir string, files []string) string {
	var b strings.Builder
	rel := func(p string) string {
		r, err := filepath.Rel(dir, p)
		if err != nil {
			return p
		}
		return filepath.ToSlash(r)
	}
	b.WriteString("# diagnostics\n")
	for _, d := range prog.Diagnostics() {
		fmt.Fprintf(&b, "%s", d.Kind)
		for _, m := range d.Messages {
			fmt.Fprintf(&b, " [%s:%d:%d %s]", rel(m.Pos.File), m.Pos.Line, m.Pos.Col, m.Text)
		}
		b.WriteString("\n")
	}
	for _, f := range files {
		fmt.Fprintf(&b, "# occurrences of %s\n", rel(f))
		for _, o := range prog.Occurrences(f) {
			def := "unresolved"
			if o.Sym != nil {
				def = o.Sym.Kind.String()
				if o.Sym.Loc.File != "" {
					def += fmt.Sprintf(" %s:%d:%d", rel(o.Sym.Loc.File), o.Sym.Loc.Start.Line, o.Sym.Loc.Start.Col)
				}
				if o.Sym.Type != nil {
					def += " : " + o.Sym.Type.String()
				}
				if o.Sym.Kind == SymPackage {
					def += " -> " + o.Sym.Target
				}
			}
			mark := "ref"
			if o.Def {
				mark = "def"
			}
			fmt.Fprintf(&b, "%d:%d %s %s -> %s\n", o.Start.Line, o.Start.Col, mark, o.Name, def)
		}
	}
	var un []string
	for _, u := range prog.Unresolved() {
		un = append(un, fmt.Sprintf("%s:%d:%d %s dynamic=%v (%s)", rel(u.File), u.Start.Line, u.Start.Col, u.Name, u.Dynamic, u.Reason))
	}
	sort.Strings(un)
	b.WriteString("# unresolved\n")
	for _, u := range un {
		b.WriteString(u + "\n")
	}
	return b.String()
}

// TestResolve resolves each testdata/resolve/*.txtar module and compares the
// dump with the golden file beside it (-update rewrites them).
func TestResolve(t *testing.T) {
	paths, err := filepath.Glob("testdata/resolve/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no test data: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			dir := writeArchive(t, ar)
			files := mainFiles(ar, dir)
			prog, err := Load(context.Background(), Config{ModRoot: dir, Files: files})
			if err != nil {
				t.Fatal(err)
			}
			got := dumpProgram(prog, dir, files)
			golden := strings.TrimSuffix(path, ".txtar") + ".golden"
			testutil.Golden(t, golden, []byte(got))
		})
	}
}

// TestUpdateIncremental edits one file and checks that only the edited
// package and its dependents are resolved again, and that the result equals
// a cold load of the edited sources.
func TestUpdateIncremental(t *testing.T) {
	ar, err := txtar.ParseFile("testdata/incremental.txtar")
	if err != nil {
		t.Fatal(err)
	}
	dir := writeArchive(t, ar)
	files := mainFiles(ar, dir)
	ctx := context.Background()
	prog, err := Load(ctx, Config{ModRoot: dir, Files: files})
	if err != nil {
		t.Fatal(err)
	}
	var edits map[string][]byte
	for _, f := range ar.Files {
		if name, ok := strings.CutPrefix(f.Name, "edit/"); ok {
			edits = map[string][]byte{filepath.Join(dir, name): f.Data}
		}
	}
	if edits == nil {
		t.Fatal("incremental.txtar has no edit/ section")
	}
	next, err := prog.Update(ctx, edits)
	if err != nil {
		t.Fatal(err)
	}
	var shared, redone []string
	for _, p := range next.Packages() {
		if next.Package(p) == prog.Package(p) {
			shared = append(shared, p)
		} else {
			redone = append(redone, p)
		}
	}
	sort.Strings(shared)
	sort.Strings(redone)
	got := fmt.Sprintf("shared: %v\nredone: %v\n", shared, redone)
	want := "shared: [base lib]\nredone: [__main__ app]\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	cold, err := Load(ctx, Config{ModRoot: dir, Files: files, Overlay: edits})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(dumpProgram(cold, dir, files), dumpProgram(next, dir, files)); diff != "" {
		t.Errorf("update differs from a cold load (-cold +update):\n%s", diff)
	}
	if len(next.Diagnostics()) == 0 {
		t.Errorf("the edit introduces a type error, but no diagnostic was reported")
	}
}

// TestConcurrentUpdates derives several Programs from one base at the same
// time while querying the base; run with -race.
func TestConcurrentUpdates(t *testing.T) {
	ar, err := txtar.ParseFile("testdata/incremental.txtar")
	if err != nil {
		t.Fatal(err)
	}
	dir := writeArchive(t, ar)
	files := mainFiles(ar, dir)
	ctx := context.Background()
	base, err := Load(ctx, Config{ModRoot: dir, Files: files})
	if err != nil {
		t.Fatal(err)
	}
	app := filepath.Join(dir, "app", "app.k")
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			src := fmt.Appendf(nil, "import lib\n\nserver = lib.Server {\n    port = %d\n}\n", 8000+i)
			next, err := base.Update(ctx, map[string][]byte{app: src})
			if err == nil {
				if o := next.SymbolAt(app, 4, 5); o == nil || o.Sym == nil || o.Sym.Name != "port" {
					err = fmt.Errorf("update %d: port does not resolve: %+v", i, o)
				} else {
					_ = base.References(o.Sym)
					_ = next.References(o.Sym)
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if len(base.Diagnostics()) != 0 {
		t.Errorf("the base program changed: %v", base.Diagnostics())
	}
}

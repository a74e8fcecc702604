package index

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// TestValidRejectsHostileFacts: cached facts that do not fit the file
// (positions past its end, indexes out of range, unknown kinds) are not
// used.
func TestValidRejectsHostileFacts(t *testing.T) {
	src := []byte("schema A:\n    x: int\n\na = A {x = 1}\n")
	good := Extract("a.k", src)
	if !valid(good, len(src)) {
		t.Fatalf("the facts of a file are not valid for it: %+v", good)
	}
	if valid(good, len(src)+1) {
		t.Error("facts valid for a file of another size")
	}
	clone := func() *Facts {
		f := *good
		f.Decls = append([]Decl(nil), good.Decls...)
		f.Uses = append([]Use(nil), good.Uses...)
		return &f
	}
	for name, spoil := range map[string]func(f *Facts){
		"span past the end":     func(f *Facts) { f.Uses[0].Span.End.Off = int32(len(src) + 10) },
		"negative offset":       func(f *Facts) { f.Decls[0].Span.Start.Off = -1 },
		"attribute of nothing":  func(f *Facts) { f.Decls[1].Schema = 7 },
		"attribute of an attr":  func(f *Facts) { f.Decls[1].Schema = 1 },
		"owner out of range":    func(f *Facts) { f.Uses[0].Owner = 99 },
		"unknown kind":          func(f *Facts) { f.Decls[0].Kind = 200 },
		"unknown role":          func(f *Facts) { f.Uses[0].Role = 99 },
		"empty name":            func(f *Facts) { f.Decls[0].Name = "" },
		"invalid UTF-8 name":    func(f *Facts) { f.Uses[0].Name = "\xff" },
		"negative import dots":  func(f *Facts) { f.Imports = []Import{{Name: "x", Path: "x", Dots: -3}} },
		"line before the start": func(f *Facts) { f.Uses[0].Span.Start.Line = 0 },
	} {
		f := clone()
		spoil(f)
		if valid(f, len(src)) {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestExtractBrokenInputs: Extract survives every file of the KCL parser
// and grammar corpora (298 malformed inputs among them), and its facts
// always fit their file.
func TestExtractBrokenInputs(t *testing.T) {
	var n int
	for _, sub := range []string{"kcl-parser", "kcl-grammar"} {
		dir := filepath.Join(testutil.CorpusDir(t), sub)
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || (!strings.HasSuffix(p, ".k") && !strings.HasSuffix(p, ".txt")) {
				return err
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			n++
			if f := Extract(p, src); !valid(f, len(src)) {
				t.Errorf("%s: facts do not fit the file", p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d files", n)
}

// TestUTF16Columns: columns count UTF-16 code units (CJK text and an
// astral-plane character before a use on the same line).
func TestUTF16Columns(t *testing.T) {
	src := []byte("import m\n\na = {\"名字😀\": m.S {}}\n")
	f := Extract("a.k", src)
	for _, u := range f.Uses {
		if u.Name == "S" {
			// `a = {"名字😀": m.` is 15 UTF-16 units: 名 and 字 one each, 😀 two.
			if u.Span.Start.Line != 3 || u.Span.Start.U16 != 15 || u.Span.End.U16 != 16 {
				t.Errorf("span of S: %+v", u.Span)
			}
			return
		}
	}
	t.Fatalf("no use of S: %+v", f.Uses)
}

// TestUnreadableFiles: a file or buffer over MaxFileSize is not parsed,
// and stops renames of the names its package can see.
func TestUnreadableFiles(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "a.k"), []byte("schema A:\n    x: int\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ix := New(root, "")
	if err := ix.Build(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	key := Key{Dir: root, Name: "A"}
	if err := ix.CheckRename(key); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(root, "big.k")
	ix.Update(big, make([]byte, MaxFileSize+1))
	if err := ix.CheckRename(key); err == nil || !strings.Contains(err.Error(), "could not be read") {
		t.Errorf("CheckRename with a huge buffer in the package: %v", err)
	}
	if ix.Parses() != 1 {
		t.Errorf("%d parses, want 1 (the huge buffer is not parsed)", ix.Parses())
	}
}

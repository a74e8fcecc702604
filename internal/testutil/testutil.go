// Package testutil holds helpers that several packages' tests share:
// finding the module root and the conformance corpus beside it, and copying
// a directory tree into a test's temporary directory.
//
//	corpus := testutil.CorpusDir(t) // ../shared/corpus, or t.Skip
package testutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ModuleRoot returns the directory holding go.mod, searching upwards from
// the working directory.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// CorpusDir returns the conformance corpus, ../shared/corpus relative to
// the module root, or skips the test with a clear message when it is absent.
func CorpusDir(t testing.TB) string {
	t.Helper()
	c := filepath.Join(ModuleRoot(t), "..", "shared", "corpus")
	if _, err := os.Stat(c); err != nil {
		t.Skipf("conformance corpus not found at %s: skipping", c)
	}
	return c
}

// CopyTree copies the directory src into dst (created as needed), skipping
// `.konfig` state directories.
func CopyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if d.Name() == ".konfig" {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TrackSources makes a test's cached result depend on the module's Go and
// Lua sources (and go.mod, go.sum). `go test` reuses a passing result while
// the test binary and the files the test itself opened or stat'ed are
// unchanged; a test that builds cmd/konfig-lsp or runs Neovim on the plugin
// reads those sources only through other processes, so without this an
// edit to them would not run it again.
func TrackSources(t testing.TB) {
	t.Helper()
	root := ModuleRoot(t)
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(p) {
		case ".go", ".lua", ".mod", ".sum":
			_, err := os.Stat(p)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatalf("track sources: %v", err)
	}
}

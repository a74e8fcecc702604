// Package testutil holds helpers that several packages' tests share:
// finding the module root and the conformance corpus beside it, and copying
// a directory tree into a test's temporary directory.
//
//	corpus := testutil.CorpusDir(t) // ../shared/corpus, or t.Skip
package testutil

import (
	"os"
	"path/filepath"
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

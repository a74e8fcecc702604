package sema

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestResolveNeverPanics resolves every .k file of the parser corpus (many
// of them malformed) and every grammar case on its own, and fails on a
// panic: the language server resolves half-typed buffers all the time.
func TestResolveNeverPanics(t *testing.T) {
	corpus := corpusDir(t)
	var files []string
	for _, sub := range []string{"kcl-parser", "kcl-grammar"} {
		filepath.WalkDir(filepath.Join(corpus, sub), func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".k") {
				files = append(files, path)
			}
			return nil
		})
	}
	cache := NewCache()
	panics := 0
	for _, f := range files {
		func() {
			defer func() {
				if r := recover(); r != nil {
					panics++
					if panics <= 10 {
						t.Errorf("%s: panic: %v", f, r)
					}
				}
			}()
			if _, err := Load(context.Background(), Config{ModRoot: filepath.Dir(f), Files: []string{f}, Cache: cache}); err != nil {
				t.Logf("%s: %v", f, err)
			}
		}()
	}
	fmt.Printf("resolved %d corpus files alone, %d panics\n", len(files), panics)
}

// FuzzResolve resolves arbitrary source as a main file held in an overlay.
func FuzzResolve(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/resolve/*.txtar")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err == nil {
			f.Add(string(b))
		}
	}
	f.Add("schema A:\n    a: int\nx = A {a = 1}\n")
	f.Add("x = {a = 1, b = a}\ny = [i for i in x]\n")
	f.Fuzz(func(t *testing.T, src string) {
		file := "/fuzz-sema/main.k"
		done := make(chan error, 1)
		go func() {
			_, err := Load(context.Background(), Config{ModRoot: "/fuzz-sema", Files: []string{file}, Overlay: map[string][]byte{file: []byte(src)}})
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Load did not finish within 10s for %q", src)
		}
	})
}

package sema

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkResolveKonfig loads and resolves Konfig stacks:
//
//   - cold: the appops/wordpress/dev stack from nothing (parse + resolve of
//     every package it reaches);
//   - cold-all-stacks: all 28 stacks, sharing one parse cache;
//   - edit: Program.Update after a one-line edit of appops/wordpress/dev/main.k
//     (only the main package is parsed and resolved again).
func BenchmarkResolveKonfig(b *testing.B) {
	root := filepath.Join(corpusDir(b), "konfig")
	ctx := context.Background()
	dir := filepath.Join(root, "appops", "wordpress", "dev")
	files, err := stackFiles(dir, root)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			if _, err := Load(ctx, Config{ModRoot: root, Files: files}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cold-all-stacks", func(b *testing.B) {
		stacks := konfigStacks(b, root)
		var all [][]string
		for _, s := range stacks {
			fs, err := stackFiles(s, root)
			if err != nil {
				b.Fatal(err)
			}
			all = append(all, fs)
		}
		for b.Loop() {
			cache := NewCache()
			for _, fs := range all {
				if _, err := Load(ctx, Config{ModRoot: root, Files: fs, Cache: cache}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("edit", func(b *testing.B) {
		prog, err := Load(ctx, Config{ModRoot: root, Files: files})
		if err != nil {
			b.Fatal(err)
		}
		mainK := filepath.Join(dir, "main.k")
		src, err := os.ReadFile(mainK)
		if err != nil {
			b.Fatal(err)
		}
		old := []byte(`image = "wordpress:4.8-apache"`)
		if !bytes.Contains(src, old) {
			b.Fatal("main.k does not contain the line to edit")
		}
		i := 0
		for b.Loop() {
			i++
			edited := bytes.Replace(src, old, fmt.Appendf(nil, `image = "wordpress:4.8-apache-%d"`, i), 1)
			next, err := prog.Update(ctx, map[string][]byte{mainK: edited})
			if err != nil {
				b.Fatal(err)
			}
			if next.Package("base.pkg.kusion_models.kube.frontend") != prog.Package("base.pkg.kusion_models.kube.frontend") {
				b.Fatal("an unchanged package was resolved again")
			}
		}
	})
}

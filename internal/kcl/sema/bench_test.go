package sema

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the user+system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the CPU time per operation: on a shared machine the wall
// time (ns/op) includes waiting for a core.
func reportCPU(b *testing.B, start time.Duration, n int) {
	if n > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(n)/1e6, "cpu-ms/op")
	}
}

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
		start, n := cpuTime(), 0
		defer func() { reportCPU(b, start, n) }()
		for b.Loop() {
			n++
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
		start, n := cpuTime(), 0
		defer func() { reportCPU(b, start, n) }()
		for b.Loop() {
			n++
			cache := NewCache()
			for _, fs := range all {
				if _, err := Load(ctx, Config{ModRoot: root, Files: fs, Cache: cache}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("all-stacks-reuse", func(b *testing.B) {
		stacks := konfigStacks(b, root)
		var all [][]string
		for _, s := range stacks {
			fs, err := stackFiles(s, root)
			if err != nil {
				b.Fatal(err)
			}
			all = append(all, fs)
		}
		start, n := cpuTime(), 0
		defer func() { reportCPU(b, start, n) }()
		for b.Loop() {
			n++
			cache := NewCache()
			var prev *Program
			for _, fs := range all {
				p, err := Load(ctx, Config{ModRoot: root, Files: fs, Cache: cache, Reuse: prev})
				if err != nil {
					b.Fatal(err)
				}
				prev = p
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
		start := cpuTime()
		defer func() { reportCPU(b, start, i) }()
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

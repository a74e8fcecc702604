package sema

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// maxKonfigUnresolved is the ceiling on non-dynamic unresolved names over
// every Konfig stack; lower it as resolution improves.
const maxKonfigUnresolved = 0

// maxKonfigDiagnostics is the ceiling on resolver diagnostics over the
// Konfig stacks (which all compile, so every diagnostic is a false alarm).
const maxKonfigDiagnostics = 1

// TestKonfigResolves loads every Konfig stack and counts the names that do
// not resolve. Dynamic names (attributes of untyped values, keys of plain
// dicts reached through untyped values) are listed separately.
func TestKonfigResolves(t *testing.T) {
	root := filepath.Join(corpusDir(t), "konfig")
	cache := NewCache()
	type key struct {
		file string
		off  int
	}
	unresolved := map[key]Unresolved{}
	dynamic := map[key]Unresolved{}
	diags := map[string]string{}
	warnings := map[string]bool{}
	stacks := konfigStacks(t, root)
	var prev *Program
	shared := 0
	for i, dir := range stacks {
		files, err := stackFiles(dir, root)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		prog, err := Load(context.Background(), Config{ModRoot: root, Files: files, Cache: cache})
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		// Loading with the previous stack's packages reused must give the
		// same result as a cold load.
		reused, err := Load(context.Background(), Config{ModRoot: root, Files: files, Cache: cache, Reuse: prev})
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, p := range reused.Packages() {
			if prev != nil && reused.Package(p) == prev.Package(p) {
				shared++
			}
		}
		if i < 6 {
			if diff := cmp.Diff(dumpProgram(prog, root, files), dumpProgram(reused, root, files)); diff != "" {
				t.Errorf("%s: load reusing the previous stack differs from a cold load (-cold +reuse):\n%s", dir, diff)
			}
		}
		prev = reused
		for _, u := range prog.Unresolved() {
			k := key{u.File, u.Start.Offset}
			if u.Dynamic {
				dynamic[k] = u
			} else {
				unresolved[k] = u
			}
		}
		for _, d := range prog.Diagnostics() {
			if d.Warning {
				// Warnings (unused imports of the corpus) are findings,
				// not resolver errors.
				warnings[d.Error()] = true
				continue
			}
			diags[d.Error()] = dir
		}
	}
	list := func(m map[key]Unresolved) []string {
		var out []string
		for _, u := range m {
			rel, _ := filepath.Rel(root, u.File)
			out = append(out, fmt.Sprintf("%s:%d:%d %s (%s)", rel, u.Start.Line, u.Start.Col, u.Name, u.Reason))
		}
		sort.Strings(out)
		return out
	}
	ul, dl := list(unresolved), list(dynamic)
	var dg []string
	for d := range diags {
		dg = append(dg, d)
	}
	sort.Strings(dg)
	for _, s := range ul {
		t.Logf("unresolved: %s", s)
	}
	for _, s := range dl {
		t.Logf("dynamic: %s", s)
	}
	for _, s := range dg {
		t.Logf("diagnostic: %s", s)
	}
	fmt.Printf("konfig: %d stacks, %d unresolved, %d dynamic, %d diagnostics, %d warnings (%d packages shared between consecutive stacks)\n", len(stacks), len(ul), len(dl), len(dg), len(warnings), shared)
	if len(ul) > maxKonfigUnresolved {
		t.Errorf("%d unresolved names, ceiling %d", len(ul), maxKonfigUnresolved)
	}
	if len(dg) > maxKonfigDiagnostics {
		t.Errorf("%d diagnostics, ceiling %d", len(dg), maxKonfigDiagnostics)
	}
}

package loader

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func write(t *testing.T, path, src string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestIsSource(t *testing.T) {
	for name, want := range map[string]bool{
		"main.k": true, "a_b.k": true, "main_test.k": false, "_private.k": false,
		"main.kk": false, "k": false, "kcl.mod": false,
	} {
		if got := IsSource(name); got != want {
			t.Errorf("IsSource(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestModRoot(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "mod", "kcl.mod"), "")
	write(t, filepath.Join(dir, "mod", "app", "main.k"), "a = 1\n")
	write(t, filepath.Join(dir, "loose", "main.k"), "a = 1\n")
	mod := filepath.Join(dir, "mod")
	loose := filepath.Join(dir, "loose")
	if got := ModRoot([]string{filepath.Join(mod, "app", "main.k")}, loose); got != mod {
		t.Errorf("inputs under kcl.mod: root %s, want %s", got, mod)
	}
	// A directory without kcl.mod is its own root (kcl run's working
	// directory; the server passes the file's directory).
	if got := ModRoot([]string{filepath.Join(loose, "main.k")}, loose); got != loose {
		t.Errorf("no kcl.mod: root %s, want %s", got, loose)
	}
	// Inputs that disagree fall back to the working directory's root.
	if got := ModRoot([]string{filepath.Join(mod, "app", "main.k"), filepath.Join(loose, "main.k")}, filepath.Join(mod, "app")); got != mod {
		t.Errorf("disagreeing inputs: root %s, want %s", got, mod)
	}
	if got := FindModRoot(loose); got != "" {
		t.Errorf("FindModRoot(loose) = %q, want none", got)
	}
}

func TestImportAndPackageFiles(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	ext := filepath.Join(dir, "ext")
	write(t, filepath.Join(root, "kcl.mod"), "")
	write(t, filepath.Join(root, "app", "main.k"), "import base.pkg\n")
	write(t, filepath.Join(root, "base", "pkg", "b.k"), "b = 1\n")
	write(t, filepath.Join(root, "base", "pkg", "a.k"), "a = 1\n")
	write(t, filepath.Join(root, "base", "pkg", "a_test.k"), "t = 1\n")
	write(t, filepath.Join(root, "base", "pkg", "_p.k"), "p = 1\n")
	write(t, filepath.Join(root, "one.k"), "one = 1\n")
	write(t, filepath.Join(ext, "lib", "x.k"), "x = 1\n")
	os.MkdirAll(filepath.Join(root, "empty"), 0o755)
	newFile := filepath.Join(root, "base", "pkg", "c.k")
	l := &Loader{Root: root, External: map[string]string{"dep": ext}, Overlay: Buffers{newFile: []byte("c = 1\n")}, Cache: NewCache()}
	main := filepath.Join(root, "app", "main.k")
	cases := []struct {
		dots         int
		path         string
		pkgPath      string
		files        []string
		kind         PackageErrorKind
		wantExternal bool
	}{
		{0, "base.pkg", "base.pkg", []string{"base/pkg/a.k", "base/pkg/b.k", "base/pkg/c.k"}, 0, false},
		{0, "one", "one", []string{"one.k"}, 0, false},
		{2, "one", "one", []string{"one.k"}, 0, false},
		{1, "", "app", []string{"app/main.k"}, 0, false},
		{0, "dep.lib", "dep.lib", []string{"../ext/lib/x.k"}, 0, true},
		{0, "empty", "empty", nil, Empty, false},
		{0, "nothing", "nothing", nil, NotFound, false},
	}
	for _, c := range cases {
		imp := l.Import(main, c.dots, c.path)
		if imp.PkgPath != c.pkgPath || imp.External != c.wantExternal {
			t.Errorf("Import(%d, %q) = %+v, want package %q", c.dots, c.path, imp, c.pkgPath)
		}
		files, err := l.PackageFiles(imp.Base)
		if c.files == nil {
			var pe *PackageError
			if !errors.As(err, &pe) || pe.Kind != c.kind {
				t.Errorf("PackageFiles(%s): %v, want kind %d", imp.Base, err, c.kind)
			}
			continue
		}
		var want []string
		for _, f := range c.files {
			want = append(want, filepath.Join(root, f))
		}
		if len(files) != len(want) {
			t.Errorf("PackageFiles(%s) = %v, want %v", imp.Base, files, want)
			continue
		}
		for i := range want {
			if files[i] != want[i] {
				t.Errorf("PackageFiles(%s) = %v, want %v", imp.Base, files, want)
				break
			}
		}
	}
}

func TestCacheSharesAndBounds(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.k")
	write(t, p, "a = 1\n")
	c := NewCacheSize(20)
	var wg sync.WaitGroup
	got := make([]*File, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := c.ParseFile(nil, nil, p)
			if err != nil {
				t.Error(err)
			}
			got[i] = f
		}()
	}
	wg.Wait()
	for _, f := range got[1:] {
		if f != got[0] {
			t.Fatal("concurrent parses of one content are not shared")
		}
	}
	// The overlay's content is another entry; the disk's stays cached.
	ov := Buffers{p: []byte("a = 2\n")}
	f2, _ := c.ParseFile(nil, ov, p)
	if f2 == got[0] || f2.Hash == got[0].Hash {
		t.Fatal("overlay content served from the disk's parse")
	}
	if f3, _ := c.ParseFile(nil, nil, p); f3 != got[0] {
		t.Fatal("disk parse not reused")
	}
	// Past the budget the least recently used parse goes.
	c.Parse(filepath.Join(dir, "b.k"), []byte("b = 1234567890\n"))
	if n := c.Len(); n > 2 {
		t.Fatalf("cache of 20 bytes holds %d parses", n)
	}
	var nilCache *Cache
	if f := nilCache.Parse(p, []byte("x = 1\n")); f.AST == nil {
		t.Fatal("nil cache does not parse")
	}
}

func TestDependencies(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "app")
	write(t, filepath.Join(root, "kcl.mod"), `[package]
name = "app"

[dependencies]
lib = { path = "../lib" }
abs = { path = "/opt/abs", version = "0.1" }
konfig = { git = "https://example.com/konfig.git", tag = "v0.0.1" }
k8s = "1.28"

[profile]
entries = ["main.k"]
`)
	got := Dependencies(nil, root)
	want := map[string]string{"lib": filepath.Join(dir, "lib"), "abs": "/opt/abs"}
	if len(got) != len(want) || got["lib"] != want["lib"] || got["abs"] != want["abs"] {
		t.Errorf("Dependencies = %v, want %v", got, want)
	}
	ext := WithDependencies(nil, root, map[string]string{"lib": "/elsewhere"})
	if ext["lib"] != "/elsewhere" || ext["abs"] != "/opt/abs" {
		t.Errorf("WithDependencies = %v: -E must win over kcl.mod", ext)
	}
	if n := len(Dependencies(nil, dir)); n != 0 {
		t.Errorf("no kcl.mod: %d dependencies", n)
	}
}

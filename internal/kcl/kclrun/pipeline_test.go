package kclrun

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPipeline runs small programs through Run and checks that static
// errors come from the resolver (resolve first), that the lenient
// on-error mode reports only the resolver errors that explain a failed
// evaluation, and that external packages (-E) resolve.
func TestPipeline(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		args  []string
		code  int
		out   string // substring of stdout (code 0) or stderr
	}{
		{"immutable", map[string]string{"main.k": "a = 1\na = 2\n"}, nil, 1,
			"Can not change the value of 'a', because it was declared immutable"},
		{"param order", map[string]string{"main.k": "schema A[x = 1, y]:\n    v: int = y\na = A(1, 2)\n"}, nil, 1,
			"non-default argument follows default argument"},
		// Lenient: the static error at line 1 goes unreported while the
		// program evaluates...
		{"on-error ok", map[string]string{"main.k": "schema A[x = 1, y]:\n    v: int = y\na = A(1, 2)\n"},
			[]string{"--resolve=on-error"}, 0, "v: 2"},
		// ... and does not mask a failed check elsewhere.
		{"on-error check", map[string]string{"main.k": "schema A[x = 1, y]:\n    v: int = y\n\n    check:\n        v > 5, \"v too small\"\na = A(1, 2)\n"},
			[]string{"--resolve=on-error"}, 1, "v too small"},
		// A static error where the evaluation stopped is the resolver's.
		{"on-error explained", map[string]string{"main.k": "a = b.c\n"},
			[]string{"--resolve=on-error"}, 1, "name 'b' is not defined"},
		{"external", map[string]string{"main.k": "import dep.lib\nx = lib.y\n", "../ext/lib/l.k": "y = 42\n"},
			[]string{"-E", "dep=../ext"}, 0, "x: 42"},
		{"external missing attribute", map[string]string{"main.k": "import dep.lib\nx = lib.z\n", "../ext/lib/l.k": "y = 42\n"},
			[]string{"-E", "dep=../ext"}, 1, "z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "app")
			writeTree(t, dir, c.files)
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), append([]string{"main.k"}, c.args...), dir, &stdout, &stderr)
			got := stdout.String()
			if code != 0 {
				got = stderr.String()
			}
			if code != c.code || !strings.Contains(got, c.out) {
				t.Errorf("exit %d, want %d with %q in:\n%s%s", code, c.code, c.out, stdout.String(), stderr.String())
			}
		})
	}
}

// TestPipelineModDependencies imports a package that kcl.mod declares as a
// path dependency: the resolver (first) and the evaluator both find it. A
// dependency outside the module root stays outside the sandbox unless the
// command line names it (-E).
func TestPipelineModDependencies(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"app/kcl.mod":           "[package]\nname = \"app\"\n\n[dependencies]\nlib = { path = \"deps/lib\" }\nout = { path = \"../out\" }\n",
		"app/main.k":            "import lib.sub\nx = sub.y\n",
		"app/other.k":           "import out\nz = out.w\n",
		"app/deps/lib/sub/s.k":  "y = 7\n",
		"app/deps/lib/sub/_n.k": "broken ==\n",
		"out/o.k":               "w = 1\n",
	}
	writeTree(t, dir, files)
	app := filepath.Join(dir, "app")
	run := func(argv ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), argv, app, &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}
	if code, out := run("main.k"); code != 0 || !strings.Contains(out, "x: 7") {
		t.Errorf("path dependency in the module: exit %d\n%s", code, out)
	}
	if code, out := run("other.k"); code == 0 || !strings.Contains(out, "Cannot import out") {
		t.Errorf("path dependency outside the root, not named: exit %d\n%s", code, out)
	}
	if code, out := run("other.k", "-E", "out=../out"); code != 0 || !strings.Contains(out, "z: 1") {
		t.Errorf("named with -E: exit %d\n%s", code, out)
	}
}

// writeTree writes files (relative path → content) beneath dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fmtFixture is a small tree of KCL files: a formatted one, an unformatted
// one, a broken one, and a non-KCL file that fmt must ignore.
var fmtFixture = map[string]string{
	"ok.k":         "a = 1\n",
	"sub/ugly.k":   "b  =  [1,2]\nc={x=1}\n",
	"sub/notes.md": "x  =  1\n",
	"bad/broken.k": "d = (\n",
}

const fmtUglyFormatted = "b = [1, 2]\nc = {x = 1}\n"

func fmtWriteFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range fmtFixture {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func fmtReadFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFmtCommand(t *testing.T) {
	tests := []struct {
		name       string
		args       []string // paths relative to the fixture dir; flags as is
		stdin      string
		wantStdout string
		wantErrIn  string // substring of stderr ("" = empty stderr)
		wantCode   int    // 0 = success
		wantFiles  map[string]string
	}{
		{
			name:       "print one file",
			args:       []string{"sub/ugly.k"},
			wantStdout: fmtUglyFormatted,
			wantFiles:  map[string]string{"sub/ugly.k": fmtFixture["sub/ugly.k"]},
		},
		{
			name:       "write rewrites changed files only",
			args:       []string{"-w", "ok.k", "sub"},
			wantStdout: "",
			wantFiles:  map[string]string{"sub/ugly.k": fmtUglyFormatted, "ok.k": "a = 1\n", "sub/notes.md": "x  =  1\n"},
		},
		{
			name:       "list files that differ",
			args:       []string{"-l", "ok.k", "sub"},
			wantStdout: "sub/ugly.k\n",
			wantFiles:  map[string]string{"sub/ugly.k": fmtFixture["sub/ugly.k"]},
		},
		{
			name:       "syntax error leaves the file untouched and exits 1",
			args:       []string{"-w", "."},
			wantErrIn:  "bad/broken.k:2:1: ",
			wantCode:   1,
			wantFiles:  map[string]string{"bad/broken.k": "d = (\n", "sub/ugly.k": fmtUglyFormatted},
			wantStdout: "",
		},
		{
			name:       "standard input",
			stdin:      "x=1\n",
			wantStdout: "x = 1\n",
		},
		{
			name:       "dash reads standard input",
			args:       []string{"-"},
			stdin:      "x=1\n",
			wantStdout: "x = 1\n",
		},
		{
			name:      "write with standard input is a usage error",
			args:      []string{"-w", "-"},
			stdin:     "x=1\n",
			wantErrIn: "cannot use -w with standard input",
			wantCode:  2,
		},
		{
			name:       "check lists files that differ and exits 1",
			args:       []string{"-d", "ok.k", "sub"},
			wantStdout: "sub/ugly.k\n",
			wantCode:   1,
			wantFiles:  map[string]string{"sub/ugly.k": fmtFixture["sub/ugly.k"]},
		},
		{
			name:       "check passes on formatted files",
			args:       []string{"--check", "ok.k"},
			wantStdout: "",
		},
		{
			name:       "check of standard input",
			args:       []string{"--check"},
			stdin:      "x=1\n",
			wantStdout: "<stdin>\n",
			wantCode:   1,
		},
		{
			name:       "check with write rewrites and exits 1",
			args:       []string{"-d", "-w", "sub"},
			wantStdout: "sub/ugly.k\n",
			wantCode:   1,
			wantFiles:  map[string]string{"sub/ugly.k": fmtUglyFormatted},
		},
		{
			name:       "dir/... walks recursively, -R accepted",
			args:       []string{"-R", "-l", "./..."},
			wantStdout: "sub/ugly.k\n",
			wantErrIn:  "bad/broken.k:2:1: ",
			wantCode:   1,
		},
		{
			name:      "missing path",
			args:      []string{"nope.k"},
			wantErrIn: "nope.k",
			wantCode:  1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := fmtWriteFixture(t)
			var args []string
			for _, a := range tc.args {
				if strings.HasPrefix(a, "-") {
					args = append(args, a)
				} else {
					args = append(args, filepath.Join(dir, a))
				}
			}
			root := newRootCmd()
			var stdout, stderr bytes.Buffer
			root.SetArgs(append([]string{"fmt"}, args...))
			root.SetIn(strings.NewReader(tc.stdin))
			root.SetOut(&stdout)
			root.SetErr(&stderr)
			err := root.Execute()

			code := 0
			if err != nil {
				var ee exitError
				if !errors.As(err, &ee) {
					t.Fatalf("error %v is not an exitError", err)
				}
				code = ee.code
			}
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tc.wantCode, stderr.String())
			}
			gotStdout := strings.ReplaceAll(stdout.String(), dir+string(filepath.Separator), "")
			if d := cmp.Diff(tc.wantStdout, gotStdout); d != "" {
				t.Errorf("stdout (-want +got):\n%s", d)
			}
			gotStderr := strings.ReplaceAll(stderr.String(), dir+string(filepath.Separator), "")
			if tc.wantErrIn == "" && gotStderr != "" || !strings.Contains(gotStderr, tc.wantErrIn) {
				t.Errorf("stderr %q, want it to contain %q", gotStderr, tc.wantErrIn)
			}
			for name, want := range tc.wantFiles {
				if d := cmp.Diff(want, fmtReadFile(t, filepath.Join(dir, name))); d != "" {
					t.Errorf("%s after fmt (-want +got):\n%s", name, d)
				}
			}
		})
	}
}

// fmtStackFloor is the number of corpus Konfig stacks whose compiled output
// must stay byte-identical after `fmt -w` of the whole Konfig.
const fmtStackFloor = 28

// TestFmtKeepsStackOutput formats a copy of the whole corpus Konfig with
// `fmt -w` and compiles every stack of the original and of the copy: the
// outputs must be identical (formatting never changes what KCL computes).
func TestFmtKeepsStackOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles every corpus stack twice; skipped with -short")
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(root) == root {
			t.Skip("go.mod not found above the test directory")
		}
		root = filepath.Dir(root)
	}
	corpus := filepath.Join(root, "..", "shared", "corpus", "konfig")
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("corpus Konfig not found at %s", corpus)
	}
	formatted := filepath.Join(t.TempDir(), "konfig")
	var stacks []string
	err = filepath.WalkDir(corpus, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(corpus, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(formatted, rel), 0o755)
		}
		if d.Name() == "stack.yaml" {
			stacks = append(stacks, filepath.Dir(rel))
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(formatted, rel), data, 0o644)
	})
	if err != nil {
		t.Fatalf("copy corpus: %v", err)
	}

	run := func(args ...string) (string, int) {
		root := newRootCmd()
		var stdout, stderr bytes.Buffer
		root.SetArgs(args)
		root.SetOut(&stdout)
		root.SetErr(&stderr)
		code := 0
		if err := root.Execute(); err != nil {
			code = 1
			var ee exitError
			if errors.As(err, &ee) {
				code = ee.code
			}
		}
		return stdout.String() + stderr.String(), code
	}
	if out, code := run("fmt", "-w", formatted); code != 0 {
		t.Fatalf("fmt -w: exit %d\n%s", code, out)
	}
	if out, code := run("fmt", "-l", formatted); code != 0 || out != "" {
		t.Errorf("fmt -l after fmt -w: exit %d, listed %q (want nothing: fmt is idempotent)", code, out)
	}

	passed, failed, skipped := 0, 0, 0
	for _, stack := range stacks {
		want, code := run("compile", filepath.Join(corpus, stack))
		if code != 0 {
			skipped++ // the original does not compile: nothing to compare
			continue
		}
		got, code := run("compile", filepath.Join(formatted, stack))
		if d := cmp.Diff(want, got); code != 0 || d != "" {
			failed++
			t.Errorf("%s: compile output changed by fmt (exit %d, -original +formatted):\n%s", stack, code, d)
			continue
		}
		passed++
	}
	t.Logf("stacks after fmt -w: %d passed, %d failed (%d skipped: the original does not compile)", passed, failed, skipped)
	if passed < fmtStackFloor {
		t.Errorf("%d stacks passed, below the floor of %d", passed, fmtStackFloor)
	}
}

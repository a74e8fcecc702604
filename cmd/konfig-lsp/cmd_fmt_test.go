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

const uglyFormatted = "b = [1, 2]\nc = {x = 1}\n"

func writeFixture(t *testing.T) string {
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

func readFile(t *testing.T, path string) string {
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
			wantStdout: uglyFormatted,
			wantFiles:  map[string]string{"sub/ugly.k": fmtFixture["sub/ugly.k"]},
		},
		{
			name:       "write rewrites changed files only",
			args:       []string{"-w", "ok.k", "sub"},
			wantStdout: "",
			wantFiles:  map[string]string{"sub/ugly.k": uglyFormatted, "ok.k": "a = 1\n", "sub/notes.md": "x  =  1\n"},
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
			wantFiles:  map[string]string{"bad/broken.k": "d = (\n", "sub/ugly.k": uglyFormatted},
			wantStdout: "",
		},
		{
			name:       "standard input",
			stdin:      "x=1\n",
			wantStdout: "x = 1\n",
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
			dir := writeFixture(t)
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
				if d := cmp.Diff(want, readFile(t, filepath.Join(dir, name))); d != "" {
					t.Errorf("%s after fmt (-want +got):\n%s", name, d)
				}
			}
		})
	}
}

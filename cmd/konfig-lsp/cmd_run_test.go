package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRunCommand runs `konfig-lsp run` through the cobra root on small
// programs and checks output, errors and exit statuses.
func TestRunCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.k", "name = option(\"name\")\nport = 8080\n_hidden = 1\n")
	write("bad.k", "a = 1\nb = a + \"x\"\n")
	write("slow.k", "a = sum([1 for i in range(100000) for j in range(100000) if False])\n")
	if err := os.MkdirAll(filepath.Join(dir, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	write("lib/lib.k", "greeting = \"hi\"\n")
	write("ext.k", "import mylib\nmsg = mylib.greeting\n")
	write("settings.yaml", "kcl_options:\n  - key: name\n    value: from-settings\n")

	tests := []struct {
		name       string
		args       []string
		wantOut    string
		wantErr    string // substring of stderr
		wantCode   int
		outputFile string
	}{
		{name: "yaml", args: []string{"main.k", "-D", "name=app"}, wantOut: "name: app\nport: 8080\n"},
		{name: "settings", args: []string{"main.k", "-Y", "settings.yaml"}, wantOut: "name: from-settings\nport: 8080\n"},
		{name: "hidden", args: []string{"main.k", "-H", "-n"}, wantOut: "port: 8080\n_hidden: 1\n"},
		{name: "selector", args: []string{"main.k", "-S", "port"}, wantOut: "8080\n"},
		{name: "json", args: []string{"main.k", "--format", "json", "-D", "name=x"}, wantOut: "{\n    \"name\": \"x\",\n    \"port\": 8080\n}\n"},
		{name: "error", args: []string{"bad.k"}, wantErr: "error[E", wantCode: 1},
		{name: "bad -D", args: []string{"main.k", "-D", "=1"}, wantErr: "EvaluationError\nInvalid value for top level arguments", wantCode: 1},
		{name: "external package", args: []string{"ext.k", "-E", "mylib=lib"}, wantOut: "msg: hi\n"},
		{name: "directory input", args: []string{"lib"}, wantOut: "greeting: hi\n"},
		{name: "timeout", args: []string{"slow.k", "--timeout", "200ms"}, wantErr: "evaluation timed out", wantCode: 1},
		{name: "quiet", args: []string{"main.k", "-q"}},
		{name: "usage error", args: []string{"main.k", "--no-such-flag"}, wantErr: "unknown flag", wantCode: 2},
		{name: "output file", args: []string{"main.k", "-D", "name=o", "-o", "out.yaml"}, outputFile: "name: o\nport: 8080\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(dir)
			var stdout, stderr bytes.Buffer
			root := newRootCmd()
			root.SetArgs(append([]string{"run"}, tt.args...))
			root.SetOut(&stdout)
			root.SetErr(&stderr)
			code := 0
			if err := root.Execute(); err != nil {
				code = exitCode(err)
			}
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if diff := cmp.Diff(tt.wantOut, stdout.String()); diff != "" {
				t.Errorf("stdout mismatch (-want +got):\n%s", diff)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.wantErr)
			}
			if tt.outputFile != "" {
				got, err := os.ReadFile(filepath.Join(dir, "out.yaml"))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.outputFile, string(got)); diff != "" {
					t.Errorf("output file mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

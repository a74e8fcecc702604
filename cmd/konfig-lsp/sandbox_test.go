package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSandboxFlags runs compile, check and run on a stack whose code writes
// a file, appends to .git/config and reads an environment variable: compile
// and check are read-only unless --allow-file-writes, read_env sees only
// --allow-env variables, run behaves as kcl run (writes beneath the root,
// every variable), and .git is never written.
func TestSandboxFlags(t *testing.T) {
	t.Setenv("KONFIG_CLI_TEST_TOKEN", "tok-c11-secret")
	const program = `import file
import manifests
file.write("out.txt", "written")
manifests.yaml_stream([{apiVersion = "v1", kind = "ConfigMap", metadata.name = "env", data.token = file.read_env("KONFIG_CLI_TEST_TOKEN") or "none"}])
`
	const appendGit = "import file\nfile.append(\"../../.git/config\", \"[core]\\n fsmonitor = x\")\n"
	tests := []struct {
		name    string
		program string
		args    []string // stack dir appended, except for run (run in the stack dir)
		code    int
		stdout  string // substring
		stderr  string // substring
		written bool   // out.txt exists after
	}{
		{"compile read-only", program, []string{"compile"}, 1, "", "compile evaluates read-only; pass --allow-file-writes", false},
		{"check read-only", program, []string{"check"}, 1, "1 stack checked, 1 failed", "check evaluates read-only", false},
		{"compile with writes, no env", program, []string{"compile", "--allow-file-writes"}, 0, "token: none", "", true},
		{"compile with writes and env", program, []string{"compile", "--allow-file-writes", "--allow-env", "KONFIG_CLI_TEST_TOKEN"}, 0, "token: tok-c11-secret", "", true},
		{"compile .git with writes", appendGit, []string{"compile", "--allow-file-writes"}, 1, "", ".git is protected", false},
		{"run as kcl run", program, []string{"run", "main.k"}, 0, "token: tok-c11-secret", "", true},
		{"run .git", appendGit, []string{"run", "main.k"}, 1, "", ".git is protected", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := t.TempDir()
			stack := filepath.Join(repo, "app", "dev")
			files := map[string]string{
				filepath.Join(repo, "kcl.mod"):             "[package]\n",
				filepath.Join(repo, ".git", "config"):      "[core]\n",
				filepath.Join(repo, "app", "project.yaml"): "name: app\n",
				filepath.Join(stack, "stack.yaml"):         "name: dev\n",
				filepath.Join(stack, "main.k"):             tt.program,
			}
			for p, c := range files {
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := tt.args
			if args[0] == "run" {
				t.Chdir(stack)
			} else {
				args = append(append([]string(nil), args...), stack)
			}
			stdout, stderr, code := execRoot(t, args...)
			if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q", args, code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
			}
			_, err := os.Stat(filepath.Join(stack, "out.txt"))
			if (err == nil) != tt.written {
				t.Errorf("out.txt written = %v, want %v", err == nil, tt.written)
			}
			if b, _ := os.ReadFile(filepath.Join(repo, ".git", "config")); string(b) != "[core]\n" {
				t.Errorf(".git/config changed: %q", b)
			}
		})
	}
}

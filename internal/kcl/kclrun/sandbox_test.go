package kclrun

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
)

// TestRunSandbox runs hostile workspaces through Run (the code path of
// `konfig-lsp run`) under the run policy and a read-only one: the
// evaluation fails with a clear error, no secret (file content, environment
// value) reaches stdout or stderr, and nothing changes outside the root or
// under .git.
func TestRunSandbox(t *testing.T) {
	const token = "tok-7f3a9c-secret"
	t.Setenv("KONFIG_SANDBOX_TOKEN", token)
	readOnly := &sandbox.Policy{DenyReason: "compile evaluates read-only (pass --allow-file-writes)", AllowEnv: []string{"KONFIG_SANDBOX_OK"}}
	tests := []struct {
		name   string
		files  map[string]string // beneath the repository; "->target" makes a symlink
		argv   []string          // run in repo/app
		policy *sandbox.Policy
		stderr string // substring of stderr ("" = success)
		stdout string // substring of stdout
	}{
		{
			name:   "kcl.yaml lists /proc/self/environ",
			files:  map[string]string{"app/kcl.yaml": "kcl_cli_configs:\n  file:\n    - /proc/self/environ\n"},
			stderr: "outside the sandbox root",
		},
		{
			name:   "kcl.yaml lists a file outside through ..",
			files:  map[string]string{"app/kcl.yaml": "kcl_cli_configs:\n  file:\n    - ../../secret.k\n"},
			stderr: "outside the sandbox root",
		},
		{
			name:   "symlinked .k outside the root",
			files:  map[string]string{"app/main.k": "a = 1\n", "app/leak.k": "->../../secret.k"},
			argv:   []string{"."},
			stderr: "outside the sandbox root",
		},
		{
			name:   "kcl.yaml is a link outside",
			files:  map[string]string{"app/main.k": "a = 1\n", "app/kcl.yaml": "->../../secret.yaml"},
			stderr: "outside the sandbox root",
		},
		{
			name:   "settings output outside the root",
			files:  map[string]string{"app/main.k": "a = 1\n", "app/kcl.yaml": "kcl_cli_configs:\n  file: [main.k]\n  output: ../../evil.yaml\n"},
			stderr: "outside the sandbox root",
		},
		{
			name:   "import of a linked package outside",
			files:  map[string]string{"kcl.mod": "", "app/main.k": "import lib\nb = lib.x\n", "lib": "->../outside-lib"},
			argv:   []string{"main.k"},
			stderr: "outside the sandbox root",
		},
		{
			name:   "file.append to .git/config (run)",
			files:  map[string]string{"kcl.mod": "", "app/main.k": "import file\nfile.append(\"../.git/config\", \"[core]\\n fsmonitor = x\")\n"},
			argv:   []string{"main.k"},
			stderr: ".git is protected",
		},
		{
			name:   "file.append to .git/config (read-only)",
			files:  map[string]string{"kcl.mod": "", "app/main.k": "import file\nfile.append(\"../.git/config\", \"x\")\n"},
			argv:   []string{"main.k"},
			policy: readOnly,
			stderr: "pass --allow-file-writes",
		},
		{
			name:   "self-feeding append (read-only)",
			files:  map[string]string{"kcl.mod": "", "app/main.k": "import file\nfile.append(\"main.k\", \"a = 1\\n\")\n"},
			argv:   []string{"main.k"},
			policy: readOnly,
			stderr: "file writes are not allowed",
		},
		{
			name:   "file.write inside (run)",
			files:  map[string]string{"kcl.mod": "", "app/main.k": "import file\nfile.write(\"out.txt\", \"ok\")\na = file.read(\"out.txt\")\n"},
			argv:   []string{"main.k"},
			stdout: "a: ok",
		},
		{
			name:   "read_env not listed (read-only)",
			files:  map[string]string{"kcl.mod": "", "app/main.k": "import file\na = file.read_env(\"KONFIG_SANDBOX_TOKEN\")\n"},
			argv:   []string{"main.k"},
			policy: readOnly,
			stdout: "a: null",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			repo := filepath.Join(base, "repo")
			app := filepath.Join(repo, "app")
			outside := map[string]string{
				filepath.Join(base, "secret.k"):             "TOKEN = \"" + token + "\"\n",
				filepath.Join(base, "secret.yaml"):          "kcl_cli_configs:\n  file: [/proc/self/environ]\n# " + token + "\n",
				filepath.Join(base, "outside-lib", "lib.k"): "x = \"" + token + "\"\n",
				filepath.Join(repo, ".git", "config"):       "[core]\n",
			}
			write := func(p, c string) {
				t.Helper()
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if target, ok := strings.CutPrefix(c, "->"); ok {
					if err := os.Symlink(target, p); err != nil {
						t.Fatal(err)
					}
					return
				}
				if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for p, c := range outside {
				write(p, c)
			}
			if err := os.MkdirAll(app, 0o755); err != nil {
				t.Fatal(err)
			}
			for p, c := range tt.files {
				write(filepath.Join(repo, p), c)
			}
			a, err := ParseArgs(tt.argv)
			if err != nil {
				t.Fatal(err)
			}
			a.WorkDir = app
			a.Policy = tt.policy
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), a, &stdout, &stderr)
			out, errOut := stdout.String(), stderr.String()
			if tt.stderr != "" {
				if code == 0 || !strings.Contains(errOut, tt.stderr) {
					t.Errorf("exit %d, stderr %q; want a failure containing %q", code, errOut, tt.stderr)
				}
			} else if code != 0 || !strings.Contains(out, tt.stdout) {
				t.Errorf("exit %d, stdout %q, stderr %q; want success with %q", code, out, errOut, tt.stdout)
			}
			for _, s := range []string{out, errOut} {
				if strings.Contains(s, token) || strings.Contains(s, "PATH=") {
					t.Errorf("output leaks a secret:\n%s", s)
				}
			}
			for p, c := range outside {
				if b, err := os.ReadFile(p); err != nil || string(b) != c {
					t.Errorf("%s changed: %q, %v", p, b, err)
				}
			}
			if _, err := os.Lstat(filepath.Join(base, "evil.yaml")); err == nil {
				t.Errorf("evil.yaml was written outside the root")
			}
		})
	}
}

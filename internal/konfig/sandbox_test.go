package konfig

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
)

// TestCompileSandbox compiles hostile stacks: each fails with a clear
// error (or succeeds where the policy allows), no secret reaches the error
// or its problems, and nothing changes outside the repository or under
// .git and the state directory.
func TestCompileSandbox(t *testing.T) {
	const token = "tok-51ab-secret"
	t.Setenv("KONFIG_SANDBOX_TOKEN", token)
	const serverReason = "the language server evaluates without side effects"
	tests := []struct {
		name    string
		files   map[string]string // beneath the stack dir; "->target" is a symlink
		policy  sandbox.Policy
		wantErr string // substring of the error ("" = success)
		check   func(t *testing.T, stack string)
	}{
		{
			name:    "kcl.yaml lists /proc/self/environ",
			files:   map[string]string{"kcl.yaml": "kcl_cli_configs:\n  file:\n    - /proc/self/environ\n"},
			wantErr: "outside the sandbox root",
		},
		{
			name:    "kcl.yaml lists a file above the repository",
			files:   map[string]string{"kcl.yaml": "kcl_cli_configs:\n  file:\n    - ../../../../secret.k\n"},
			wantErr: "outside the sandbox root",
		},
		{
			name:    "symlinked .k in the stack directory",
			files:   map[string]string{"main.k": "a = 1\n", "zz.k": "->../../../../secret.k"},
			wantErr: "outside the sandbox root",
		},
		{
			name:    "symlinked settings file",
			files:   map[string]string{"main.k": "a = 1\n", "ci-test/settings.yaml": "->../../../../../secret.k"},
			wantErr: "outside the sandbox root",
		},
		{
			name:    "file.append to .git/config (default policy)",
			files:   map[string]string{"main.k": "import file\nfile.append(\"../../../.git/config\", \"[core]\\n fsmonitor = x\")\n"},
			wantErr: DefaultDenyReason,
		},
		{
			name:    "file.append to .git/config (writes allowed)",
			files:   map[string]string{"main.k": "import file\nfile.append(\"../../../.git/config\", \"x\")\n"},
			policy:  sandbox.Policy{AllowWrites: true},
			wantErr: ".git is protected",
		},
		{
			name:    "state directory (writes allowed)",
			files:   map[string]string{"main.k": "import file\nfile.write(\".konfig/state.json\", \"{}\")\n"},
			policy:  sandbox.Policy{AllowWrites: true},
			wantErr: ".konfig is protected",
		},
		{
			name:    "server: a stack feeding itself",
			files:   map[string]string{"main.k": "import file\nfile.append(\"main.k\", \"b = 2\\n\")\n"},
			policy:  sandbox.Policy{DenyReason: serverReason},
			wantErr: serverReason,
		},
		{
			name:   "writes allowed inside the repository",
			files:  map[string]string{"main.k": "import file\nimport manifests\nfile.write(\"out.txt\", \"ok\")\nmanifests.yaml_stream([])\n"},
			policy: sandbox.Policy{AllowWrites: true},
			check: func(t *testing.T, stack string) {
				if b, err := os.ReadFile(filepath.Join(stack, "out.txt")); err != nil || string(b) != "ok" {
					t.Errorf("out.txt = %q, %v", b, err)
				}
			},
		},
		{
			name:    "read_env only sees listed variables",
			files:   map[string]string{"main.k": "import file\nimport manifests\nmanifests.yaml_stream([])\nassert file.read_env(\"KONFIG_SANDBOX_TOKEN\") == None, \"token visible\"\nassert file.read_env(\"KONFIG_SANDBOX_OK\") == \"yes\", \"listed variable hidden\"\n"},
			policy:  sandbox.Policy{AllowEnv: []string{"KONFIG_SANDBOX_OK"}},
			wantErr: "",
		},
	}
	t.Setenv("KONFIG_SANDBOX_OK", "yes")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			repo := filepath.Join(base, "repo")
			stack := filepath.Join(repo, "appops", "app", "dev")
			guarded := map[string]string{
				filepath.Join(base, "secret.k"):                          "TOKEN = \"" + token + "\"\n",
				filepath.Join(repo, ".git", "config"):                    "[core]\n",
				filepath.Join(stack, sandbox.StateDirName, "state.json"): "{\"serial\": 1}",
			}
			files := map[string]string{
				filepath.Join(repo, "kcl.mod"):                       "[package]\n",
				filepath.Join(repo, "appops", "app", "project.yaml"): "name: app\n",
				filepath.Join(stack, "stack.yaml"):                   "name: dev\n",
			}
			for p, c := range guarded {
				files[p] = c
			}
			for p, c := range tt.files {
				files[filepath.Join(stack, p)] = c
			}
			for p, c := range files {
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				var err error
				if target, ok := strings.CutPrefix(c, "->"); ok {
					err = os.Symlink(target, p)
				} else {
					err = os.WriteFile(p, []byte(c), 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			st, err := LoadStack(stack)
			if err == nil {
				_, err = Compile(context.Background(), st, CompileOptions{Policy: tt.policy})
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("compile: %v", err)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("compile error %v, want one containing %q", err, tt.wantErr)
				}
				msgs := []string{err.Error()}
				if st != nil {
					for _, p := range st.Problems(err) {
						msgs = append(msgs, p.Format(repo))
					}
				}
				for _, m := range msgs {
					if strings.Contains(m, token) || strings.Contains(m, "PATH=") {
						t.Errorf("error leaks a secret: %s", m)
					}
				}
			}
			if tt.check != nil {
				tt.check(t, stack)
			}
			for p, c := range guarded {
				if b, err := os.ReadFile(p); err != nil || string(b) != c {
					t.Errorf("%s changed: %q, %v", p, b, err)
				}
			}
			if b, err := os.ReadFile(filepath.Join(stack, "main.k")); err == nil && string(b) != tt.files["main.k"] {
				t.Errorf("main.k changed: %q", b)
			}
		})
	}
}

// TestCRDLinkOutside checks that a crd/ YAML linked to a file outside the
// repository is refused.
func TestCRDLinkOutside(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "crd")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "secret.yaml"), []byte("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../secret.yaml", filepath.Join(dir, "x.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err := CRDResources(dir); !errors.Is(err, sandbox.ErrOutside) {
		t.Errorf("CRDResources = %v, want ErrOutside", err)
	}
}

package lsp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/protocol"
)

// TestEvaluationHasNoEffects opens a stack whose code appends to .git/config
// and to its own file (the self-feeding loop) and reads the environment:
// the server's evaluation refuses the writes with a diagnostic giving the
// reason, nothing changes on disk, and read_env sees only the variables of
// the allowedEnv setting.
func TestEvaluationHasNoEffects(t *testing.T) {
	t.Setenv("KONFIG_LSP_TEST_TOKEN", "tok-93e1-secret")
	t.Setenv("KONFIG_LSP_TEST_OK", "visible")
	tests := []struct {
		name     string
		code     string // prepended to shop/dev/main.k
		settings string // workspace/configuration answer
		want     string // substring of a diagnostic of main.k
	}{
		{"append to .git/config", "import file\n_x = file.append(\"../../.git/config\", \"[core]\\n fsmonitor = x\")\n", "", evalDenyReason},
		{"self-feeding append", "import file\n_x = file.append(\"main.k\", \"a = 1\\n\")\n", "", evalDenyReason},
		{"mkdir", "import file\n_x = file.mkdir(\"made\")\n", "", evalDenyReason},
		{"read_env", "import file\nassert False, \"env=${file.read_env('KONFIG_LSP_TEST_TOKEN')}|ok=${file.read_env('KONFIG_LSP_TEST_OK')}\"\n",
			`{"allowedEnv": ["KONFIG_LSP_TEST_OK"]}`, "env=None|ok=visible"},
		{"read outside", "import file\n_x = file.read(\"/etc/hostname\")\n", "", "outside the sandbox root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyExamples(t)
			gitConfig := filepath.Join(dir, ".git", "config")
			if err := os.MkdirAll(filepath.Dir(gitConfig), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(gitConfig, []byte("[core]\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			mainK := filepath.Join(dir, "shop", "dev", "main.k")
			orig, err := os.ReadFile(mainK)
			if err != nil {
				t.Fatal(err)
			}
			src := tt.code + string(orig)
			if err := os.WriteFile(mainK, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			var s *testSession
			if tt.settings == "" {
				s = startSession(t, dir, Options{Debounce: 1})
			} else {
				yes := true
				caps := protocol.ClientCapabilities{Workspace: &protocol.WorkspaceClientCapabilities{Configuration: &yes}}
				applied := make(chan struct{}, 4)
				tc := &testClient{Settings: tt.settings, Configured: make(chan struct{})}
				s = startSessionWith(t, dir, Options{Debounce: 1, onSettings: func() { applied <- struct{}{} }}, tc, caps)
				<-tc.Configured
				<-applied
			}
			u, _ := s.open("shop/dev/main.k")
			ds := s.client.WaitDiags(t, u, func(ds []protocol.Diagnostic) bool {
				for _, d := range ds {
					if strings.Contains(diagText(d), tt.want) {
						return true
					}
				}
				return false
			})
			for _, d := range ds {
				if strings.Contains(diagText(d), "tok-93e1-secret") {
					t.Errorf("a diagnostic shows an environment variable not in allowedEnv: %s", diagText(d))
				}
			}
			if b, _ := os.ReadFile(gitConfig); string(b) != "[core]\n" {
				t.Errorf(".git/config changed: %q", b)
			}
			if b, _ := os.ReadFile(mainK); string(b) != src {
				t.Errorf("main.k changed on disk")
			}
			if _, err := os.Stat(filepath.Join(dir, "shop", "dev", "made")); err == nil {
				t.Errorf("a directory was made")
			}
		})
	}
}

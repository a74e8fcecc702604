package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryCommandExplainsItsFailure runs every command with a bad argument:
// each must exit non-zero with one clear line on stderr that names what is
// wrong, and write nothing on stdout (issue 15: the CLI never fails in
// silence).
func TestEveryCommandExplainsItsFailure(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
	example := filepath.Join(repoRoot(t), "examples", "shop", "dev")
	missing := filepath.Join(t.TempDir(), "missing")
	notStack := t.TempDir()
	tests := []struct {
		args []string
		code int
		want string // substring of stderr's first line
	}{
		{[]string{"nosuch"}, 1, `unknown command "nosuch"`},
		{[]string{"chek"}, 1, `did you mean "check"?`},
		{[]string{"--nosuch"}, 1, "unknown flag: --nosuch"},
		{[]string{"version", "x"}, 1, `unknown command "x" for "konfig-lsp version"`},
		{[]string{"run", missing + ".k"}, 1, "Cannot find the module"},
		{[]string{"run", "--format", "xml", filepath.Join(example, "main.k")}, 1, `unknown output format "xml"`},
		{[]string{"run", "-O", "app.x", filepath.Join(example, "main.k")}, 1, `invalid override "app.x"`},
		{[]string{"compile", missing}, 1, "is not in a stack"},
		{[]string{"compile", notStack}, 1, "is not in a stack"},
		{[]string{"compile", "--timout", "1s", example}, 1, `did you mean "--timeout"?`},
		{[]string{"compile", example, "extra"}, 1, "konfig-lsp compile: accepts at most 1 arg(s)"},
		{[]string{"check", missing}, 1, "no such file or directory"},
		{[]string{"check", "--format", "xml", example}, 1, `unknown --format "xml"`},
		{[]string{"ls", missing}, 1, "no such file or directory"},
		{[]string{"ls", "--format", "yaml", example}, 1, `unknown --format "yaml" (table, json or matrix)`},
		{[]string{"preview", notStack}, 1, "is not a stack directory: it has no stack.yaml"},
		{[]string{"apply", missing}, 1, "stack directory " + missing},
		{[]string{"apply", example}, 1, "no usable Kubernetes cluster configuration"},
		{[]string{"destroy", missing}, 1, "stack directory " + missing},
		{[]string{"fmt", missing + ".k"}, 1, "no such file or directory"},
		{[]string{"parse", missing + ".k"}, 1, "no such file or directory"},
		{[]string{"serve", "--log-level", "loud"}, 1, `--log-level "loud"`},
		{[]string{"preview", "--backend", "s3", example}, 1, `backend type "s3" (--backend): want local or kubernetes`},
		{[]string{"apply", "--backend", "kubernetes", "--state-dir", notStack, example}, 1, "--state-dir is for the local backend"},
		{[]string{"state"}, 1, "name a subcommand: show or migrate"},
		{[]string{"state", "migrate", "--to", "s3", example}, 1, `--to "s3": want kubernetes or local`},
		{[]string{"state", "migrate", "--to", "local", example}, 1, "already kept by the local backend"},
		{[]string{"deps", example}, 1, "--focus FILE or --git-diff"},
		{[]string{"deps", "--git-diff", "HEAD", missing}, 1, "no such file or directory"},
		{[]string{"check", "--shard", "0/2", example}, 1, `--shard "0/2"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, code := execRoot(t, tt.args...)
			first, _, _ := strings.Cut(strings.TrimSpace(stderr), "\n")
			if code != tt.code || !strings.Contains(stderr, tt.want) || strings.TrimSpace(first) == "" {
				t.Errorf("konfig-lsp %s: exit %d (want %d), stderr %q (want a line with %q)", strings.Join(tt.args, " "), code, tt.code, stderr, tt.want)
			}
			if stdout != "" {
				t.Errorf("konfig-lsp %s wrote on stdout: %q", strings.Join(tt.args, " "), stdout)
			}
		})
	}
}

// TestVersion prints the version on stdout, as a flag and as a command.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		stdout, stderr, code := execRoot(t, args...)
		if code != 0 || stdout != "konfig-lsp "+version+"\n" || stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

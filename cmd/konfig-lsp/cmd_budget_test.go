package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// budgetRepo writes a Konfig repository with one stack per program
// (project p, stacks named after the programs) and returns its root.
func budgetRepo(t *testing.T, programs map[string]string) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"kcl.mod":         "[package]\nname = \"bombs\"\n",
		"p/project.yaml":  "name: p\n",
		"p/ok/stack.yaml": "name: ok\n",
		"p/ok/kcl.yaml":   "kcl_cli_configs:\n  file:\n    - main.k\n",
		"p/ok/main.k":     "import manifests\n\nmanifests.yaml_stream([{apiVersion = \"v1\", kind = \"Namespace\", metadata.name = \"ok\"}])\n",
	}
	for name, src := range programs {
		files["p/"+name+"/stack.yaml"] = "name: " + name + "\n"
		files["p/"+name+"/kcl.yaml"] = "kcl_cli_configs:\n  file:\n    - main.k\n"
		files["p/"+name+"/main.k"] = src
	}
	for name, text := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestBudgetFlags runs the commands that evaluate (run, compile, check,
// preview, apply) on stacks that loop forever or build too much: each
// must stop with the budget's EvaluationError and exit 1, never hang.
func TestBudgetFlags(t *testing.T) {
	var doubling strings.Builder
	doubling.WriteString("d0 = {a = 1}\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&doubling, "d%d = {a = d%d, b = d%d}\n", i, i-1, i-1)
	}
	root := budgetRepo(t, map[string]string{
		// 10^12 iterations that build nothing: only the time limit stops it.
		"endless":  "r = range(10000)\nx = [i for i in r for j in r for k in r if False]\n",
		"doubling": doubling.String(),
		"alias":    "import yaml\n\nx = yaml.decode(\"\"\"" + aliasBomb() + "\"\"\")\n",
	})
	stack := func(name string) string { return filepath.Join(root, "p", name) }
	const (
		timedOut = "EvaluationError: evaluation timed out: time limit of 200ms exceeded (see --timeout)"
		tooBig   = "memory budget exceeded: the values built need more than 4 MiB (see --max-memory)"
		aliases  = "alias expansion limit exceeded"
	)
	tests := []struct {
		name    string
		args    []string
		wantErr string // in stdout or stderr
	}{
		{"compile timeout", []string{"compile", stack("endless"), "--timeout", "200ms"}, timedOut},
		{"compile memory", []string{"compile", stack("doubling"), "--max-memory", "4MiB"}, tooBig},
		{"compile alias bomb", []string{"compile", stack("alias")}, aliases},
		{"preview timeout", []string{"preview", stack("endless"), "--timeout", "200ms"}, timedOut},
		{"apply memory", []string{"apply", stack("doubling"), "--max-memory", "4Mi", "--yes"}, tooBig},
		{"run timeout", []string{"run", filepath.Join(stack("endless"), "main.k"), "--timeout", "200ms"}, "evaluation timed out: time limit of 200ms exceeded"},
		{"run memory", []string{"run", filepath.Join(stack("doubling"), "main.k"), "--max-memory", "4MiB"}, tooBig},
		{"bad size", []string{"compile", stack("ok"), "--max-memory", "lots"}, `invalid size "lots"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := execRoot(t, tt.args...)
			if code == 0 {
				t.Fatalf("exit 0; stdout:\n%s", out)
			}
			if !strings.Contains(out+errOut, tt.wantErr) {
				t.Errorf("output does not contain %q:\nstdout:\n%s\nstderr:\n%s", tt.wantErr, out, errOut)
			}
		})
	}
	// A stack within the budgets compiles.
	if _, errOut, code := execRoot(t, "compile", stack("ok"), "--timeout", "1m", "--max-memory", "64MiB"); code != 0 {
		t.Errorf("compile ok: exit %d:\n%s", code, errOut)
	}
}

// TestBudgetFlagsCheck runs check over stacks that exceed each budget: it
// reports each with its budget's error, and the stack within the budgets
// passes.
func TestBudgetFlagsCheck(t *testing.T) {
	var doubling strings.Builder
	doubling.WriteString("d0 = {a = 1}\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&doubling, "d%d = {a = d%d, b = d%d}\n", i, i-1, i-1)
	}
	tests := []struct {
		name    string
		program string
		flags   []string
		want    string
	}{
		// Only the time limit stops this one.
		{"endless", "r = range(10000)\nx = [i for i in r for j in r for k in r if False]\n", []string{"--timeout", "300ms"},
			"p/endless/main.k:2:1: EvaluationError: evaluation timed out: time limit of 300ms exceeded (see --timeout)"},
		// These two end long before their time limit.
		{"doubling", doubling.String(), []string{"--timeout", "10m", "--max-memory", "64MiB"},
			"p/doubling/main.k:1:1: EvaluationError: memory budget exceeded: the values built need more than 64 MiB (see --max-memory)"},
		{"alias", "import yaml\n\nx = yaml.decode(\"\"\"" + aliasBomb() + "\"\"\")\n", []string{"--timeout", "10m", "--max-memory", "64MiB"},
			"p/alias/main.k:3:1: EvaluationError: decode yaml: alias expansion limit exceeded: the document's aliases expand to more than 1000000 nodes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := budgetRepo(t, map[string]string{tt.name: tt.program})
			out, errOut, code := execRoot(t, append([]string{"check", filepath.Join(root, "p")}, tt.flags...)...)
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("check errors do not contain %q:\n%s", tt.want, errOut)
			}
			if code != 1 || !strings.Contains(out, "2 stacks checked, 1 failed") {
				t.Errorf("check: exit %d, summary %s", code, out)
			}
		})
	}
}

// TestBudgetFlagDefaults checks the defaults shown in the help of every
// command that evaluates.
func TestBudgetFlagDefaults(t *testing.T) {
	for _, name := range []string{"run", "compile", "check", "preview", "apply"} {
		out, _, _ := execRoot(t, name, "--help")
		if !strings.Contains(out, "--timeout") || !strings.Contains(out, "(default 1m0s)") {
			t.Errorf("%s --help: no --timeout with default 1m0s:\n%s", name, out)
		}
		if !strings.Contains(out, "--max") || !strings.Contains(out, "(default 256MiB)") {
			t.Errorf("%s --help: no --max-memory with default 256MiB:\n%s", name, out)
		}
	}
}

// aliasBomb is a "billion laughs" YAML document: 9 levels of 9 aliases.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < 9; i++ {
		p := fmt.Sprintf("*a%d", i-1)
		fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, strings.Repeat(p+", ", 8)+p)
	}
	return b.String()
}

package konfig

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
)

// budgetStack writes a one-stack repository whose main.k is src and loads
// the stack.
func budgetStack(t *testing.T, src string) *Stack {
	t.Helper()
	root := t.TempDir()
	for name, text := range map[string]string{
		"kcl.mod":        "[package]\nname = \"b\"\n",
		"p/project.yaml": "name: p\n",
		"p/s/stack.yaml": "name: s\n",
		"p/s/kcl.yaml":   "kcl_cli_configs:\n  file:\n    - main.k\n",
		"p/s/main.k":     src,
	} {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err := LoadStack(filepath.Join(root, "p", "s"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestCompileBudgets checks that CompileOptions.Timeout and MaxMemory
// reach the evaluation, and that the output of a stack is bounded by the
// memory budget before it is read.
func TestCompileBudgets(t *testing.T) {
	var doubling strings.Builder
	doubling.WriteString("d0 = {a = 1}\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&doubling, "d%d = {a = d%d, b = d%d}\n", i, i-1, i-1)
	}
	lines := func(n int) Evaluator {
		return EvaluatorFunc(func(context.Context, *Program) ([]byte, error) {
			return bytes.Repeat([]byte("- 1\n"), n), nil
		})
	}
	tests := []struct {
		name string
		src  string
		opts CompileOptions
		want string // "" = compiles
	}{
		{"timeout", "r = range(10000)\nx = [i for i in r for j in r for k in r if False]\n", CompileOptions{Timeout: 100 * time.Millisecond},
			"evaluation timed out: time limit of 100ms exceeded (see --timeout)"},
		{"memory", doubling.String(), CompileOptions{MaxMemory: 4 << 20},
			"memory budget exceeded: the values built need more than 4 MiB (see --max-memory)"},
		{"output lines", "", CompileOptions{MaxMemory: 1 << 20, Evaluator: lines(5000)},
			"memory budget exceeded: the output has 5000 lines, more than the 512 that the memory budget of 1 MiB allows reading (see --max-memory)"},
		{"output lines, no budget", "", CompileOptions{MaxMemory: -1, Evaluator: lines(5000)},
			"YAML document 1 is a []interface {}, not a mapping"},
		{"within the budgets", "import manifests\nmanifests.yaml_stream([{apiVersion = \"v1\", kind = \"Namespace\", metadata.name = \"n\"}])\n",
			CompileOptions{Timeout: time.Minute, MaxMemory: 16 << 20}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := budgetStack(t, tt.src)
			sp, err := Compile(context.Background(), st, tt.opts)
			if tt.want == "" {
				if err != nil || len(sp.Resources) != 1 {
					t.Fatalf("Compile = %v, %v; want one resource", sp, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			var d *diag.Diagnostic
			if strings.HasPrefix(tt.want, "YAML") {
				return
			}
			if !errors.As(err, &d) || d.Kind != diag.EvaluationError {
				t.Fatalf("error %v is not an EvaluationError diagnostic", err)
			}
			if ps := st.Problems(err); len(ps) != 1 || !strings.HasSuffix(ps[0].Location.File, "main.k") {
				t.Errorf("problems %+v, want one at main.k", ps)
			}
		})
	}
}

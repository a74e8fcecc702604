package eval

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// budgetCase is one program of testdata/budgets: main.k, the error text it
// must end with (want), and optionally max_memory (bytes, for
// Config.MaxMemory) and timeout (a duration, for WithTimeout).
type budgetCase struct {
	src       []byte
	want      string
	maxMemory int64
	timeout   time.Duration
}

func readBudgetCase(t *testing.T, file string) budgetCase {
	t.Helper()
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var c budgetCase
	for _, f := range ar.Files {
		text := strings.TrimSpace(string(f.Data))
		switch f.Name {
		case "main.k":
			c.src = f.Data
		case "want":
			c.want = text
		case "max_memory":
			if c.maxMemory, err = strconv.ParseInt(text, 10, 64); err != nil {
				t.Fatal(err)
			}
		case "timeout":
			if c.timeout, err = time.ParseDuration(text); err != nil {
				t.Fatal(err)
			}
		}
	}
	return c
}

// runAndPrint evaluates path and prints its output as `run` does (plan
// and YAML under the evaluation's budget), returning the first error.
func runAndPrint(ctx context.Context, cfg Config) error {
	res, err := Run(ctx, cfg)
	if err != nil {
		return err
	}
	if res.Stream == nil {
		var v value.Value = res.Value
		if res.Scalar != nil {
			v = res.Scalar
		}
		planned := value.Plan(v, value.PlanOptions{Budget: res.Budget}) // hidden (_x) left out
		value.EncodeYAML(planned, value.YAMLOptions{Budget: res.Budget})
	}
	return res.BudgetErr(ctx)
}

// TestBudgets runs the programs of testdata/budgets (alias bombs, doubling
// of shared structure, huge outputs, endless loops): each must end with an
// EvaluationError naming the budget that stopped it, through evaluation or
// through the printing of its output.
func TestBudgets(t *testing.T) {
	files, err := filepath.Glob("testdata/budgets/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			c := readBudgetCase(t, file)
			dir := t.TempDir()
			path := filepath.Join(dir, "main.k")
			if err := os.WriteFile(path, c.src, 0o644); err != nil {
				t.Fatal(err)
			}
			// A generous bound: the budgets, not this context, must stop
			// the programs (a case with a timeout sets its own, shorter).
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			ctx, cancel2 := WithTimeout(ctx, c.timeout)
			defer cancel2()
			err := runAndPrint(ctx, Config{Files: []string{path}, WorkDir: dir, MaxMemory: c.maxMemory, Stdout: io.Discard})
			if err == nil {
				t.Fatalf("no error; want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "EvaluationError") {
				t.Fatalf("error %q does not contain %q", err.Error(), c.want)
			}
		})
	}
}

// TestBudgetHolds checks that programs below the budget are not stopped:
// the same shapes as the bombs, smaller.
func TestBudgetHolds(t *testing.T) {
	for name, src := range map[string]string{
		"doubling":    "d0 = {a = 1}\n" + doubling("d", 10),
		"yaml_alias":  "import yaml\nx = yaml.decode(\"a: &a [1, 2]\\nb: [*a, *a]\\n\")\n",
		"big_string":  "s = \"x\" * 1000000\n",
		"json_encode": "import json\nx = json.encode([{k = i} for i in range(1000)])\n",
		// Equality compares shared structure once: 2^40 leaves each side.
		// rsplit with a maxsplit below the field count: linear, not
		// quadratic (it used to prepend each part).
		"rsplit_many":  "x = len((\"a \" * 100000).rsplit(None, 99998))\n",
		"str_methods":  "x = \",\".join([\"a\", \"b\"]).replace(\",\", \";\").split(\";\")\ny = \"{:>5}|{!r}\".format(1, [\"a\"])\nz = sorted([[2], [1]])\n",
		"equal_shared": "_d0 = {a = 1}\n_e0 = {a = 1}\n" + doubling("_d", 40) + doubling("_e", 40) + "x = _d40 == _e40\ny = _d40 in [_e40]\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "main.k")
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := runAndPrint(context.Background(), Config{Files: []string{path}, WorkDir: dir, MaxMemory: 16 << 20}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// doubling returns the statements p1 = {a = p0, b = p0} … pn.
func doubling(p string, n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(p + strconv.Itoa(i) + " = {a = " + p + strconv.Itoa(i-1) + ", b = " + p + strconv.Itoa(i-1) + "}\n")
	}
	return b.String()
}

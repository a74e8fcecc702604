package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// execRoot runs the root command with args and returns stdout, stderr and
// the exit status.
func execRoot(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := execute(args, strings.NewReader(""), &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

// repoRoot returns the directory holding go.mod.
func repoRoot(t *testing.T) string { return testutil.ModuleRoot(t) }

// TestCompileExamples compiles each example stack through the command and
// compares the output with the stack's golden, ignoring order.
func TestCompileExamples(t *testing.T) {
	examples := filepath.Join(repoRoot(t), "examples")
	for _, stack := range []string{"shop/dev", "shop/prod", "blog/dev", "blog/prod"} {
		t.Run(stack, func(t *testing.T) {
			dir := filepath.Join(examples, filepath.FromSlash(stack))
			out, errOut, code := execRoot(t, "compile", dir)
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, errOut)
			}
			got, err := konfig.ReadSpec([]byte(out))
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(dir, "ci-test", "stdout.golden.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := konfig.ReadSpec(data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := konfig.DiffSpecs(want, got); diff != "" {
				t.Errorf("compile %s differs from its golden (-golden +got):\n%s", stack, diff)
			}
		})
	}
}

func TestCompileOutputFileAndArgs(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "examples", "shop", "dev")
	out := filepath.Join(t.TempDir(), "spec.yaml")
	_, errOut, code := execRoot(t, "compile", dir, "-o", out, "-D", "env=qa")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "id: v1:Namespace:shop-qa\n") {
		t.Errorf("-D env=qa should rename the namespace to shop-qa; output:\n%s", data)
	}
	if _, errOut, code := execRoot(t, "compile", dir, "-D", "=x"); code != 1 || !strings.Contains(errOut, "Invalid value for top level arguments") {
		t.Errorf("bad -D: exit %d, stderr %q", code, errOut)
	}
	if _, _, code := execRoot(t, "compile", t.TempDir()); code != 1 {
		t.Errorf("compile of a directory outside any stack: exit %d, want 1", code)
	}
	// Without an argument, compile the stack holding the current directory.
	t.Chdir(filepath.Join(dir, "ci-test"))
	out2, errOut, code := execRoot(t, "compile", "-D", "env=qa")
	if code != 0 || out2 != string(data) {
		t.Errorf("compile in ci-test/: exit %d, stderr %q; output differs from compile <stackdir>:\n%s", code, errOut, out2)
	}
}

func TestLsExamples(t *testing.T) {
	examples := filepath.Join(repoRoot(t), "examples")
	out, errOut, code := execRoot(t, "ls", "--format", "json", examples)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	var projects []struct {
		Name   string
		Stacks []struct {
			Name  string
			Files []string
		}
	}
	if err := json.Unmarshal([]byte(out), &projects); err != nil {
		t.Fatalf("%v in:\n%s", err, out)
	}
	var got []string
	for _, p := range projects {
		for _, s := range p.Stacks {
			got = append(got, p.Name+"/"+s.Name+":"+strconv.Itoa(len(s.Files)))
		}
	}
	want := []string{"blog/dev:3", "blog/prod:3", "shop/dev:3", "shop/prod:3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ls mismatch (-want +got):\n%s", diff)
	}
	if strings.Contains(out, "dev-password-123") || !strings.Contains(out, `"value": "`+spec.Masked+`"`) {
		t.Errorf("ls --format json should mask the db_password option; output:\n%s", out)
	}
	table, _, code := execRoot(t, "ls", examples)
	if code != 0 || !strings.Contains(table, "shop") || !strings.Contains(table, "blog/prod") {
		t.Errorf("ls table (exit %d):\n%s", code, table)
	}
}

// copyTree copies the files below src into dst.
func copyTree(t *testing.T, src, dst string) { testutil.CopyTree(t, src, dst) }

// TestCheckPolicyViolation runs `check` on a copy of the corpus Konfig: it
// passes as is, and fails naming the developer's line once
// appops/wordpress/base/base.k sets containerPort = 70000 (the model's
// check: requires 1..65535).
func TestCheckPolicyViolation(t *testing.T) {
	corpus := filepath.Join(repoRoot(t), "..", "shared", "corpus", "konfig")
	if _, err := os.Stat(filepath.Join(corpus, "kcl.mod")); err != nil {
		t.Skipf("corpus Konfig not found at %s", corpus)
	}
	tmp := filepath.Join(t.TempDir(), "konfig")
	copyTree(t, corpus, tmp)
	wordpress := filepath.Join(tmp, "appops", "wordpress")

	if out, errOut, code := execRoot(t, "check", wordpress); code != 0 {
		t.Fatalf("check of the unmodified wordpress project: exit %d\n%s%s", code, out, errOut)
	}

	base := filepath.Join(wordpress, "base", "base.k")
	src, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	const from, to = "containerPort = 80\n", "containerPort = 70000\n"
	if !bytes.Contains(src, []byte(from)) {
		t.Fatalf("%s has no %q", base, from)
	}
	src = bytes.Replace(src, []byte(from), []byte(to), 1)
	if err := os.WriteFile(base, src, 0o644); err != nil {
		t.Fatal(err)
	}
	line := 1 + bytes.Count(src[:bytes.Index(src, []byte(to))], []byte("\n"))

	out, errOut, code := execRoot(t, "check", wordpress)
	if code != 1 {
		t.Fatalf("check with containerPort = 70000: exit %d, want 1\n%s%s", code, out, errOut)
	}
	wantLoc := base + ":" + strconv.Itoa(line) + ":"
	if !strings.HasPrefix(errOut, wantLoc) {
		t.Errorf("check errors should start at the developer's line %s; got:\n%s", wantLoc, errOut)
	}
	if !strings.Contains(errOut, "containerPort must be between 1 and 65535") || !strings.Contains(errOut, "container_port.k:") {
		t.Errorf("check errors should give the check's message and location; got:\n%s", errOut)
	}
	if out != "1 stack checked, 1 failed\n" {
		t.Errorf("check's stdout = %q, want only the summary", out)
	}

	out, _, code = execRoot(t, "check", "--format", "json", wordpress)
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || rep.Failed != 1 || len(rep.Stacks) != 1 {
		t.Fatalf("check --format json: exit %d, err %v, report:\n%s", code, err, out)
	}
	p := rep.Stacks[0].Problems[0]
	if p.File != base || p.Line != line || len(p.Related) == 0 {
		t.Errorf("json problem = %+v, want %s:%d with the check as related", p, base, line)
	}
}

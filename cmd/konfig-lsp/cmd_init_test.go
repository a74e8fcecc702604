package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// TestInit scaffolds a stack and a project in a copy of the corpus Konfig:
// both compile, carry their own names, and the files of the stack copied
// are unchanged; existing directories and bad names are refused.
func TestInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "konfig")
	testutil.CopyTree(t, filepath.Join(testutil.CorpusDir(t), "konfig"), dir)
	staging := filepath.Join(dir, "appops", "wordpress", "staging")
	out, errOut, code := execRoot(t, "init", "stack", staging, "--from", "dev")
	if code != 0 || !strings.Contains(out, "staging/stack.yaml") {
		t.Fatalf("init stack: exit %d, %s%s", code, out, errOut)
	}
	settings, _ := os.ReadFile(filepath.Join(staging, "ci-test", "settings.yaml"))
	if !strings.Contains(string(settings), "value: staging") || strings.Contains(string(settings), "value: dev") {
		t.Errorf("the new stack's settings keep the old stack's name:\n%s", settings)
	}
	if _, err := os.Stat(filepath.Join(staging, "ci-test", "stdout.golden.yaml")); err == nil {
		t.Errorf("init copied the sibling's golden")
	}
	out, errOut, code = execRoot(t, "compile", staging)
	if code != 0 || !strings.Contains(out, "wordpress-example-staging") {
		t.Errorf("compile of the new stack: exit %d, %s", code, errOut)
	}

	blog := filepath.Join(dir, "appops", "blog")
	if _, errOut, code := execRoot(t, "init", "project", blog, "--from", "wordpress", "--stack", "prod"); code != 0 {
		t.Fatalf("init project: exit %d, %s", code, errOut)
	}
	out, errOut, code = execRoot(t, "compile", filepath.Join(blog, "prod"))
	if code != 0 || !strings.Contains(out, "blog-prod") {
		t.Errorf("compile of the new project's stack: exit %d, %s", code, errOut)
	}
	out, _, _ = execRoot(t, "ls", filepath.Join(dir, "appops"))
	if !strings.Contains(out, "blog") || !strings.Contains(out, "staging") {
		t.Errorf("ls does not list the new stacks:\n%s", out)
	}

	for _, args := range [][]string{
		{"init", "stack", staging},
		{"init", "stack", filepath.Join(dir, "appops", "wordpress", "bad name")},
		{"init", "stack", filepath.Join(t.TempDir(), "x")},
		{"init", "stack", filepath.Join(dir, "appops", "wordpress", "qa"), "--from", "nosuch"},
		{"init"},
	} {
		if _, errOut, code := execRoot(t, args...); code != 1 || !strings.HasPrefix(errOut, "Error: init") {
			t.Errorf("%v: exit %d, stderr %q; want a refusal", args, code, errOut)
		}
	}
}

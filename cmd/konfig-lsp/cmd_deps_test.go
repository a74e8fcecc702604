package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// gitRepo copies the corpus Konfig into a new git repository with one
// commit and returns its directory.
func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := filepath.Join(t.TempDir(), "konfig")
	testutil.CopyTree(t, filepath.Join(testutil.CorpusDir(t), "konfig"), dir)
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# Konfig\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runGit(t, dir, "init", "-q", "-b", "main")
	runGit(t, dir, "add", "-A")
	runGit(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "corpus")
	return dir
}

func runGit(t *testing.T, dir string, args ...string) {
	t.Helper()
	c := exec.Command("git", args...)
	c.Dir = dir
	c.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir())
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// brokenBy compiles every stack of the repository and returns, relative to
// dir, those that fail: with a syntax error put into one file, exactly the
// stacks that read it (the independent count deps is compared with).
func brokenBy(t *testing.T, dir string) []string {
	t.Helper()
	repo, err := konfig.Discover(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, r := range konfig.CompileAll(context.Background(), repo.Stacks, konfig.CompileAllOptions{}) {
		if r.Err != nil {
			failed = append(failed, filepath.ToSlash(konfig.RelPath(r.Stack.Dir, dir)))
		}
	}
	slices.Sort(failed)
	return failed
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestDeps checks the affected stacks of one-file changes on the corpus:
// a front-end model affects every stack that reads it and no other (the
// stacks a syntax error in it breaks), a stack's main.k affects its stack,
// a README none; git diffs, renames and deletions count.
func TestDeps(t *testing.T) {
	dir := gitRepo(t)
	server := filepath.Join(dir, "base", "pkg", "kusion_models", "kube", "frontend", "server.k")
	wordpress := filepath.Join(dir, "appops", "wordpress", "dev", "main.k")

	before := brokenBy(t, dir)
	src, err := os.ReadFile(server)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(server, append(append([]byte(nil), src...), "\nschema Broken(:\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	var readers []string
	for _, s := range brokenBy(t, dir) {
		if !slices.Contains(before, s) {
			readers = append(readers, s)
		}
	}
	if err := os.WriteFile(server, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(readers) < 10 {
		t.Fatalf("a syntax error in server.k breaks only %d stacks: %v", len(readers), readers)
	}

	deps := func(args ...string) []string {
		t.Helper()
		out, errOut, code := execRoot(t, append([]string{"deps", dir}, args...)...)
		if code != 0 {
			t.Fatalf("deps %v: exit %d: %s", args, code, errOut)
		}
		return lines(out)
	}
	got := deps("--focus", server)
	// A stack that fails before the change still reads server.k when deps
	// says so; compare on the stacks that compiled.
	var gotOK []string
	for _, s := range got {
		if !slices.Contains(before, s) {
			gotOK = append(gotOK, s)
		}
	}
	if diff := cmp.Diff(readers, gotOK); diff != "" {
		t.Errorf("deps --focus server.k (-stacks that read it +deps):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"appops/wordpress/dev"}, deps("--focus", wordpress)); diff != "" {
		t.Errorf("deps --focus wordpress/dev/main.k (-want +got):\n%s", diff)
	}
	if got := deps("--focus", filepath.Join(dir, "README.md")); len(got) != 0 {
		t.Errorf("deps --focus README.md = %v, want none", got)
	}
	if got := deps("--focus", server, "--direct"); len(got) != 0 {
		t.Errorf("deps --direct of a model file = %v, want none", got)
	}
	if got := deps("--focus", server, "--ignore", "base/**/*.k", "--ignore", "server.k"); len(got) != 0 {
		t.Errorf("deps with server.k ignored = %v, want none", got)
	}

	// From git: a change in the working tree, then a rename committed.
	if err := os.WriteFile(server, append(append([]byte(nil), src...), "\n# a comment\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, deps("--git-diff", "HEAD")); diff != "" {
		t.Errorf("deps --git-diff HEAD (-focus +git):\n%s", diff)
	}
	runGit(t, dir, "checkout", "-q", "--", ".")
	if got := deps("--git-diff", "HEAD"); len(got) != 0 {
		t.Errorf("deps --git-diff HEAD on a clean tree = %v, want none", got)
	}
	runGit(t, dir, "mv", server, filepath.Join(filepath.Dir(server), "server_model.k"))
	runGit(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "rename")
	if diff := cmp.Diff(got, deps("--git-diff", "HEAD~1..HEAD")); diff != "" {
		t.Errorf("deps of a renamed model file (-before +after):\n%s", diff)
	}

	// The JSON is a CI matrix.
	out, _, code := execRoot(t, "deps", dir, "--focus", wordpress, "--format", "json")
	var m matrix
	if err := json.Unmarshal([]byte(out), &m); err != nil || code != 0 {
		t.Fatalf("deps --format json: exit %d, %v:\n%s", code, err, out)
	}
	if diff := cmp.Diff(matrix{Include: []matrixStack{{Project: "wordpress-example", Stack: "dev", Path: "appops/wordpress/dev"}}}, m); diff != "" {
		t.Errorf("deps --format json (-want +got):\n%s", diff)
	}
}

// TestCheckShardsAndAffected checks that --shard I/N deals every stack to
// exactly one shard, and that --affected-by checks only the stacks a git
// change affects.
func TestCheckShardsAndAffected(t *testing.T) {
	dir := gitRepo(t)
	all, _, _ := execRoot(t, "ls", "--format", "matrix", dir)
	var m matrix
	if err := json.Unmarshal([]byte(all), &m); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for i := 1; i <= 3; i++ {
		out, errOut, code := execRoot(t, "check", "--format", "json", "--shard", strconv.Itoa(i)+"/3", dir)
		var rep checkReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("check --shard %d/3: exit %d, %v\n%s%s", i, code, err, out, errOut)
		}
		if n := len(rep.Stacks); n < len(m.Include)/3 || n > len(m.Include)/3+1 {
			t.Errorf("shard %d/3 has %d of %d stacks", i, n, len(m.Include))
		}
		for _, s := range rep.Stacks {
			seen[s.Dir]++
		}
	}
	if len(seen) != len(m.Include) {
		t.Errorf("the shards hold %d stacks, the repository %d", len(seen), len(m.Include))
	}
	for d, n := range seen {
		if n != 1 {
			t.Errorf("%s is in %d shards", d, n)
		}
	}

	main := filepath.Join(dir, "appops", "wordpress", "dev", "main.k")
	f, err := os.OpenFile(main, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\n# changed\n")
	f.Close()
	out, errOut, code := execRoot(t, "check", "--affected-by", "HEAD", dir)
	if code != 0 || out != "1 stack checked, 0 failed\n" {
		t.Errorf("check --affected-by HEAD: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestDepsRunsNoRepositoryHook: a repository whose git configuration names
// an fsmonitor hook does not get it run by deps --git-diff.
func TestDepsRunsNoRepositoryHook(t *testing.T) {
	dir := gitRepo(t)
	marker := filepath.Join(t.TempDir(), "hook-ran")
	runGit(t, dir, "config", "core.fsmonitor", "touch "+marker+"; true")
	if _, errOut, code := execRoot(t, "deps", dir, "--git-diff", "HEAD"); code != 0 {
		t.Fatalf("deps --git-diff HEAD: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("deps ran the repository's core.fsmonitor command")
	}
}

// Package test runs the Neovim plugin end to end: a real headless Neovim
// (Debian's 0.7.2) with editors/nvim on its runtime path drives the real
// konfig-lsp binary on a copy of an example stack.
package test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// copyTree copies src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if d.Name() == ".konfig" {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNeovimEndToEnd(t *testing.T) {
	nvim, err := exec.LookPath("nvim")
	if err != nil {
		t.Skip("nvim is not installed (hack/setup.d/10-neovim.sh installs it)")
	}
	root := repoRoot(t)
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "konfig-lsp")
	build := exec.Command("go", "build", "-o", bin, "./cmd/konfig-lsp")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work := filepath.Join(tmp, "examples")
	copyTree(t, filepath.Join(root, "examples"), work)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "--clean", "-n", "-i", "NONE",
		"--cmd", "set rtp+="+filepath.Join(root, "editors", "nvim"),
		"-c", "luafile "+filepath.Join(root, "editors", "nvim", "test", "e2e.lua"))
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "KONFIG_LSP="+bin, "KONFIG_STACK="+filepath.Join(work, "shop", "dev"), "HOME="+tmp, "XDG_STATE_HOME="+tmp, "XDG_CACHE_HOME="+tmp)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	t.Logf("nvim output:\n%s", stdout.String())
	if err != nil || !strings.Contains(stdout.String(), "PASS") {
		t.Fatalf("neovim end-to-end failed: %v\nstderr:\n%s", err, stderr.String())
	}
	for _, step := range []string{"ATTACHED", "COMPLETION", "HOVER", "POLICY", "POLICY_CLEARED", "QUICKFIX", "PREVIEW"} {
		if !strings.Contains(stdout.String(), step) {
			t.Errorf("step %s did not run", step)
		}
	}
}

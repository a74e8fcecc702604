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

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

func TestNeovimEndToEnd(t *testing.T) {
	nvim, err := exec.LookPath("nvim")
	if err != nil {
		t.Skip("nvim is not installed (hack/setup.d/10-neovim.sh installs it)")
	}
	testutil.TrackSources(t)
	root := testutil.ModuleRoot(t)
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "konfig-lsp")
	build := exec.Command("go", "build", "-o", bin, "./cmd/konfig-lsp")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work := filepath.Join(tmp, "examples")
	testutil.CopyTree(t, filepath.Join(root, "examples"), work)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "--clean", "-n", "-i", "NONE",
		"--cmd", "set rtp+="+filepath.Join(root, "editors", "nvim"),
		"-c", "luafile "+filepath.Join(root, "editors", "nvim", "test", "e2e.lua"))
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "KONFIG_LSP="+bin, "KONFIG_STACK="+filepath.Join(work, "shop", "dev"), "HOME="+tmp, "XDG_STATE_HOME="+tmp, "XDG_CACHE_HOME="+tmp,
		// No cluster: :KonfigApply must fail on this kubeconfig, whatever
		// the environment's is.
		"KUBECONFIG="+filepath.Join(tmp, "no-such-kubeconfig"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	t.Logf("nvim output:\n%s", stdout.String())
	if err != nil || !strings.Contains(stdout.String(), "PASS") {
		t.Fatalf("neovim end-to-end failed: %v\nstderr:\n%s", err, stderr.String())
	}
	for _, step := range []string{"ATTACHED", "COMPLETION", "HOVER", "POLICY", "POLICY_CLEARED", "QUICKFIX", "PREVIEW", "PREVIEW_AGAIN", "SCRATCH_COMMANDS", "PREVIEW_OTHER_STACK", "SUMMARY", "SETTINGS", "CODELENS"} {
		if !strings.Contains(stdout.String(), step) {
			t.Errorf("step %s did not run", step)
		}
	}
}

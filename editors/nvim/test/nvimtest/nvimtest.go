// Package nvimtest runs a Lua test script in a real headless Neovim with
// editors/nvim on its runtime path and the konfig-lsp binary built from the
// repository, on a fresh copy of examples/. The end-to-end tests of the
// plugin (editors/nvim/test and editors/nvim/test/cluster) share it:
//
//	s := nvimtest.Setup(t)                       // skips without nvim
//	out := s.Run(t, "test/e2e.lua", env, 3*time.Minute, "ATTACHED", "PREVIEW")
package nvimtest

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

// Session is a built binary and a copy of the examples in a temporary
// directory, which also serves as Neovim's HOME.
type Session struct {
	nvim, root string
	// Dir is the temporary directory; Bin the built konfig-lsp; Examples
	// the copy of examples/.
	Dir, Bin, Examples string
}

// Setup skips t when nvim is not installed, else builds konfig-lsp and
// copies the examples.
func Setup(t *testing.T) *Session {
	t.Helper()
	nvim, err := exec.LookPath("nvim")
	if err != nil {
		t.Skip("nvim is not installed (hack/setup.d/10-neovim.sh installs it)")
	}
	testutil.TrackSources(t)
	s := &Session{nvim: nvim, root: testutil.ModuleRoot(t), Dir: t.TempDir()}
	s.Bin = filepath.Join(s.Dir, "konfig-lsp")
	build := exec.Command("go", "build", "-o", s.Bin, "./cmd/konfig-lsp")
	build.Dir = s.root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	s.Examples = filepath.Join(s.Dir, "examples")
	testutil.CopyTree(t, filepath.Join(s.root, "examples"), s.Examples)
	return s
}

// Run runs the script (a path under editors/nvim) with KONFIG_LSP set to the
// binary and env added, fails t unless it prints PASS and every one of
// steps, and returns its output.
func (s *Session) Run(t *testing.T, script string, env []string, timeout time.Duration, steps ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	nvimDir := filepath.Join(s.root, "editors", "nvim")
	cmd := exec.CommandContext(ctx, s.nvim, "--headless", "--clean", "-n", "-i", "NONE",
		"--cmd", "set rtp+="+nvimDir,
		"-c", "luafile "+filepath.Join(nvimDir, script))
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(), "KONFIG_LSP="+s.Bin, "HOME="+s.Dir, "XDG_STATE_HOME="+s.Dir, "XDG_CACHE_HOME="+s.Dir)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := stdout.String()
	t.Logf("nvim output:\n%s", out)
	if err != nil || !strings.Contains(out, "PASS") {
		t.Fatalf("%s in neovim failed: %v\nstderr:\n%s", script, err, stderr.String())
	}
	for _, step := range steps {
		if !strings.Contains(out, step) {
			t.Errorf("step %s did not run", step)
		}
	}
	return out
}

// Package cluster runs the Neovim plugin's engine commands (:KonfigDiff,
// :KonfigApply, :KonfigDestroy) end to end against a real test cluster
// (internal/engine/k8stest): headless Neovim, the built konfig-lsp, kubectl
// checking the objects. It is a package of its own so that the cluster
// starts only for this test binary; it skips without nvim or without the
// cluster binaries.
package cluster

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konfig-lsp/konfig-lsp/internal/engine/k8stest"
	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

var cluster k8stest.Cluster

// TestMain starts the cluster with its controllers when they are built: the
// namespace controller finishes the destroy at the end of the test (a
// Namespace stays Terminating without it), so the test can run again on the
// same cluster (-count=2).
func TestMain(m *testing.M) {
	cluster.Controllers = true
	os.Exit(k8stest.Main(m, &cluster))
}

func TestNeovimApplyAgainstCluster(t *testing.T) {
	nvim, err := exec.LookPath("nvim")
	if err != nil {
		t.Skip("nvim is not installed (hack/setup.d/10-neovim.sh installs it)")
	}
	c := cluster.Need(t)
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

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "--clean", "-n", "-i", "NONE",
		"--cmd", "set rtp+="+filepath.Join(root, "editors", "nvim"),
		"-c", "luafile "+filepath.Join(root, "editors", "nvim", "test", "cluster", "apply.lua"))
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "KONFIG_LSP="+bin, "KONFIG_STACK="+filepath.Join(work, "blog", "prod"),
		"KONFIG_KUBECONFIG="+c.Kubeconfig, "KONFIG_KUBECTL="+c.Kubectl(),
		"HOME="+tmp, "XDG_STATE_HOME="+tmp, "XDG_CACHE_HOME="+tmp)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	t.Logf("nvim output:\n%s", stdout.String())
	if err != nil || !strings.Contains(stdout.String(), "PASS") {
		t.Fatalf("neovim against the cluster failed: %v\nstderr:\n%s", err, stderr.String())
	}
	for _, step := range []string{"ATTACHED", "DIFF", "APPLY_DECLINED", "APPLY", "DIFF_REFRESHED", "DIFF_AGAIN", "APPLY_AGAIN", "DESTROY"} {
		if !strings.Contains(stdout.String(), step) {
			t.Errorf("step %s did not run", step)
		}
	}
	// The destroy deleted the stack's Namespace: wait until it is gone.
	if c.NoControllers != "" {
		t.Logf("not waiting for the Namespace to go: %s", c.NoControllers)
		return
	}
	wait := exec.CommandContext(ctx, c.Kubectl(), "--kubeconfig", c.Kubeconfig, "wait", "--for=delete", "namespace/blog-prod", "--timeout=2m")
	if out, err := wait.CombinedOutput(); err != nil {
		t.Errorf("the destroyed stack's Namespace did not go: %v\n%s", err, out)
	}
}

// Package cluster runs the Neovim plugin's engine commands (:KonfigDiff,
// :KonfigApply, :KonfigDestroy) end to end against a real test cluster
// (internal/engine/k8stest): headless Neovim, the built konfig-lsp, kubectl
// checking the objects. It is a package of its own so that the cluster
// starts only for this test binary; it skips without nvim or without the
// cluster binaries.
package cluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/konfig-lsp/konfig-lsp/editors/nvim/test/nvimtest"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/k8stest"
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
	c := cluster.Need(t)
	s := nvimtest.Setup(t)
	s.Run(t, "test/cluster/apply.lua", []string{"KONFIG_STACK=" + filepath.Join(s.Examples, "blog", "prod"),
		"KONFIG_KUBECONFIG=" + c.Kubeconfig, "KONFIG_KUBECTL=" + c.Kubectl()},
		5*time.Minute,
		"ATTACHED", "DIFF", "APPLY_DECLINED", "APPLY", "DIFF_REFRESHED", "DIFF_AGAIN", "APPLY_AGAIN", "DESTROY")
	// The destroy deleted the stack's Namespace: wait until it is gone.
	if c.NoControllers != "" {
		t.Logf("not waiting for the Namespace to go: %s", c.NoControllers)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	wait := exec.CommandContext(ctx, c.Kubectl(), "--kubeconfig", c.Kubeconfig, "wait", "--for=delete", "namespace/blog-prod", "--timeout=2m")
	if out, err := wait.CombinedOutput(); err != nil {
		t.Errorf("the destroyed stack's Namespace did not go: %v\n%s", err, out)
	}
}

// Package test runs the Neovim plugin end to end: a real headless Neovim
// (Debian's 0.7.2) with editors/nvim on its runtime path drives the real
// konfig-lsp binary on a copy of an example stack.
package test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/konfig-lsp/konfig-lsp/editors/nvim/test/nvimtest"
)

func TestNeovimEndToEnd(t *testing.T) {
	s := nvimtest.Setup(t)
	s.Run(t, "test/e2e.lua", []string{"KONFIG_STACK=" + filepath.Join(s.Examples, "shop", "dev"),
		// No cluster: :KonfigApply must fail on this kubeconfig, whatever
		// the environment's is.
		"KUBECONFIG=" + filepath.Join(s.Dir, "no-such-kubeconfig")},
		3*time.Minute,
		"ATTACHED", "COMPLETION", "HOVER", "POLICY", "POLICY_CLEARED", "QUICKFIX", "PREVIEW", "PREVIEW_AGAIN",
		"SCRATCH_COMMANDS", "PREVIEW_OTHER_STACK", "SUMMARY", "SETTINGS", "CODELENS")
}

// TestNeovimUntrusted: the trusted option reaches the server (init_options)
// and, false, turns evaluation off; :KonfigTrust turns it on without a
// restart (test/trust.lua).
func TestNeovimUntrusted(t *testing.T) {
	s := nvimtest.Setup(t)
	s.Run(t, "test/trust.lua", []string{"KONFIG_STACK=" + filepath.Join(s.Examples, "shop", "dev")},
		2*time.Minute,
		"OPTION", "INIT_OPTIONS", "NO_POLICY", "HOVER_NOTE", "REFUSED", "TRUSTED_POLICY")
}

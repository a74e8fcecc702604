package lsp

import (
	"errors"
	"fmt"
	"slices"
	"sort"
)

// Workspace trust. The `trusted` setting (initializationOptions and the
// `konfig` section of workspace/configuration; default true) says whether
// the editor trusts the workspace. In an untrusted workspace the server
// never evaluates KCL code and never runs the engine:
//
//   - compileStack, the one entry to evaluation in the server, answers
//     errUntrusted without compiling: no policy diagnostics, no hover
//     previews, no preview, diff or apply;
//   - ExecuteCommand refuses every konfig.* command (destroy and diff reach
//     the cluster through a kubeconfig, whose exec plugins run programs);
//   - the code lenses of a stack's entry files become one lens that says
//     so.
//
// Parsing, resolving and everything built on them (syntax and type
// diagnostics, completion, hover docs, navigation, formatting, symbols)
// keep working: none of them runs workspace code.
//
// Unlike the other settings, a settings object that leaves `trusted` out
// keeps the current trust: a workspace the client declared untrusted at
// initialize stays untrusted until the client sends "trusted": true (a
// client that does not know about trust cannot turn it on by accident).
// A change of trust re-runs the diagnostics of the open files and of the
// files that carry policy diagnostics: on, the policy diagnostics arrive
// without a restart; off, they are withdrawn.

// errUntrusted is the error of every evaluation and engine command refused
// in an untrusted workspace.
var errUntrusted = errors.New("needs a trusted workspace")

// untrustedHelp tells the user how to trust the workspace.
const untrustedHelp = "konfig-lsp evaluates no KCL code and runs no engine command in an untrusted workspace; " +
	"trust the workspace in the editor (VS Code: Workspaces: Manage Workspace Trust; Neovim: the trusted option " +
	"or :KonfigTrust), or set the \"trusted\" setting to true"

// untrustedHoverNote replaces the preview of the resources an instance
// generates in the hover of an untrusted workspace.
const untrustedHoverNote = "\n---\n*The preview of the resources this model generates needs a trusted workspace* " +
	"(the language server does not evaluate KCL code in an untrusted workspace).\n"

// untrustedLensTitle is the one code lens of a stack's entry file in an
// untrusted workspace (it runs konfig.preview, which explains).
const untrustedLensTitle = "Preview and apply need a trusted workspace"

// trusted reports whether the workspace is trusted.
func (s *server) trusted() bool { return !s.untrusted.Load() }

// evaluationAllowed returns nil in a trusted workspace, else errUntrusted.
// Every evaluation in the server goes through it (compileStack).
func (s *server) evaluationAllowed() error {
	if s.trusted() {
		return nil
	}
	return errUntrusted
}

// commandAllowed returns nil when command may run: always in a trusted
// workspace, never for a konfig.* command in an untrusted one.
func (s *server) commandAllowed(command string) error {
	if s.trusted() || !slices.Contains(allCommands, command) {
		return nil
	}
	return fmt.Errorf("%s %w: %s", command, errUntrusted, untrustedHelp)
}

// setTrust applies the `trusted` setting (nil: unchanged) and reports
// whether the trust changed. The caller holds s.mu.
func (s *server) setTrust(trusted *bool) bool {
	if trusted == nil || *trusted == s.trusted() {
		return false
	}
	s.untrusted.Store(!*trusted)
	s.log.Info("workspace trust", "trusted", *trusted)
	return true
}

// trustChanged re-runs the diagnostics that depend on evaluation: those of
// the open files and of every file that carries policy diagnostics. With
// trust on, the stacks are evaluated; with trust off, compileStack refuses
// and the runs withdraw their policy diagnostics.
func (s *server) trustChanged() {
	snap := s.session.snapshot()
	paths := s.diags.policyFiles()
	for p := range snap.docs {
		if !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return
	}
	sort.Strings(paths)
	s.scheduleDiagnostics(snap, paths...)
}

// policyFiles returns the files that carry policy diagnostics.
func (d *diagStore) policyFiles() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for path, f := range d.files {
		for _, ds := range f.policy {
			if len(ds) > 0 {
				out = append(out, path)
				break
			}
		}
	}
	return out
}

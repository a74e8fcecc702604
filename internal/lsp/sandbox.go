package lsp

import (
	"slices"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
)

// evalDenyReason is the reason a write by KCL code fails in the server.
const evalDenyReason = "the language server evaluates without side effects"

// evalPolicy is the sandbox policy of every evaluation the server runs
// (policy diagnostics, hover previews, engine commands): no file writes
// (file.write/append/delete/mkdir/cp/mv fail with an EvaluationError giving
// evalDenyReason), reads only beneath the stack's root, and read_env sees
// only the variables of the `allowedEnv` setting.
func (s *server) evalPolicy() sandbox.Policy {
	s.mu.Lock()
	env := slices.Clone(s.settings.AllowedEnv)
	s.mu.Unlock()
	return sandbox.Policy{DenyReason: evalDenyReason, AllowEnv: env}
}

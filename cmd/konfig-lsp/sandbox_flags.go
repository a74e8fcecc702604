package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
)

// sandboxHelp ends the help of the commands that evaluate a stack read-only
// by default (compile, check, preview, apply).
const sandboxHelp = `

Evaluation is sandboxed: KCL code, settings files and file lists are read only
beneath the repository root (the directory of kcl.mod), never through an absolute
path, '..' or a symbolic link that leaves it. KCL's file.write, append, delete,
mkdir, cp and mv fail unless --allow-file-writes is given (even then, never outside
the root nor under .git or the state directory .konfig), and file.read_env sees
only the variables named with --allow-env (none by default).`

// sandboxFlags are the evaluation flags of compile, check, preview and apply.
type sandboxFlags struct {
	command     string
	allowWrites bool
	allowEnv    []string
}

// register adds --allow-file-writes and --allow-env to cmd.
func (f *sandboxFlags) register(cmd *cobra.Command) {
	f.command = cmd.Name()
	fl := cmd.Flags()
	fl.BoolVar(&f.allowWrites, "allow-file-writes", false, "let KCL's file.write/append/delete/mkdir/cp/mv write beneath the repository root (never under .git or .konfig); read-only without it")
	fl.StringArrayVar(&f.allowEnv, "allow-env", nil, "environment variable `NAME` that KCL's file.read_env may see (repeatable; none by default)")
}

// policy is the sandbox policy the flags give.
func (f *sandboxFlags) policy() sandbox.Policy {
	return sandbox.Policy{
		AllowWrites: f.allowWrites,
		DenyReason:  fmt.Sprintf("%s evaluates read-only; pass --allow-file-writes to allow writes beneath the repository root", f.command),
		AllowEnv:    append([]string(nil), f.allowEnv...),
	}
}

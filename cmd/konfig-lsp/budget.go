package main

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/kclrun"
	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
)

// budgetFlags are --timeout and --max-memory, the budgets of the commands
// that evaluate a stack (compile, check, preview, apply; run has its own
// through kclrun.FlagSet).
type budgetFlags struct {
	timeout   time.Duration
	maxMemory int64 // eval.Config.MaxMemory: 0 = default, -1 = none
}

// register adds the flags to fl.
func (b *budgetFlags) register(fl *pflag.FlagSet) {
	kclrun.AddBudgetFlags(fl, &b.timeout, &b.maxMemory)
}

// compileOptions returns opts with the budgets set.
func (b *budgetFlags) compileOptions(opts konfig.CompileOptions) konfig.CompileOptions {
	opts.Timeout = b.timeout
	opts.MaxMemory = b.maxMemory
	return opts
}

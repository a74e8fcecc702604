// Command konfig-lsp is the one binary of the project: with no arguments (or
// `serve`) it speaks the Language Server Protocol on stdio; its subcommands run
// KCL programs and compile, check, preview, apply and destroy Konfig stacks.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		os.Exit(exitCode(err))
	}
}

// exitError carries a process exit status through cobra without printing.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func exitCode(err error) int {
	if e, ok := err.(exitError); ok {
		return e.code
	}
	return 1
}

// Command konfig-lsp is the one binary of the project: with no arguments (or
// `serve`) it speaks the Language Server Protocol on stdio; its subcommands run
// KCL programs and compile, check, preview, apply and destroy Konfig stacks.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// cpuProfileEnv names a file to write a CPU profile of the run to (for
// benchmarks, e.g. bench/engine).
const cpuProfileEnv = "KONFIG_CPUPROFILE"

func main() {
	code := run()
	os.Exit(code)
}

func run() int {
	if path := os.Getenv(cpuProfileEnv); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "Error: %s: %v\n", cpuProfileEnv, err)
			return 1
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "Error: %s: %v\n", cpuProfileEnv, err)
			return 1
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	if err := newRootCmd().Execute(); err != nil {
		return exitCode(err)
	}
	return 0
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

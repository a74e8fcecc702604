// Command konfig-lsp is the one binary of the project: with no arguments (or
// `serve`) it speaks the Language Server Protocol on stdio; its subcommands run
// KCL programs and compile, check, preview, apply and destroy Konfig stacks.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
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
	return execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}

// execute runs the command line args with the given standard streams and
// returns the exit status. Every failure prints one line on stderr: the
// commands that print their own errors return an exitError, and any other
// error (an unknown command or flag, a bad argument) is printed here, so that
// the binary never exits non-zero in silence.
func execute(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// Name the command unless the message does (cobra's argument checks
	// do not).
	msg := err.Error()
	if cmd != nil && cmd != root && !strings.HasPrefix(msg, cmd.Name()+":") && !strings.HasPrefix(msg, cmd.CommandPath()+":") {
		msg = cmd.CommandPath() + ": " + msg
	}
	fmt.Fprintln(stderr, "Error:", msg)
	return 1
}

// exitError carries a process exit status through cobra without printing.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitCode is the exit status for an error returned by a command.
func exitCode(err error) int {
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

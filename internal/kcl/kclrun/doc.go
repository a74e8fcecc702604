// Package kclrun turns a `kcl run` command line into an evaluation and its
// output: it parses the flags (ParseArgs), reads and merges KCL settings
// files (`-Y`, kcl.yaml: LoadSettings), parses `-D key=value` arguments
// (ParseArgument), finds the module root (the nearest kcl.mod) and expands
// ${KCL_MOD} and directory inputs (with package loader), calls the
// evaluator, selects paths (-S), prints YAML or JSON, and renders errors in
// the official layout.
//
// The CLI and the conformance tests share one entry point:
//
//	a, err := kclrun.ParseArgs([]string{"main.k", "-D", "env=prod"})
//	a.WorkDir = dir
//	code := kclrun.Run(ctx, a, os.Stdout, os.Stderr) // 0 ok, 1 KCL error
//
// Konfig code that only needs a stack's files and options uses
// LoadSettings("kcl.yaml", "ci-test/settings.yaml").
//
// Everything a run reads or writes goes through one sandbox (package
// sandbox) rooted at Config.Root: the module root, widened only by paths
// named on the command line. Settings files, the files they list, the
// resolver's and the evaluator's reads, file.* and the error renderer's
// source lines all stay beneath it. Args.Policy chooses what the program
// may do; nil is RunPolicy (as `kcl run`: writes beneath the root, every
// environment variable).
package kclrun

package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/kclrun"
)

func init() { subcommands = append(subcommands, newRunCmd) }

// newRunCmd is `konfig-lsp run`: the `kcl run` of this implementation. The
// command line is parsed by kclrun.ParseArgs, which knows the official CLI's
// multi-value flags (`-Y a.yaml b.yaml`), so cobra's own flag parsing is off;
// the flags are registered only for the help text.
func newRunCmd() *cobra.Command {
	var shown kclrun.Args
	cmd := &cobra.Command{
		Use:   "run [files|dirs] [flags]",
		Short: "Run KCL programs and print their YAML (or JSON) output",
		Long: `Run evaluates KCL files like the official "kcl run": the files (or the .k
files of directories) form the main package in the order given; kcl.yaml in the
working directory is read when no -Y settings file is given. The result is
printed as YAML (or JSON with --format json) after the output of print();
errors are printed in the official layout and the exit status is 1.

As "kcl run", KCL code may write files (file.write, append, delete, mkdir, cp, mv)
and read every environment variable (file.read_env) — but only beneath the sandbox
root: the module root (the directory of kcl.mod, else the working directory),
widened to hold the files, -Y settings files and -E packages named on the command
line. Absolute paths, '..' and symbolic links leaving it are refused, for reads
too (a kcl.yaml listing /proc/self/environ fails), and nothing is ever written
under .git or the state directory .konfig.`,
		Example: `  konfig-lsp run main.k
  konfig-lsp run main.k -D env=prod -S app.image
  konfig-lsp run -Y kcl.yaml ci-test/settings.yaml -o out.yaml`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, argv []string) error {
			a, err := kclrun.ParseArgs(argv)
			if err != nil {
				cmd.PrintErrln("Error:", err)
				cmd.PrintErrln(cmd.UsageString())
				return exitError{code: 2}
			}
			if a.Help {
				return cmd.Help()
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
			defer stop()
			if code := kclrun.Run(ctx, a, cmd.OutOrStdout(), cmd.ErrOrStderr()); code != 0 {
				return exitError{code: code}
			}
			return nil
		},
	}
	cmd.Flags().AddFlagSet(kclrun.FlagSet(&shown))
	return cmd
}

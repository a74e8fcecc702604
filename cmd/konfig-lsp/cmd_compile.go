package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

func init() { subcommands = append(subcommands, newCompileCmd) }

func newCompileCmd() *cobra.Command {
	var (
		output      string
		args        []string
		overrides   []string
		maskSecrets bool
		sensitive   []string
		sb          sandboxFlags
		budget      budgetFlags
	)
	cmd := &cobra.Command{
		Use:   "compile [stackdir] [-o file] [-D key=value]...",
		Short: "Compile a Konfig stack into its resource list",
		Long: `Compile a Konfig stack (a directory holding stack.yaml) as Kusion does: read
kcl.yaml then ci-test/settings.yaml, evaluate the listed KCL files as one main
package, and print the resources (id, type, attributes, dependsOn, extensions) as
a YAML list, the form of ci-test/stdout.golden.yaml. The YAML files under the
project's crd/ directory are appended as resources. Errors are printed as
file:line:col: kind: message and the exit status is 1. The stack is the one
holding stackdir (default: the current directory).

The output is the stack's intent as written, secrets included: it is an artifact
(the input of preview/apply --spec, the golden of ci-test/stdout.golden.yaml, what the
official toolchain prints), not a display. --mask-secrets masks the sensitive values
as preview does (a Secret's data and stringData, Terraform attributes whose name is
sensitive, see --sensitive-attribute): use it where the output lands in a log, such
as CI on pull requests with secrets passed as -D options.` + sandboxHelp,
		Args: cobra.MaximumNArgs(1),
		RunE: printingErrors(func(cmd *cobra.Command, pos []string) error {
			target := "."
			if len(pos) == 1 {
				target = pos[0]
			}
			dir := konfig.FindStackDir(target)
			if dir == "" {
				return fmt.Errorf("compile: %s is not in a stack (no %s at or above it)", target, konfig.StackFile)
			}
			st, err := konfig.LoadStack(dir)
			if err != nil {
				return fmt.Errorf("compile: %w", err)
			}
			sp, err := konfig.Compile(cmd.Context(), st, budget.compileOptions(konfig.CompileOptions{Args: args, Overrides: overrides, Policy: sb.policy()}))
			if err != nil {
				cwd, _ := os.Getwd()
				for _, p := range st.Problems(err) {
					fmt.Fprintln(cmd.ErrOrStderr(), p.Format(cwd))
				}
				return exitError{code: 1}
			}
			if maskSecrets {
				m := spec.NewMatcher(sensitive...)
				for i, r := range sp.Resources {
					sp.Resources[i] = spec.Mask(r, m)
				}
			}
			var buf bytes.Buffer
			if err := konfig.WriteSpec(&buf, sp); err != nil {
				return fmt.Errorf("compile: %w", err)
			}
			if output != "" {
				if err := os.WriteFile(output, buf.Bytes(), 0o644); err != nil {
					return fmt.Errorf("compile: %w", err)
				}
				return nil
			}
			_, err = cmd.OutOrStdout().Write(buf.Bytes())
			return err
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the resources to `file` instead of standard output")
	cmd.Flags().StringArrayVarP(&args, "argument", "D", nil, "top-level option `key=value`, after the stack's kcl_options (repeatable)")
	cmd.Flags().StringArrayVarP(&overrides, "overrides", "O", nil, overridesHelp)
	cmd.Flags().BoolVar(&maskSecrets, "mask-secrets", false, "mask sensitive values (as preview does) instead of printing the intent as written")
	registerSensitive(cmd, &sensitive)
	sb.register(cmd)
	budget.register(cmd.Flags())
	return cmd
}

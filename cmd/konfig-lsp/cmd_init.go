package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
)

func init() { subcommands = append(subcommands, newInitCmd) }

func newInitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Scaffold a new stack or project in a Konfig, shaped like the repository's own",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("init: name what to create: 'init stack DIR' or 'init project DIR' (see 'konfig-lsp init --help')")
		},
	}
	cmd.AddCommand(newInitStackCmd(), newInitProjectCmd())
	return cmd
}

func newInitStackCmd() *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "stack DIR",
		Short: "Create the stack DIR in its project, from a sibling stack or templates/stack",
		Long: `Create a stack in the directory DIR, inside an existing project (a project.yaml
above DIR). Its files come from templates/stack at the Konfig root when there is
one (the text {{project}} and {{stack}} in them is replaced by the names), else
from a sibling stack of the project (--from NAME, default the first): its
stack.yaml, KCL files, kcl.yaml and ci-test/settings.yaml, with the stack's name
changed where it is a whole YAML value. Goldens and state are not copied.`,
		Args: cobra.ExactArgs(1),
		RunE: printingErrors(func(cmd *cobra.Command, args []string) error {
			created, err := scaffold(konfig.ScaffoldStack(args[0], from))
			if err != nil {
				return fmt.Errorf("init stack: %w", err)
			}
			printCreated(cmd, created)
			return nil
		}),
	}
	cmd.Flags().StringVar(&from, "from", "", "the sibling stack to copy (its directory name; default the project's first stack)")
	return cmd
}

func newInitProjectCmd() *cobra.Command {
	var (
		from  string
		stack string
	)
	cmd := &cobra.Command{
		Use:   "project DIR",
		Short: "Create the project DIR with one stack, shaped like a sibling project",
		Long: `Create a project in the directory DIR of a Konfig: a project.yaml (name: the
directory's name) and one stack (--stack, default dev) made as 'init stack' makes
it, from the sibling project --from (default the first project of the parent
directory) or templates/stack.`,
		Args: cobra.ExactArgs(1),
		RunE: printingErrors(func(cmd *cobra.Command, args []string) error {
			created, err := scaffold(konfig.ScaffoldProject(args[0], from, stack))
			if err != nil {
				return fmt.Errorf("init project: %w", err)
			}
			printCreated(cmd, created)
			return nil
		}),
	}
	cmd.Flags().StringVar(&from, "from", "", "the sibling project to take the stack from (its directory name)")
	cmd.Flags().StringVar(&stack, "stack", "dev", "the name of the project's first stack")
	return cmd
}

func printCreated(cmd *cobra.Command, files []string) {
	out := cmd.OutOrStdout()
	for _, f := range files {
		fmt.Fprintln(out, "created", displayPath(f))
	}
}

// scaffold writes the files a scaffold planned.
func scaffold(files []konfig.ScaffoldFile, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	return konfig.WriteScaffold(files)
}

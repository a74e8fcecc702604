package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

func init() {
	subcommands = append(subcommands, newParseCmd)
}

// newParseCmd returns `konfig-lsp parse [--ast] files…`, a debugging aid that
// parses KCL files and prints their syntax errors (and, with --ast, the AST).
func newParseCmd() *cobra.Command {
	var dumpAST bool
	cmd := &cobra.Command{
		Use:    "parse [--ast] file.k…",
		Short:  "Parse KCL files and print syntax errors (debugging aid)",
		Hidden: true,
		Args:   cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			failed := false
			for _, path := range args {
				src, err := os.ReadFile(path)
				if err != nil {
					return fmt.Errorf("parse: %w", err)
				}
				f, errs := syntax.ParseFile(path, src)
				if dumpAST {
					fmt.Fprint(cmd.OutOrStdout(), syntax.Dump(f))
				}
				for _, e := range errs {
					failed = true
					fmt.Fprintln(cmd.ErrOrStderr(), e.Error())
				}
			}
			if failed {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dumpAST, "ast", false, "print the AST of each file")
	return cmd
}

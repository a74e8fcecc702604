package main

import (
	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "konfig-lsp",
		Short:         "KCL Konfig toolchain: language server, KCL runner, stack compiler",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		// Without a subcommand the binary is a language server on stdio,
		// which is how editors start it.
		RunE: func(cmd *cobra.Command, args []string) error {
			return serveStdio(cmd.Context(), "info")
		},
	}
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Run: func(cmd *cobra.Command, args []string) {
			cmd.Println("konfig-lsp " + version)
		},
	})
	acceptStdioFlag(root)
	// Subcommands register themselves in files of their own (cmd_*.go)
	// through the subcommands list.
	for _, add := range subcommands {
		root.AddCommand(add())
	}
	return root
}

// subcommands lists constructors of the subcommands; each cmd_*.go file adds
// its own in an init function, so that the files can be written independently.
var subcommands []func() *cobra.Command

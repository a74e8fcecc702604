package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:                        "konfig-lsp",
		Short:                      "KCL Konfig toolchain: language server, KCL runner, stack compiler",
		SilenceUsage:               true,
		SilenceErrors:              true,
		Args:                       unknownCommand,
		Version:                    version,
		SuggestionsMinimumDistance: 2,
		// Without a subcommand the binary is a language server on stdio,
		// which is how editors start it.
		RunE: func(cmd *cobra.Command, args []string) error {
			return serveStdio(cmd.Context(), "info")
		},
	}
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "konfig-lsp "+version)
		},
	})
	root.SetVersionTemplate("konfig-lsp {{.Version}}\n")
	root.SetFlagErrorFunc(flagError)
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

// unknownCommand is the root's argument check: the root takes no arguments,
// so an argument is a command that does not exist; the error names the
// nearest commands.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", quoteJoin(s))
	}
	return fmt.Errorf("%s; run '%s --help' for the commands", msg, cmd.CommandPath())
}

// flagError explains a bad flag: which command, the nearest flag names when
// the flag is unknown, and where to read about the flags.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		if s := nearestFlags(cmd, name); len(s) > 0 {
			msg += fmt.Sprintf(" (did you mean %s?)", quoteJoin(s))
		}
	}
	return fmt.Errorf("%s: %s; run '%s --help' for its flags", cmd.CommandPath(), msg, cmd.CommandPath())
}

// nearestFlags lists the flags of cmd whose names are within the command's
// suggestion distance of name, or start with it.
func nearestFlags(cmd *cobra.Command, name string) []string {
	var out []string
	max := cmd.SuggestionsMinimumDistance
	if max <= 0 {
		max = 2
	}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		if editDistance(name, f.Name) <= max || (len(name) > 1 && strings.HasPrefix(f.Name, name)) {
			out = append(out, "--"+f.Name)
		}
	})
	return out
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func quoteJoin(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, " or ")
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/konfig-lsp/konfig-lsp/internal/lsp"
)

func init() { subcommands = append(subcommands, newServeCmd) }

// stdio joins stdin and stdout into the server's stream.
type stdio struct {
	io.Reader
	io.Writer
}

func (stdio) Close() error { return os.Stdin.Close() }

func newServeCmd() *cobra.Command {
	var logLevel string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the Language Server Protocol on stdio (the default without a subcommand)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return serveStdio(cmd.Context(), logLevel)
		},
	}
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "log level on stderr: debug, info, warn, error")
	acceptStdioFlag(cmd)
	return cmd
}

func serveStdio(ctx context.Context, logLevel string) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("serve: --log-level %q: want debug, info, warn or error", logLevel)
	}
	logger := newLogger(os.Stderr, level)
	routeKlog(logger) // client-go's logs (the cluster commands) as records of ours, never loose lines
	if ctx == nil {
		ctx = context.Background()
	}
	// Evaluations on as many workers as CPUs, and spare Ps for the
	// requests (lsp.RequestProcs).
	workers := lsp.ReserveRequestProcs()
	err := lsp.Serve(ctx, stdio{os.Stdin, os.Stdout}, lsp.Options{Logger: logger, Version: version, Workers: workers})
	switch {
	case errors.Is(err, lsp.ErrExitWithoutShutdown):
		// The LSP's exit status for an exit without shutdown (logged by Serve).
		return exitError{code: 1}
	case err != nil:
		logger.Error("language server stopped", "error", err)
		return exitError{code: 1}
	}
	return nil
}

// acceptStdioFlag accepts `--stdio`, which language clients (for example
// vscode-languageclient) append; stdio is the only transport.
func acceptStdioFlag(cmd *cobra.Command) {
	var stdio bool
	cmd.Flags().BoolVar(&stdio, "stdio", true, "serve on stdio (the only transport; accepted for clients that pass it)")
	_ = cmd.Flags().MarkHidden("stdio")
}

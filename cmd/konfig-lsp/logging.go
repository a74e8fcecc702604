package main

import (
	"context"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
)

// newLogger is the process's structured logger: text records on w from
// level up.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// logLevelEnv sets the level of the CLI commands' logs (debug, info, warn,
// error; default error): their results and errors are their output, so by
// default nothing else is written. serve takes --log-level instead.
const logLevelEnv = "KONFIG_LOG_LEVEL"

// cliLogger is the logger of a CLI command (preview, apply, destroy): on the
// command's stderr, at $KONFIG_LOG_LEVEL; client-go's logs go into it.
func cliLogger(cmd *cobra.Command) *slog.Logger {
	level := slog.LevelError
	if v := os.Getenv(logLevelEnv); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			level = slog.LevelError
		}
	}
	l := newLogger(cmd.ErrOrStderr(), level)
	routeKlog(l)
	return l
}

// routeKlog sends the logs of client-go (which logs through k8s.io/klog)
// into logger, one level lower and marked source=client-go, instead of the
// unstructured lines klog writes on stderr by default. One level lower: an
// error client-go logs (e.g. "Couldn't get current server API group list"
// while the server is unreachable) is one it also returns, and the engine
// reports it, so it is only a warning here, and client-go's chatter is debug.
//
// klog's logger is process-wide: call routeKlog once per command, before any
// client is made.
func routeKlog(logger *slog.Logger) {
	klog.SetSlogLogger(slog.New(demoted{logger.Handler()}).With("source", "client-go"))
}

// demoted is a slog.Handler passing records to h with their level lowered
// by one step (slog's levels are 4 apart: error to warn, info to debug).
type demoted struct{ h slog.Handler }

const demoteBy = 4

func (d demoted) Enabled(ctx context.Context, l slog.Level) bool {
	return d.h.Enabled(ctx, l-demoteBy)
}

// Handle checks the level itself: logr passes errors on without asking
// Enabled.
func (d demoted) Handle(ctx context.Context, r slog.Record) error {
	r.Level -= demoteBy
	if !d.h.Enabled(ctx, r.Level) {
		return nil
	}
	return d.h.Handle(ctx, r)
}

func (d demoted) WithAttrs(attrs []slog.Attr) slog.Handler { return demoted{d.h.WithAttrs(attrs)} }

func (d demoted) WithGroup(name string) slog.Handler { return demoted{d.h.WithGroup(name)} }

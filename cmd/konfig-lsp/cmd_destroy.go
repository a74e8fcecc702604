package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/konfig-lsp/konfig-lsp/internal/engine"
)

func init() { subcommands = append(subcommands, newDestroyCmd) }

func newDestroyCmd() *cobra.Command {
	var f engineFlags
	var yes, detail bool
	cmd := &cobra.Command{
		Use:   "destroy [stackdir]",
		Short: "Delete every resource the stack's state holds, dependents first",
		Args:  cobra.MaximumNArgs(1),
		RunE: printingErrors(func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			dir, err := stackDirArg(args, false)
			if err != nil {
				return err
			}
			eng, err := f.newEngine(cmd, dir)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			ch, err := eng.DestroyPreview(ctx)
			if err != nil {
				return err
			}
			if err := f.writeChanges(out, dir, ch, detail); err != nil {
				return err
			}
			if len(ch.StepKeys) == 0 {
				fmt.Fprintln(out, "Nothing to destroy.")
				return nil
			}
			if !yes {
				ok, err := confirm(cmd.InOrStdin(), out, "Delete these resources?")
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("destroy cancelled")
				}
			}
			res, err := eng.Destroy(ctx, engine.DestroyOptions{ForceUnlock: f.forceUnlock, MaxConcurrent: f.maxConc, OnEvent: progressPrinter(out)})
			if res != nil {
				verb := "Destroy"
				if err != nil && ctx.Err() != nil {
					verb = "Destroy interrupted"
				}
				fmt.Fprintf(out, "%s: %s\n", verb, res.Summary())
			}
			return err
		}),
	}
	f.register(cmd, false)
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "destroy without asking")
	cmd.Flags().BoolVarP(&detail, "detail", "d", false, "print the objects to delete")
	return cmd
}

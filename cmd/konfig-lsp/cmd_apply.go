package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/konfig-lsp/konfig-lsp/internal/engine"
)

func init() { subcommands = append(subcommands, newApplyCmd) }

func newApplyCmd() *cobra.Command {
	var f engineFlags
	var yes, detail, watch, skipUnsupported bool
	var timeout time.Duration
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "apply [stackdir]",
		Short: "Preview, confirm and apply a stack to the cluster (server-side apply, dependency order)",
		Long: `Preview the stack (see preview), ask, then apply it with server-side apply in
dependency order, recording every resource in the state as it goes (atomic writes, at
most every 50 ms). Interrupted (Ctrl-C), it stops starting resources, and its summary
counts those it did not attempt; rerunning converges.

A stack holding resources of a type with no runtime (Terraform) is refused, naming them.
--exclude-type Terraform applies the rest: the Terraform resources are Excluded, the
resources depending on them (dependsOn or a $kusion_path reference) are Blocked, and
neither is applied nor written to the state; the summary counts them. --target ID (repeatable,
'*' matches any text) applies only the matching resources and what they depend on.
A preview whose dry-run the API server rejected is refused too, naming the resources and
the offending fields. When the server rejects a resource during the apply (one whose
namespace was created by the same apply could not be dry-run), the resources depending
on it are skipped, what was applied stays in the state, and apply exits with status 1.` + sandboxHelp,
		Args: cobra.MaximumNArgs(1),
		RunE: printingErrors(func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			dir, err := stackDirArg(args, f.specFile == "")
			if err != nil {
				return err
			}
			sp, err := f.loadSpec(ctx, dir, cmd.InOrStdin())
			if err != nil {
				return err
			}
			eng, err := f.newEngine(cmd, dir)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			popts := f.previewOptions()
			if dryRun {
				// Every resource goes through the server's dry-run, even
				// those the state says are unchanged.
				popts.AlwaysDryRun = true
			}
			ch, err := eng.Preview(ctx, sp, popts)
			if err != nil {
				return err
			}
			if err := f.writeChanges(out, dir, ch, detail); err != nil {
				return err
			}
			aopts := engine.ApplyOptions{
				PreviewOptions:  popts,
				ForceUnlock:     f.forceUnlock,
				Watch:           watch,
				WatchTimeout:    timeout,
				SkipUnsupported: skipUnsupported,
				OnEvent:         progressPrinter(out),
			}
			if err := engine.Refusal(ch, aopts); err != nil {
				return err // before asking: there is nothing to confirm
			}
			if dryRun {
				unvalidated := 0
				for _, st := range ch.Steps() {
					if strings.HasPrefix(st.Note, "not validated by a dry-run") {
						unvalidated++
					}
				}
				fmt.Fprintf(out, "Dry run: the API server accepts the plan (%d to create, %d to update, %d to delete); nothing was written.\n",
					ch.Count(engine.Create), ch.Count(engine.Update), ch.Count(engine.Delete))
				if unvalidated > 0 {
					fmt.Fprintf(out, "%d %s could not be dry-run (see the notes above): the apply will validate them.\n", unvalidated, plural(unvalidated, "resource", "resources"))
				}
				return nil
			}
			if !ch.HasChanges() {
				// Nothing to confirm; the apply below still records the
				// unchanged resources in the state (an interrupted apply's
				// objects are adopted) and waits for them with --watch.
				fmt.Fprintln(out, "Nothing to change.")
			} else if !yes {
				ok, err := confirm(cmd.InOrStdin(), out, "Apply these changes?")
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("apply cancelled")
				}
			}
			res, err := eng.Apply(ctx, sp, ch, aopts)
			if res != nil {
				verb := "Apply"
				if err != nil && ctx.Err() != nil {
					verb = "Apply interrupted"
				}
				fmt.Fprintf(out, "%s: %s\n", verb, res.Summary())
			}
			return err
		}),
	}
	f.register(cmd, true)
	fl := cmd.Flags()
	fl.BoolVarP(&yes, "yes", "y", false, "apply without asking")
	fl.BoolVar(&dryRun, "dry-run", false, "send the whole plan to the API server as a server-side dry run (every resource, even unchanged ones), report what it rejects, and write nothing: no change, no state")
	fl.BoolVarP(&detail, "detail", "d", false, "print a unified YAML diff per changed resource before asking")
	fl.BoolVar(&watch, "watch", false, "wait for each applied resource to be ready (Deployments, StatefulSets, Jobs, Services, CRDs)")
	fl.DurationVar(&timeout, "watch-timeout", 5*time.Minute, "how long --watch waits for one resource")
	fl.BoolVar(&skipUnsupported, "skip-unsupported", false, "apply the rest when some resources have a type with no runtime, whatever the type (they and their dependents are reported, not applied); --exclude-type names the types instead")
	return cmd
}

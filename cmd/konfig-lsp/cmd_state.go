package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/konfig-lsp/konfig-lsp/internal/engine"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime/kubernetes"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/state"
)

func init() { subcommands = append(subcommands, newStateCmd) }

func newStateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Show or move a stack's state (local or in the cluster)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return fmt.Errorf("state: name a subcommand: show or migrate (see 'konfig-lsp state --help')")
		},
	}
	cmd.AddCommand(newStateShowCmd(), newStateMigrateCmd())
	return cmd
}

// stateFlags select a stack's backend as the engine commands do.
type stateFlags struct{ engineFlags }

func (f *stateFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&f.kubeContext, "context", "", "kubeconfig context (default the current one)")
	fl.StringVar(&f.stateDir, "state-dir", "", "directory of the local state (default <stack>/.konfig)")
	fl.StringVar(&f.backend, "backend", "", "the backend to read: local or kubernetes (default the stack's)")
	fl.StringVar(&f.backendNS, "backend-namespace", "", "the kubernetes backend's namespace (default the stack's)")
}

// open returns the backend bc selects; the cluster is only configured when
// bc needs it.
func (f *stateFlags) open(bc engine.BackendConfig, stackDir string) (state.Backend, error) {
	if bc.Type == engine.BackendLocal {
		return engine.OpenBackend(bc, stackDir, f.stateDir, nil)
	}
	rc, err := kubernetes.RESTConfig(kubernetes.Config{Kubeconfig: f.kubeconfig, Context: f.kubeContext})
	if err != nil {
		return nil, fmt.Errorf("the kubernetes backend needs a cluster (set --kubeconfig and --context, or KUBECONFIG): %w", err)
	}
	return engine.OpenBackend(bc, stackDir, "", rc)
}

func newStateShowCmd() *cobra.Command {
	var f stateFlags
	cmd := &cobra.Command{
		Use:   "show [stackdir]",
		Short: "Print where the stack's state is kept and what it holds",
		Args:  cobra.MaximumNArgs(1),
		RunE: printingErrors(func(cmd *cobra.Command, args []string) error {
			dir, err := stackDirArg(args, true)
			if err != nil {
				return err
			}
			bc, err := f.backendConfig(dir)
			if err != nil {
				return err
			}
			b, err := f.open(bc, dir)
			if err != nil {
				return err
			}
			s, err := b.Load()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%s: %s, serial %d, %d resources\n", bc.Stack, b, s.Serial, len(s.Resources))
			for _, r := range s.Resources {
				fmt.Fprintf(out, "  %s\n", r.ID)
			}
			return nil
		}),
	}
	f.register(cmd)
	return cmd
}

func newStateMigrateCmd() *cobra.Command {
	var (
		f     stateFlags
		to    string
		force bool
	)
	cmd := &cobra.Command{
		Use:   "migrate --to kubernetes|local [stackdir]",
		Short: "Move the stack's state to another backend",
		Long: `Move the stack's state from its backend (the backend: section of stack.yaml or
project.yaml, --backend, else local) to the backend --to names, holding both
locks. A destination that already holds a state is refused unless --force. A
local state file left behind is renamed state.json.migrated. Then set the
stack's backend: section so that every command uses the new backend.`,
		Args: cobra.MaximumNArgs(1),
		RunE: printingErrors(func(cmd *cobra.Command, args []string) error {
			if to != engine.BackendLocal && to != engine.BackendKubernetes {
				return fmt.Errorf("state migrate: --to %q: want kubernetes or local", to)
			}
			dir, err := stackDirArg(args, true)
			if err != nil {
				return err
			}
			from, err := f.backendConfig(dir)
			if err != nil {
				return err
			}
			if from.Type == to {
				return fmt.Errorf("state migrate: the state of %s is already kept by the %s backend", from.Stack, to)
			}
			dstCfg := from
			dstCfg.Type = to
			src, err := f.open(from, dir)
			if err != nil {
				return err
			}
			dst, err := f.open(dstCfg, dir)
			if err != nil {
				return err
			}
			s, err := engine.MigrateState(src, dst, force)
			if err != nil {
				return fmt.Errorf("state migrate: %w", err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Moved the state of %s (%d resources, serial %d) from %s to %s.\n", from.Stack, len(s.Resources), s.Serial, src, dst)
			if local, ok := src.(*state.Store); ok {
				if err := os.Rename(local.Path(), local.Path()+".migrated"); err != nil && !errors.Is(err, os.ErrNotExist) {
					return fmt.Errorf("state migrate: the state is copied, but the local file stays: %w", err)
				}
				fmt.Fprintf(out, "The local file is kept as %s.\n", local.Path()+".migrated")
			}
			if from.From != "--backend" || to == engine.BackendKubernetes {
				fmt.Fprintf(out, "Set the stack's backend in stack.yaml or project.yaml:\n\nbackend:\n  type: %s\n", to)
				if to == engine.BackendKubernetes && dstCfg.Namespace != "" {
					fmt.Fprintf(out, "  namespace: %s\n", dstCfg.Namespace)
				}
			}
			return nil
		}),
	}
	f.register(cmd)
	cmd.Flags().StringVar(&to, "to", "", "the destination backend: kubernetes or local")
	cmd.Flags().BoolVar(&force, "force", false, "replace a state the destination already holds")
	return cmd
}

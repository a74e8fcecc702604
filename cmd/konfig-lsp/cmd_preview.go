package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/konfig-lsp/konfig-lsp/internal/engine"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime/kubernetes"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/state/kubestate"
	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

func init() { subcommands = append(subcommands, newPreviewCmd) }

// engineFlags are the flags shared by preview, apply and destroy.
type engineFlags struct {
	kubeconfig   string
	kubeContext  string
	specFile     string
	stateDir     string
	backend      string // --backend
	backendNS    string // --backend-namespace
	args         []string
	overrides    []string // -O
	ignoreFields []string
	excludeTypes []string
	targets      []string
	force        bool // --force-conflicts
	alwaysDryRun bool
	forceUnlock  bool
	maxConc      int
	noStyle      bool
	sensitive    []string // --sensitive-attribute
	sandbox      sandboxFlags
	budget       budgetFlags // of the compile
}

func (f *engineFlags) register(cmd *cobra.Command, withSpec bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&f.kubeContext, "context", "", "kubeconfig context (default the current one)")
	fl.StringVar(&f.stateDir, "state-dir", "", "directory of state.json and its lock (default <stack>/.konfig), for the local backend")
	fl.StringVar(&f.backend, "backend", "", "where the stack's state and lock live: local (.konfig/state.json) or kubernetes (Secrets and a Lease in the cluster); default: the backend: section of stack.yaml or project.yaml, else local")
	fl.StringVar(&f.backendNS, "backend-namespace", "", "the namespace of the kubernetes backend's Secrets and Lease (default: the backend: section's, else "+kubestate.DefaultNamespace+")")
	fl.BoolVar(&f.forceUnlock, "force-unlock", false, "take the stack's lock even if another operation holds it")
	fl.IntVar(&f.maxConc, "max-concurrent", 10, "resources processed in parallel")
	fl.BoolVar(&f.noStyle, "no-style", false, "no colors")
	registerSensitive(cmd, &f.sensitive)
	if withSpec {
		fl.StringVar(&f.specFile, "spec", "", "read the resources from this YAML file (a list, or {resources: [...]}) instead of compiling the stack; - is stdin")
		fl.StringArrayVarP(&f.args, "argument", "D", nil, "KCL option key=value for the compile")
		fl.StringArrayVarP(&f.overrides, "overrides", "O", nil, overridesHelp)
		fl.StringSliceVar(&f.ignoreFields, "ignore-fields", nil, "dot paths left out of the comparison (e.g. metadata.labels,spec.replicas)")
		fl.BoolVar(&f.force, "force-conflicts", false, "take over fields that another field manager owns")
		fl.BoolVar(&f.alwaysDryRun, "always-dry-run", false, "dry-run every live resource, even those that hold the plan exactly as last applied")
		fl.StringArrayVar(&f.targets, "target", nil, "limit the operation to the resources with this id ('*' matches any text; repeatable) and the resources they depend on; the others are shown as Excluded (not targeted) and left alone")
		fl.StringSliceVar(&f.excludeTypes, "exclude-type", nil, "resource types to leave out (e.g. Terraform): shown as Excluded, and the resources depending on them as Blocked; neither is applied")
		f.sandbox.register(cmd)
		f.budget.register(fl)
	}
}

// registerSensitive adds --sensitive-attribute to cmd.
func registerSensitive(cmd *cobra.Command, names *[]string) {
	cmd.Flags().StringArrayVar(names, "sensitive-attribute", nil, "an attribute `name` whose values are masked in the output, in addition to the defaults ("+
		strings.Join(spec.DefaultSensitiveAttributes(), ", ")+"): a name matches when it contains the given one, case and _-. ignored (repeatable)")
}

// printingErrors wraps a RunE so that its error is printed on stderr (the
// root command prints none) and the process exits with status 1.
func printingErrors(run func(cmd *cobra.Command, args []string) error) func(cmd *cobra.Command, args []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := run(cmd, args)
		if err == nil {
			return nil
		}
		if _, ok := err.(exitError); ok {
			return err
		}
		cmd.PrintErrln("Error:", err)
		return exitError{code: 1}
	}
}

// stackName names the stack in output: project/stack.
func stackName(dir string) string {
	return filepath.Base(filepath.Dir(dir)) + "/" + filepath.Base(dir)
}

func (f *engineFlags) previewOptions() engine.PreviewOptions {
	return engine.PreviewOptions{IgnoreFields: f.ignoreFields, ForceConflicts: f.force, MaxConcurrent: f.maxConc, AlwaysDryRun: f.alwaysDryRun, ExcludeTypes: f.excludeTypes, Targets: f.targets}
}

// stackDirArg returns the stack directory argument (default "."), which must
// exist and, when stackYAML is set, hold a stack.yaml.
func stackDirArg(args []string, stackYAML bool) (string, error) {
	dir := "."
	if len(args) > 0 {
		dir = args[0]
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("stack dir: %w", err)
	}
	if err := isStackDir(abs, stackYAML); err != nil {
		return "", err
	}
	return abs, nil
}

// loadSpec returns the stack's intent: --spec's file, else the compiled stack.
func (f *engineFlags) loadSpec(ctx context.Context, stackDir string, stdin io.Reader) (*spec.Spec, error) {
	if f.specFile != "" {
		var data []byte
		var err error
		if f.specFile == "-" {
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(f.specFile)
		}
		if err != nil {
			return nil, fmt.Errorf("read spec: %w", err)
		}
		return spec.Parse(data)
	}
	st, err := konfig.LoadStack(stackDir)
	if err != nil {
		return nil, err
	}
	pol := f.sandbox.policy()
	if f.stateDir != "" {
		// A state directory elsewhere than <stack>/.konfig is protected
		// too: the stack's code never writes the state it is applied
		// with.
		if abs, err := filepath.Abs(f.stateDir); err == nil {
			pol.Protected = append(pol.Protected, abs)
		}
	}
	return konfig.Compile(ctx, st, f.budget.compileOptions(konfig.CompileOptions{Args: f.args, Overrides: f.overrides, Policy: pol}))
}

// newEngine connects the Kubernetes runtime and returns the stack's engine,
// both logging (with client-go) through cmd's logger (cliLogger).
func (f *engineFlags) newEngine(cmd *cobra.Command, stackDir string) (*engine.Engine, error) {
	log := cliLogger(cmd)
	bc, err := f.backendConfig(stackDir) // the stack's files and the flags before the cluster
	if err != nil {
		return nil, err
	}
	rc, err := kubernetes.RESTConfig(kubernetes.Config{Kubeconfig: f.kubeconfig, Context: f.kubeContext, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("no usable Kubernetes cluster configuration (set --kubeconfig and --context, or KUBECONFIG): %w", err)
	}
	kube, err := kubernetes.NewForConfig(rc, log)
	if err != nil {
		return nil, err
	}
	backend, err := engine.OpenBackend(bc, stackDir, f.stateDir, rc)
	if err != nil {
		return nil, err
	}
	return engine.New(engine.Config{
		StackDir:  stackDir,
		Runtimes:  runtime.Registry{spec.Kubernetes: kube},
		Logger:    log,
		Sensitive: spec.NewMatcher(f.sensitive...),
		Backend:   backend,
	}), nil
}

// backendConfig is the stack's backend configuration with the flags applied.
func (f *engineFlags) backendConfig(stackDir string) (engine.BackendConfig, error) {
	bc, err := engine.ReadBackendConfig(stackDir)
	if err != nil {
		return bc, err
	}
	if f.backend != "" {
		bc.Type, bc.From = f.backend, "--backend"
	}
	if f.backendNS != "" {
		bc.Namespace = f.backendNS
	}
	if f.stateDir != "" && bc.Type != engine.BackendLocal {
		return bc, fmt.Errorf("--state-dir is for the local backend; the %s backend keeps the state in the cluster", bc.Type)
	}
	return bc, bc.Validate()
}

// overridesHelp documents -O, as on run.
const overridesHelp = "override an attribute of the stack's main package for this compile: `path=value`, `path:value`, `path+=value` or `path-` to delete (repeatable; the files are not changed)"

// isStackDir checks that dir is a directory and, with stackYAML, a stack
// directory (holds stack.yaml), and says what to do when it is not.
func isStackDir(dir string, stackYAML bool) error {
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("stack directory %s: %w", dir, err)
	case !st.IsDir():
		return fmt.Errorf("%s is not a directory: give a stack directory (one with a stack.yaml)", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "stack.yaml")); err != nil && stackYAML {
		return fmt.Errorf("%s is not a stack directory: it has no stack.yaml (list the stacks with 'konfig-lsp ls')", dir)
	}
	return nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func newPreviewCmd() *cobra.Command {
	var f engineFlags
	var detail bool
	var output string
	cmd := &cobra.Command{
		Use:   "preview [stackdir]",
		Short: "Show what apply would change: a three-way diff of the stack, its state and the live cluster",
		Long: `Show what apply would change: a three-way diff of the stack (compiled, or --spec),
its state (.konfig/state.json) and the live cluster, decided on server-side dry-runs.

Actions: Create, Update, Delete, UnChanged; Unsupported for a resource whose type has
no runtime (Terraform); Excluded for a type left out with --exclude-type; Blocked for a
resource that depends (dependsOn or a $kusion_path reference) on an Unsupported,
Excluded or Blocked one; with --target, the resources neither targeted nor needed by a
target are Excluded (not targeted). A resource the API server rejects in the dry-run is listed with
the server's message (naming the offending field), and preview exits with status 1.
A resource whose namespace or CRD the same apply creates cannot be dry-run yet: its
note says so.

Sensitive values are masked in the table, the diff, the JSON, the messages and the
state: a Secret's data and stringData, and the attributes of other types (Terraform)
whose name is sensitive (password, secret, token, private_key, access_key, …; see
--sensitive-attribute); a changed one shows as "<sensitive, changed>".

Logs, client-go's included, go to stderr as structured records from the level in
$KONFIG_LOG_LEVEL (debug, info, warn, error; default error) — the same for apply and destroy.` + sandboxHelp,
		Args: cobra.MaximumNArgs(1),
		RunE: printingErrors(func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
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
			ch, err := eng.Preview(ctx, sp, f.previewOptions())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch output {
			case "json":
				data, err := ch.JSON()
				if err != nil {
					return err
				}
				if _, err = fmt.Fprintf(out, "%s\n", data); err != nil {
					return err
				}
				return rejectedError(ch)
			case "", "table":
			default:
				return fmt.Errorf("unknown output format %q (want table or json)", output)
			}
			if err := f.writeChanges(out, dir, ch, detail); err != nil {
				return err
			}
			return rejectedError(ch)
		}),
	}
	f.register(cmd, true)
	cmd.Flags().BoolVarP(&detail, "detail", "d", false, "print a unified YAML diff per changed resource")
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: table (default) or json ({stepKeys, changeSteps})")
	return cmd
}

// writeChanges prints a preview's table and, with detail, its unified
// diff (colored on a terminal unless --no-style).
func (f *engineFlags) writeChanges(out io.Writer, dir string, ch *engine.Changes, detail bool) error {
	if err := engine.WriteTable(out, stackName(dir), ch); err != nil {
		return err
	}
	if detail {
		return engine.WriteDiff(out, ch, !f.noStyle && isTerminal(out))
	}
	return nil
}

// rejectedError fails a preview whose dry-run the API server rejected.
func rejectedError(ch *engine.Changes) error {
	rej := ch.Rejected()
	if len(rej) == 0 {
		return nil
	}
	lines := make([]string, 0, len(rej))
	for _, s := range rej {
		lines = append(lines, s.ID+": "+s.Error)
	}
	return fmt.Errorf("the dry-run of %d resources was rejected:\n  %s", len(rej), strings.Join(lines, "\n  "))
}

// confirm asks a yes/no question on in; anything but y/yes is no.
func confirm(in io.Reader, out io.Writer, question string) (bool, error) {
	fmt.Fprintf(out, "%s [y/N]: ", question)
	var b strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := in.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				break
			}
			b.WriteByte(buf[0])
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return false, fmt.Errorf("read answer: %w", err)
		}
	}
	a := strings.ToLower(strings.TrimSpace(b.String()))
	return a == "y" || a == "yes", nil
}

// progressPrinter prints apply/destroy events: on a terminal, a progress bar
// redrawn in place (failures and skips on lines of their own); otherwise,
// plain lines.
func progressPrinter(w io.Writer) func(engine.Event) {
	if isTerminal(w) {
		return progressBar(w)
	}
	return func(e engine.Event) {
		switch e.Type {
		case engine.EventStart:
			return
		case engine.EventDone:
			if e.Action == engine.UnChanged {
				return
			}
			fmt.Fprintf(w, "[%d/%d] %s %s: done (%s)\n", e.Done, e.Total, e.Action, e.ID, e.Elapsed.Round(1e6))
		case engine.EventFailed:
			fmt.Fprintf(w, "[%d/%d] %s %s: FAILED: %v\n", e.Done, e.Total, e.Action, e.ID, e.Err)
		case engine.EventSkipped:
			if leftOut(e.Action) {
				fmt.Fprintf(w, "[%d/%d] %s: not applied (%s)\n", e.Done, e.Total, e.ID, e.Message)
				return
			}
			fmt.Fprintf(w, "[%d/%d] %s: skipped: %s\n", e.Done, e.Total, e.ID, e.Message)
		case engine.EventWaiting:
			fmt.Fprintf(w, "%s: applied, waiting for readiness\n", e.ID)
		}
	}
}

// leftOut reports whether a step of action a is one apply leaves alone by
// design (as opposed to one skipped because a dependency failed).
func leftOut(a engine.Action) bool {
	return a == engine.Excluded || a == engine.Blocked || a == engine.Unsupported
}

func progressBar(w io.Writer) func(engine.Event) {
	const width = 30
	return func(e engine.Event) {
		switch e.Type {
		case engine.EventFailed:
			fmt.Fprintf(w, "\r\x1b[K%s %s: FAILED: %v\n", e.Action, e.ID, e.Err)
		case engine.EventSkipped:
			if leftOut(e.Action) {
				fmt.Fprintf(w, "\r\x1b[K%s: not applied (%s)\n", e.ID, e.Message)
				break
			}
			fmt.Fprintf(w, "\r\x1b[K%s: skipped: %s\n", e.ID, e.Message)
		}
		filled := 0
		if e.Total > 0 {
			filled = e.Done * width / e.Total
		}
		label := e.ID
		if len(label) > 50 {
			label = "…" + label[len(label)-49:]
		}
		fmt.Fprintf(w, "\r\x1b[K[%s%s] %d/%d %s", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), e.Done, e.Total, label)
		if e.Total > 0 && e.Done == e.Total {
			fmt.Fprintln(w)
		}
	}
}

package kclrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/eval"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sema"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// Evaluate runs the one pipeline of `run`, konfig's stacks and the
// server: load and parse (one parse cache for both passes), resolve as
// cfg.Resolve says (static errors come from the resolver), evaluate, then
// plan and print the result. print() output goes to stdout as it happens,
// and the planned result (YAML or JSON, or the manifests.yaml_stream
// text) is returned; nil when the program outputs nothing.
func Evaluate(ctx context.Context, cfg *Config, stdout io.Writer) ([]byte, error) {
	if cfg.Sandbox == nil || cfg.Cache == nil {
		c := *cfg
		if c.Sandbox == nil {
			fsys, err := openSandbox(cfg)
			if err != nil {
				return nil, err
			}
			defer fsys.Close()
			c.Sandbox = fsys
		}
		if c.Cache == nil {
			c.Cache = loader.NewCache()
		}
		cfg = &c
	}
	mode := cfg.Resolve
	if mode == ResolveFirst {
		if err := resolveProgram(ctx, cfg); err != nil {
			return nil, err
		}
	}
	opts := make([]eval.Option, len(cfg.Options))
	for i, o := range cfg.Options {
		opts[i] = eval.Option{Key: o.Key, Value: o.Value}
	}
	res, err := eval.Run(ctx, eval.Config{
		Files:       cfg.Files,
		Overlay:     cfg.Overlay,
		WorkDir:     cfg.WorkDir,
		ModRoot:     cfg.ModRoot,
		Options:     opts,
		External:    cfg.External,
		StrictRange: cfg.StrictRange,
		Debug:       cfg.Debug,
		Stdout:      stdout,
		Sandbox:     cfg.Sandbox,
		MaxMemory:   cfg.MaxMemory,
		Cache:       cfg.Cache,
	})
	if err != nil {
		if mode == ResolveOnError {
			if rerr := explaining(resolveProgram(ctx, cfg), err); rerr != nil {
				return nil, rerr
			}
		}
		if cfg.Debug {
			addBacktrace(err)
		}
		return nil, err
	}
	if res.Stream != nil {
		return withNewline([]byte(*res.Stream)), nil
	}
	var v value.Value = res.Value
	if res.Scalar != nil || res.Value == nil {
		v = res.Scalar
	}
	if len(cfg.PathSelector) > 0 {
		v, err = selectPaths(v, cfg.PathSelector, res)
		if err != nil {
			return nil, err
		}
	}
	out, err := encodeResult(v, cfg, res.Budget)
	if err == nil {
		err = res.BudgetErr(ctx)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// encodeResult plans and prints the result v under the evaluation's
// budget: the output, where shared structure is expanded, counts against
// it (the caller checks the budget).
func encodeResult(v value.Value, cfg *Config, b *value.Budget) ([]byte, error) {
	planned := value.Plan(v, value.PlanOptions{DisableNone: cfg.DisableNone, SortKeys: cfg.SortKeys, ShowHidden: cfg.ShowHidden, Budget: b})
	if b.Err() != nil || isEmptyOutput(planned) {
		return nil, nil
	}
	if cfg.Format == "json" {
		return withNewline(value.EncodeJSON(planned, value.JSONOptions{Indent: 4, Budget: b})), nil
	}
	if l, ok := planned.(*value.List); ok && allConfigs(l) {
		// A top-level list of configs prints as a YAML stream.
		return value.EncodeYAMLStream(l.Items, value.YAMLOptions{Budget: b}, ""), nil
	}
	return withNewline(value.EncodeYAML(planned, value.YAMLOptions{Budget: b})), nil
}

// isEmptyOutput reports whether a planned result prints nothing: no value
// or an empty top-level dict.
func isEmptyOutput(v value.Value) bool {
	switch x := v.(type) {
	case nil, value.UndefinedType:
		return true
	case *value.Dict:
		return x.Len() == 0
	}
	return false
}

func allConfigs(l *value.List) bool {
	if len(l.Items) == 0 {
		return false
	}
	for _, it := range l.Items {
		if _, ok := it.(*value.Dict); !ok {
			return false
		}
	}
	return true
}

func withNewline(b []byte) []byte {
	if len(b) == 0 || b[len(b)-1] == '\n' {
		return b
	}
	return append(b, '\n')
}

// Run does everything `konfig-lsp run` does with the parsed command line a:
// resolve settings and flags, evaluate, print the print() output and then
// the result to stdout (or the -o file), and render any error to stderr in
// the official layout. It returns the process exit status: 0 on success, 1
// on a KCL error.
func Run(ctx context.Context, a Args, stdout, stderr io.Writer) int {
	cfg, err := Resolve(a)
	if err != nil {
		return fail(stderr, err, diag.FileSource{Overlay: a.Overlay})
	}
	fsys, err := openSandbox(cfg)
	if err != nil {
		return fail(stderr, err, diag.FileSource{Overlay: a.Overlay})
	}
	defer fsys.Close()
	cfg.Sandbox = fsys
	// Error source lines are read through the sandbox too: a refused
	// file's content never reaches stderr.
	src := diag.FileSource{Overlay: cfg.Overlay, Read: fsys.ReadFile}
	ctx, cancel := eval.WithTimeout(ctx, a.Timeout)
	defer cancel()
	if a.Quiet {
		stdout = io.Discard
	}
	out, err := Evaluate(ctx, cfg, stdout)
	if err != nil {
		return fail(stderr, err, src)
	}
	if a.Quiet {
		return 0
	}
	if cfg.Output != "" {
		write := os.WriteFile
		if cfg.OutputFromSettings {
			// A settings file chose the output file: it is written
			// like file.write, beneath the root and by the policy.
			write = fsys.WriteFile
		}
		if err := write(cfg.Output, out, 0o644); err != nil {
			return fail(stderr, fmt.Errorf("write output: %w", err), src)
		}
		return 0
	}
	if _, err := stdout.Write(out); err != nil {
		return fail(stderr, fmt.Errorf("write output: %w", err), src)
	}
	return 0
}

// openSandbox opens the sandbox of cfg at its Root (ModRoot, or WorkDir,
// when Root is empty) with its Policy.
func openSandbox(cfg *Config) (*sandbox.FS, error) {
	root := cfg.Root
	if root == "" {
		root = cfg.ModRoot
	}
	if root == "" {
		root = cfg.WorkDir
	}
	fsys, err := sandbox.Open(root, cfg.Policy)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	return fsys, nil
}

// Main parses argv (the arguments after `run`) and calls Run.
func Main(ctx context.Context, argv []string, workDir string, stdout, stderr io.Writer) int {
	a, err := ParseArgs(argv)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 2
	}
	a.WorkDir = workDir
	return Run(ctx, a, stdout, stderr)
}

func fail(stderr io.Writer, err error, src diag.SourceReader) int {
	var b bytes.Buffer
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		var d *diag.Diagnostic
		var l diag.List
		if !errors.As(err, &d) && !errors.As(err, &l) {
			err = &diag.Diagnostic{Kind: diag.EvaluationError, Messages: []diag.Message{{
				Text: fmt.Sprintf("evaluation stopped: %v", err)}}}
		}
	}
	diag.RenderError(&b, err, src)
	stderr.Write(b.Bytes())
	return 1
}

// ResolveMode says when a run consults the resolver (package sema) for
// compile-time errors.
type ResolveMode int

const (
	// ResolveFirst resolves before evaluating and stops at resolver
	// errors, as the official compiler does. It is the default.
	ResolveFirst ResolveMode = iota
	// ResolveOnError resolves only when the evaluation fails, and then
	// reports the resolver's errors that explain the failure (those at the
	// file and line where the evaluation stopped) instead of the
	// evaluator's. Compile-time errors of programs that evaluate, and
	// those elsewhere in a program that fails for another reason (a
	// failed check), go unreported: it is the lenient mode for code
	// written for older compilers (the 2023 Konfig stacks call a schema
	// with a missing argument, which KCL 0.11's resolver rejects), and
	// konfig's default.
	ResolveOnError
	// ResolveNever evaluates only.
	ResolveNever
)

// ParseResolveMode reads "first", "on-error" or "never".
func ParseResolveMode(s string) (ResolveMode, error) {
	switch s {
	case "", "first":
		return ResolveFirst, nil
	case "on-error":
		return ResolveOnError, nil
	case "never":
		return ResolveNever, nil
	}
	return 0, fmt.Errorf("unknown resolve mode %q, want first, on-error or never", s)
}

// resolveProgram runs the resolver over the program, as the official
// compiler does before evaluating, and returns its errors (all of them,
// parse errors first) as a diag.List; nil when the resolver cannot load
// the program at all.
func resolveProgram(ctx context.Context, cfg *Config) error {
	prog, err := sema.Load(ctx, sema.Config{ModRoot: cfg.ModRoot, Files: cfg.Files, External: cfg.External, Overlay: cfg.Overlay, FS: cfg.Sandbox, Cache: cfg.Cache})
	if err != nil {
		// The resolver could not load the program (a missing input, …):
		// leave the report to the evaluator.
		return nil
	}
	var errs diag.List
	for _, d := range prog.Diagnostics() {
		if !d.Warning {
			errs = append(errs, d)
		}
	}
	return errs.Err()
}

// explaining returns the resolver's errors of rerr (a diag.List) at the
// file and line of the evaluation error err's primary position, or nil.
func explaining(rerr, err error) error {
	var l diag.List
	if !errors.As(rerr, &l) {
		return nil
	}
	var at diag.Pos
	var d *diag.Diagnostic
	var el diag.List
	switch {
	case errors.As(err, &d):
		at = d.Primary().Pos
	case errors.As(err, &el) && len(el) > 0:
		at = el[0].Primary().Pos
	default:
		return nil
	}
	var out diag.List
	for _, r := range l {
		if p := r.Primary().Pos; at.File != "" && p.File == at.File && p.Line == at.Line {
			out = append(out, r)
		}
	}
	return out.Err()
}

// addBacktrace gives a runtime error without backtrace (-d) a single
// kcl_main frame at its primary position, until the evaluator records
// frames of its own.
func addBacktrace(err error) {
	var d *diag.Diagnostic
	if !errors.As(err, &d) || d.Kind != diag.EvaluationError || len(d.Backtrace) > 0 {
		return
	}
	if p := d.Primary().Pos; p.File != "" && p.Line > 0 {
		d.Backtrace = []diag.Pos{p}
	}
}

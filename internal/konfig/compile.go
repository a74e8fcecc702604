package konfig

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/eval"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/kclrun"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/override"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// Program is the KCL program of a stack as an Evaluator runs it: the files
// of the main package in order, the module root, and the options.
type Program struct {
	// Files are absolute paths, in order; they form one main package.
	Files []string
	// WorkDir is the stack directory.
	WorkDir string
	// ModRoot is the directory of kcl.mod (${KCL_MOD}, root of imports).
	ModRoot string
	// Root is the sandbox root: every file the evaluation touches lies
	// beneath it ("" = ModRoot).
	Root string
	// Policy is the sandbox policy of the evaluation: what file.* may
	// write and which variables read_env sees. The zero value denies
	// writes and every variable.
	Policy sandbox.Policy `json:"-"`
	// Options are the settings files' kcl_options then the `-D` arguments,
	// in order (for a repeated key the last value wins).
	Options []kclrun.Option
	// Overlay maps absolute paths to contents that replace the files on disk
	// (an editor's unsaved buffers).
	Overlay map[string][]byte
	// DisableNone drops None values from the output (`-n`).
	DisableNone bool
	// Resolve says when the resolver runs (see kclrun.ResolveMode):
	// ResolveOnError unless CompileOptions.StrictResolve.
	Resolve kclrun.ResolveMode `json:"-"`
	// Cache, when set, keeps parsed files between compiles (an editor's
	// repeated evaluations, CompileAll's stacks sharing a model library);
	// the resolver and the evaluator share it.
	Cache *eval.Cache `json:"-"`
	// MaxMemory is the evaluation's memory budget (eval.Config.MaxMemory:
	// 0 = 256 MiB, < 0 = no bound).
	MaxMemory int64 `json:",omitempty"`
}

// Evaluator runs a Program and returns its YAML output: the documents of
// manifests.yaml_stream, or the program's top-level YAML when it does not
// call it. Errors should carry diagnostics (diag.List or *diag.Diagnostic)
// so that callers can print positions.
type Evaluator interface {
	Evaluate(ctx context.Context, p *Program) ([]byte, error)
}

// EvaluatorFunc adapts a function to the Evaluator interface.
type EvaluatorFunc func(ctx context.Context, p *Program) ([]byte, error)

// Evaluate calls f.
func (f EvaluatorFunc) Evaluate(ctx context.Context, p *Program) ([]byte, error) { return f(ctx, p) }

// CompileOptions tune Compile; the zero value compiles as Kusion does.
type CompileOptions struct {
	// Args are extra `-D key=value` options.
	Args []string
	// Overrides are `-O` override specs (path=value, path-) applied to the
	// stack's main package, as `kcl run -O` does (package override).
	Overrides []string
	// Overlay maps absolute paths to unsaved contents.
	Overlay map[string][]byte
	// Evaluator runs the KCL program; nil uses NewKCLEvaluator().
	Evaluator Evaluator
	// StrictResolve resolves before evaluating and stops at the
	// resolver's errors, as KCL 0.11 does. By default the resolver runs
	// only when the evaluation fails, to report a static error instead of
	// the evaluator's (kclrun.ResolveOnError): the 2023 Konfig models were
	// written for a compiler without those checks (they call
	// RDSAccountRender with one of its two arguments), and 26 of its 28
	// stacks would not compile.
	StrictResolve bool
	// EvalOnly evaluates without the resolver, even on failure
	// (kclrun.ResolveNever): for the language server, which resolves the
	// open files itself and publishes the resolver's diagnostics apart.
	EvalOnly bool
	// Cache keeps parsed files between compiles; nil parses every file.
	Cache *eval.Cache `json:"-"`
	// Policy is the sandbox policy of the evaluation (see Program.Policy).
	// The zero value is read-only with no environment: file.write and
	// friends fail with an EvaluationError giving DenyReason (default
	// DefaultDenyReason).
	Policy sandbox.Policy
	// KeepEmptyLists keeps keys whose value is an empty list in the
	// resources the KCL program renders. Kusion's compiler (kclvm 0.4, which
	// made the corpus goldens: none of their KCL-rendered resources holds an
	// empty list, while the models produce `volumeMounts: []`) leaves them
	// out, so by default they are dropped, as in Kusion. CRD files are
	// never changed.
	KeepEmptyLists bool
	// Timeout bounds the stack's evaluation, output included (0: only
	// ctx's bound). Past it Compile fails with the EvaluationError
	// "evaluation timed out: time limit of … exceeded". CompileAll applies
	// it to each stack.
	Timeout time.Duration
	// MaxMemory is the evaluation's memory budget (eval.Config.MaxMemory:
	// 0 = 256 MiB, < 0 = no bound); past it Compile fails with the
	// EvaluationError "memory budget exceeded: …".
	MaxMemory int64
}

// dropEmptyLists removes, at every level of maps, the keys whose value is
// an empty list.
func dropEmptyLists(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if l, ok := e.([]any); ok && len(l) == 0 {
				delete(x, k)
				continue
			}
			x[k] = dropEmptyLists(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = dropEmptyLists(e)
		}
		return x
	}
	return v
}

// Program returns the KCL program that compiles the stack: its files, and
// its options followed by the `-D` arguments of opts. A malformed argument
// is a diagnostic error.
func (s *Stack) Program(opts CompileOptions) (*Program, error) {
	p := &Program{
		Files:       append([]string(nil), s.Files...),
		WorkDir:     s.Dir,
		ModRoot:     s.ModRoot,
		Options:     append([]kclrun.Option(nil), s.kclOptions...),
		Overlay:     opts.Overlay,
		DisableNone: s.DisableNone,
		Resolve:     kclrun.ResolveOnError,
		Cache:       opts.Cache,
		Root:        s.Root,
		Policy:      opts.Policy,
		MaxMemory:   opts.MaxMemory,
	}
	switch {
	case opts.StrictResolve:
		p.Resolve = kclrun.ResolveFirst
	case opts.EvalOnly:
		p.Resolve = kclrun.ResolveNever
	}
	if !p.Policy.AllowWrites && p.Policy.DenyReason == "" {
		p.Policy.DenyReason = DefaultDenyReason
	}
	for _, a := range opts.Args {
		o, err := kclrun.ParseArgument(a)
		if err != nil {
			return nil, fmt.Errorf("argument %q: %w", a, err)
		}
		p.Options = append(p.Options, o)
	}
	if len(opts.Overrides) > 0 {
		overlay, err := s.overridden(opts.Overrides, opts.Overlay)
		if err != nil {
			return nil, err
		}
		p.Overlay = overlay
	}
	return p, nil
}

// overridden returns overlay with the stack's main files rewritten by the
// -O specs.
func (s *Stack) overridden(raw []string, overlay map[string][]byte) (map[string][]byte, error) {
	fsys, err := s.Sandbox(sandbox.Policy{DenyReason: "overrides only read the stack's files"})
	if err != nil {
		return nil, err
	}
	defer fsys.Close()
	return override.Overlay(raw, s.Files, overlay, fsys.ReadFile)
}

// DefaultDenyReason explains a refused write when CompileOptions.Policy
// gives no reason.
const DefaultDenyReason = "compiling a stack evaluates read-only"

// compileError is an error of Compile: the stack directory and the cause.
type compileError struct {
	dir string
	err error
}

func (e *compileError) Error() string { return "compile stack " + e.dir + ": " + e.err.Error() }
func (e *compileError) Unwrap() error { return e.err }

// Compile compiles the stack into its spec: it evaluates the stack's files
// as one main package, turns each document of the output stream into a
// resource, and appends the YAML files of the project's `crd/` directory.
// An evaluation error is returned wrapped, so errors.As finds the
// evaluator's diagnostics.
func Compile(ctx context.Context, st *Stack, opts CompileOptions) (*spec.Spec, error) {
	ev := opts.Evaluator
	if ev == nil {
		ev = NewKCLEvaluator()
	}
	prog, err := st.Program(opts)
	if err != nil {
		return nil, &compileError{dir: st.Dir, err: err}
	}
	ectx, cancel := eval.WithTimeout(ctx, opts.Timeout)
	out, err := ev.Evaluate(ectx, prog)
	cancel()
	if err == nil {
		err = checkOutputSize(prog, out)
	}
	if err != nil {
		return nil, &compileError{dir: st.Dir, err: err}
	}
	res, err := ResourcesFromStream(out)
	if err != nil {
		return nil, &compileError{dir: st.Dir, err: fmt.Errorf("output: %w", err)}
	}
	if !opts.KeepEmptyLists {
		for i := range res {
			res[i].Attributes = dropEmptyLists(res[i].Attributes).(map[string]any)
		}
	}
	if st.Project != nil {
		fsys, err := st.Sandbox(sandbox.Policy{DenyReason: "CRD files are only read"})
		if err != nil {
			return nil, &compileError{dir: st.Dir, err: err}
		}
		crds, err := CRDResourcesFS(fsys, filepath.Join(st.Project.Dir, CRDDir))
		fsys.Close()
		if err != nil {
			return nil, &compileError{dir: st.Dir, err: err}
		}
		res = append(res, crds...)
	}
	return &spec.Spec{Resources: res}, nil
}

// bytesPerOutputLine is what reading one line of a stack's output costs in
// memory: decoding the YAML into Go values, turning them into resources and
// printing them again take about 1 KiB per line for a long list of numbers
// (measured), counted twice for safety.
const bytesPerOutputLine = 2048

// checkOutputSize bounds the output of a stack's evaluation before it is
// read: the evaluation's memory budget bounds what it builds, and its
// output (printed in block style, a value per line) may have at most one
// line per bytesPerOutputLine of that budget — 131072 lines for the
// default 256 MiB, where the largest corpus stack prints 3617. Past it the
// error is an EvaluationError at the program's last file (the one that
// prints the stream, in Konfig).
func checkOutputSize(p *Program, out []byte) error {
	budget := p.MaxMemory
	if budget < 0 {
		return nil
	}
	if budget == 0 {
		budget = value.DefaultMaxMemory
	}
	limit := budget / bytesPerOutputLine
	lines := int64(bytes.Count(out, []byte{'\n'}))
	if lines <= limit {
		return nil
	}
	var pos diag.Pos
	if len(p.Files) > 0 {
		pos = diag.Pos{File: p.Files[len(p.Files)-1], Line: 1}
	}
	return diag.New(diag.EvaluationError, pos,
		"memory budget exceeded: the output has %d lines, more than the %d that the memory budget of %s allows reading (see --max-memory)",
		lines, limit, value.FormatBytes(budget))
}

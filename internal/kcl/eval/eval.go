// Package eval evaluates KCL programs: it parses the main-package files and
// the packages they import, evaluates top-level statements lazily (a read
// sees a variable's final value), instantiates schemas with their config
// operators, inheritance, mixins, decorators and checks, and returns the
// top-level output value of the main package, ready for planning and
// printing by package value.
//
// Use Run with a Config:
//
//	res, err := eval.Run(ctx, eval.Config{Files: []string{"main.k"}, WorkDir: dir})
//
// err is a *diag.Diagnostic or a diag.List carrying KCL's error kinds and
// messages.
//
// Every file the run touches (sources, imported packages, file.*) and every
// environment variable read_env sees go through Config.Sandbox; without one
// Run opens a read-only sandbox at the module root.
package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// Option is one option() value (-D key=value or a settings-file kcl_options
// entry).
type Option struct {
	Key   string
	Value value.Value
}

// Config describes one evaluation.
type Config struct {
	Files       []string          // main-package files in order (paths as given; resolve against WorkDir)
	Overlay     map[string][]byte // file contents overriding the disk, keyed by absolute path; may be nil
	WorkDir     string            // working directory (default os.Getwd)
	ModRoot     string            // module root: dir of the nearest kcl.mod; "" = loader.ModRoot(Files, WorkDir), as kcl run
	Options     []Option          // option() values in order; the last value of a key wins
	External    map[string]string // -E name=path external packages (kcl.mod's path dependencies complete them)
	StrictRange bool              // -r
	Debug       bool              // -d
	Stdout      io.Writer         // print() output (nil = discard)
	MaxDepth    int               // recursion bound (0 = default)
	MaxOutput   int               // bound on built list/str sizes (0 = default)
	// MaxMemory bounds the bytes of the values the evaluation builds,
	// counted as they are built (lists, dicts, strings, schema instances,
	// copies, unions, decoded documents, encoded text; see value.Budget):
	// a structure shared by several values counts once per copy and per
	// output of it, as if expanded. 0 means value.DefaultMaxMemory
	// (256 MiB), a negative value no bound. Exceeding it is an
	// EvaluationError "memory budget exceeded: …".
	MaxMemory int64
	// Cache, when set, shares parsed files between runs and with the
	// resolver (it is the loader's parse cache, keyed by path and content
	// hash); nil parses every file once per run.
	Cache *Cache
	// Sandbox is the door to the file system and the environment: source
	// files, imported packages, file.* and read_env go through it (the
	// Overlay is consulted first). nil opens a read-only sandbox at ModRoot
	// for the run (writes denied, no environment variables).
	Sandbox *sandbox.FS
}

// defaultDenyReason explains a refused write when Run opened the sandbox.
const defaultDenyReason = "this evaluation is read-only (no sandbox policy allows writes)"

// Cache is the loader's parse cache (package loader), shared with the
// resolver and the server. It is safe for concurrent use.
type Cache = loader.Cache

// NewCache returns an empty, bounded parse cache (loader.NewCache).
func NewCache() *Cache { return loader.NewCache() }

// Result is the outcome of a successful evaluation.
type Result struct {
	// Value is the top-level output of the main package, not yet planned:
	// hidden (`_x`) and Undefined values are still in.
	Value *value.Dict
	// Scalar is set when the program's output is a non-dict top-level
	// expression value (for example a bare list or number); Value is then
	// empty.
	Scalar value.Value
	// Stream is non-nil when manifests.yaml_stream replaced the whole output.
	Stream *string
	// Files are the parsed main-package files.
	Files []*syntax.File
	// Budget is the evaluation's memory budget, bound to Run's ctx.
	// Callers that plan or encode Value, Scalar or Stream pass it in
	// value.PlanOptions / YAMLOptions / JSONOptions, so that the output
	// (where shared structure is expanded) counts against the same budget
	// and stops with ctx, and then check BudgetErr.
	Budget *value.Budget
}

// BudgetErr returns nil while r.Budget holds, and otherwise the
// EvaluationError (at the first main-package file) saying which budget
// ended the output: memory, time limit or cancellation.
func (r *Result) BudgetErr(ctx context.Context) error {
	err := r.Budget.Err()
	if err == nil {
		return nil
	}
	var pos diag.Pos
	if len(r.Files) > 0 {
		pos = diag.Pos{File: r.Files[0].Filename, Line: 1}
	}
	return diag.New(diag.EvaluationError, pos, "%s", stopMessage(ctx, err))
}

// TimeoutError is the cause (context.Cause) of a context made by
// WithTimeout when its time limit is reached.
type TimeoutError struct {
	// Limit is the time limit.
	Limit time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("time limit of %s exceeded", e.Limit)
}

// Is makes errors.Is(err, context.DeadlineExceeded) hold.
func (e *TimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// WithTimeout returns ctx bounded to d (d <= 0: only ctx's own bound),
// whose cause, once d has passed, is a *TimeoutError: an evaluation under
// it fails with "evaluation timed out: time limit of 1m0s exceeded (see
// --timeout)".
func WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, d, &TimeoutError{Limit: d})
}

// stopMessage is the text of the EvaluationError of an evaluation stopped
// by err: its memory budget, or ctx (time limit, cancellation).
func stopMessage(ctx context.Context, err error) string {
	var be *value.BudgetError
	if errors.As(err, &be) {
		return be.Error() + " (see --max-memory)"
	}
	cause := context.Cause(ctx)
	if cause == nil {
		cause = err
	}
	var te *TimeoutError
	switch {
	case errors.As(cause, &te):
		return "evaluation timed out: " + te.Error() + " (see --timeout)"
	case errors.Is(cause, context.DeadlineExceeded):
		return "evaluation timed out: " + cause.Error()
	}
	return "evaluation cancelled: " + cause.Error()
}

const (
	defaultMaxDepth  = 2000
	defaultMaxOutput = 10_000_000
)

// Run evaluates the program described by cfg.
func Run(ctx context.Context, cfg Config) (res *Result, err error) {
	if cfg.WorkDir == "" {
		wd, werr := os.Getwd()
		if werr != nil {
			return nil, fmt.Errorf("eval: working directory: %w", werr)
		}
		cfg.WorkDir = wd
	}
	if !filepath.IsAbs(cfg.WorkDir) {
		if abs, aerr := filepath.Abs(cfg.WorkDir); aerr == nil {
			cfg.WorkDir = abs
		}
	}
	if cfg.ModRoot == "" {
		inputs := make([]string, len(cfg.Files))
		for i, f := range cfg.Files {
			inputs[i] = f
			if !filepath.IsAbs(f) {
				inputs[i] = filepath.Join(cfg.WorkDir, f)
			}
		}
		cfg.ModRoot = loader.ModRoot(inputs, cfg.WorkDir)
	}
	if cfg.MaxDepth <= 0 {
		cfg.MaxDepth = defaultMaxDepth
	}
	if cfg.MaxOutput <= 0 {
		cfg.MaxOutput = defaultMaxOutput
	}
	if cfg.Sandbox == nil {
		fsys, serr := sandbox.Open(cfg.ModRoot, sandbox.Policy{DenyReason: defaultDenyReason})
		if serr != nil {
			return nil, fmt.Errorf("eval: %w", serr)
		}
		defer fsys.Close()
		cfg.Sandbox = fsys
	}
	if cfg.MaxMemory == 0 {
		cfg.MaxMemory = value.DefaultMaxMemory
	}
	cfg.External = loader.WithDependencies(cfg.Sandbox, cfg.ModRoot, cfg.External)
	e := newEvaluator(ctx, cfg)
	defer func() {
		if r := recover(); r != nil {
			res = nil
			err = e.recovered(r)
		}
	}()
	return e.run()
}

// kclError is the panic payload that carries a diagnostic up the stack.
type kclError struct{ d *diag.Diagnostic }

func (e *evaluator) recovered(r any) error {
	err := e.recovered1(r)
	if len(e.pending) == 0 {
		return err
	}
	l := append(diag.List{}, e.pending...)
	switch x := err.(type) {
	case *diag.Diagnostic:
		l = append(l, x)
	case diag.List:
		l = append(l, x...)
	}
	return l
}

func (e *evaluator) recovered1(r any) error {
	switch x := r.(type) {
	case kclError:
		if e.cfg.Debug && x.d.Kind == diag.EvaluationError && len(x.d.Messages) > 0 && len(x.d.Backtrace) == 0 {
			x.d.Backtrace = []diag.Pos{x.d.Messages[0].Pos}
		}
		return x.d
	case diag.List:
		return x
	}
	if re, ok := r.(error); ok && isStackOverflow(re) {
		return diag.New(diag.EvaluationError, e.pos, "maximum recursion depth exceeded")
	}
	slog.Error("kcl evaluator panic", "panic", r, "stack", string(debug.Stack()))
	return diag.New(diag.EvaluationError, e.pos, "internal error: %v", r)
}

func isStackOverflow(err error) bool { return strings.Contains(err.Error(), "stack overflow") }

// evaluator holds the state of one Run.
type evaluator struct {
	ctx     context.Context
	cfg     Config
	budget  *value.Budget
	arith   value.ArithOptions
	stdout  io.Writer
	pkgs    map[string]*pkg // by package path
	ld      *loader.Loader  // finds and parses packages
	parsed  map[string]*syntax.File
	main    *pkg
	stream  *string
	depth   int
	steps   int
	pos     diag.Pos // position of the last statement started (for internal errors)
	options map[string]value.Value
	// instances records completed schema instances per definition.
	instances []instRecord
	builtins  map[string]value.Value
	sysmods   map[string]*module
	curFile   string
	inSchema  int // depth of schema bodies being run
	// stmtFile/stmtNode are the statement being run (for errors raised
	// without a better position).
	stmtFile *syntax.File
	stmtNode syntax.Node
	// convDetail explains the last failed dict-to-schema conversion.
	convDetail string
	// pending are definition errors found while setting packages up; they
	// are reported with (before) any evaluation error.
	pending diag.List
	// resolveStack is the chain of schemas whose parents are being resolved.
	resolveStack []*schemaDef
}

type instRecord struct {
	def *schemaDef
	v   *value.Schema
	pkg string
}

func newEvaluator(ctx context.Context, cfg Config) *evaluator {
	e := &evaluator{
		ctx:     ctx,
		cfg:     cfg,
		budget:  value.NewBudget(ctx, cfg.MaxMemory),
		arith:   value.ArithOptions{StrictRange: cfg.StrictRange, Debug: cfg.Debug},
		stdout:  cfg.Stdout,
		pkgs:    map[string]*pkg{},
		parsed:  map[string]*syntax.File{},
		ld:      newLoader(cfg),
		options: map[string]value.Value{},
		sysmods: map[string]*module{},
	}
	e.arith.Budget = e.budget
	if e.stdout == nil {
		e.stdout = io.Discard
	}
	for _, o := range cfg.Options {
		e.options[o.Key] = o.Value
	}
	e.builtins = e.makeBuiltins()
	return e
}

// fail panics with a diagnostic of kind at the node's position. Runtime
// errors carry no column, as KCL prints them.
func (e *evaluator) fail(kind diag.Kind, f *syntax.File, n syntax.Node, format string, args ...any) {
	panic(kclError{e.diagAt(kind, f, n, false, format, args...)})
}

// failCol is like fail but keeps the column (compile-style errors).
func (e *evaluator) failCol(kind diag.Kind, f *syntax.File, n syntax.Node, format string, args ...any) {
	panic(kclError{e.diagAt(kind, f, n, true, format, args...)})
}

func (e *evaluator) diagAt(kind diag.Kind, f *syntax.File, n syntax.Node, col bool, format string, args ...any) *diag.Diagnostic {
	return &diag.Diagnostic{Kind: kind, Messages: []diag.Message{{Pos: nodePos(f, n, col), Text: fmt.Sprintf(format, args...)}}}
}

func nodePos(f *syntax.File, n syntax.Node, col bool) diag.Pos {
	if f == nil {
		return diag.Pos{}
	}
	if n == nil {
		return diag.Pos{File: f.Filename, Line: 1, Offset: -1}
	}
	p := f.DiagPos(n.Pos())
	if !col {
		p.Col = 0
	}
	return p
}

// check panics with an EvaluationError for a non-nil err from a value
// operation.
func (e *evaluator) check(err error, f *syntax.File, n syntax.Node) {
	if err == nil {
		return
	}
	if e.budget.Err() != nil {
		e.stopped(f, n)
	}
	var ke *kclErr
	if errors.As(err, &ke) {
		panic(kclError{ke.d})
	}
	e.fail(diag.EvaluationError, f, n, "%s", err.Error())
}

// charge counts n bytes built against the memory budget, failing at the
// node when it is spent (or the context is done).
func (e *evaluator) charge(n int64, f *syntax.File, node syntax.Node) {
	if !e.budget.Charge(n) {
		e.stopped(f, node)
	}
}

// checkBudget fails at the node when the budget stopped a value operation
// (a copy, a plan, an encoding).
func (e *evaluator) checkBudget(f *syntax.File, node syntax.Node) {
	if e.budget.Err() != nil {
		e.stopped(f, node)
	}
}

// stopped fails with the EvaluationError of the budget's error, at the
// node or else at the statement being run.
func (e *evaluator) stopped(f *syntax.File, node syntax.Node) {
	if f == nil {
		f, node = e.stmtFile, e.stmtNode
	}
	e.fail(diag.EvaluationError, f, node, "%s", stopMessage(e.ctx, e.budget.Err()))
}

// copy is value.CopyCounted under the budget.
func (e *evaluator) copy(v value.Value, f *syntax.File, node syntax.Node) value.Value {
	switch v.(type) {
	case *value.List, *value.Dict, *value.Schema:
	default:
		return v
	}
	c := value.CopyCounted(v, e.budget)
	e.checkBudget(f, node)
	return c
}

// kclErr wraps a diagnostic as an error (for errors crossing value.Func).
type kclErr struct{ d *diag.Diagnostic }

func (k *kclErr) Error() string { return k.d.Error() }

// tick is called in loops and calls: it enforces the context and the depth
// bound.
func (e *evaluator) tick(f *syntax.File, n syntax.Node) {
	e.steps++
	if e.steps&1023 == 0 {
		if err := e.ctx.Err(); err != nil {
			e.fail(diag.EvaluationError, f, n, "%s", stopMessage(e.ctx, err))
		}
	}
}

func (e *evaluator) enter(f *syntax.File, n syntax.Node) {
	e.depth++
	if e.depth > e.cfg.MaxDepth {
		e.depth = 0
		e.fail(diag.EvaluationError, f, n, "maximum recursion depth exceeded (%d)", e.cfg.MaxDepth)
	}
	e.tick(f, n)
}

func (e *evaluator) leave() { e.depth-- }

func (e *evaluator) checkSize(n int, f *syntax.File, node syntax.Node) {
	if n > e.cfg.MaxOutput {
		e.fail(diag.EvaluationError, f, node, "value too large: %d elements exceed the output bound %d", n, e.cfg.MaxOutput)
	}
}

// abs resolves p against the working directory.
func (e *evaluator) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(e.cfg.WorkDir, p)
}

// newLoader returns the loader of a run: imports beneath the module root
// and the external packages (relative paths against the working
// directory), files through the overlay then the sandbox.
func newLoader(cfg Config) *loader.Loader {
	l := &loader.Loader{Root: cfg.ModRoot, FS: cfg.Sandbox, Overlay: loader.Buffers(cfg.Overlay), Cache: cfg.Cache}
	if len(cfg.External) > 0 {
		l.External = make(map[string]string, len(cfg.External))
		for name, dir := range cfg.External {
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(cfg.WorkDir, dir)
			}
			l.External[name] = filepath.Clean(dir)
		}
	}
	return l
}

// parse parses path once per Run (through the loader's cache, across
// runs); a file with syntax errors is an error carrying them.
func (e *evaluator) parse(path string) (*syntax.File, error) {
	if f, ok := e.parsed[path]; ok {
		return f, nil
	}
	pf, err := e.ld.Parse(path)
	if err != nil {
		return nil, err
	}
	if len(pf.Diags) > 0 {
		return pf.AST, diag.List(pf.Diags)
	}
	e.parsed[path] = pf.AST
	return pf.AST, nil
}

func (e *evaluator) run() (*Result, error) {
	var files []*syntax.File
	var errs diag.List
	for _, name := range e.cfg.Files {
		path := e.abs(name)
		st, err := e.cfg.Sandbox.Stat(path)
		if _, ok := e.cfg.Overlay[path]; !ok && err == nil && st.IsDir() {
			names, _, derr := e.cfg.Cache.Sources(e.cfg.Sandbox, path)
			if derr != nil {
				return nil, diag.New(diag.CompileError, diag.Pos{File: path}, "read package dir: %v", derr)
			}
			for _, n := range names {
				k := filepath.Join(path, n)
				f, perr := e.parse(k)
				if perr != nil {
					errs = append(errs, asDiags(perr, k)...)
					continue
				}
				files = append(files, f)
			}
			continue
		}
		f, perr := e.parse(path)
		if perr != nil {
			errs = append(errs, asDiags(perr, path)...)
			continue
		}
		files = append(files, f)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	p := e.newPkg("__main__", files, true)
	e.main = p
	e.evalPkg(p)
	if len(e.pending) > 0 {
		return nil, e.pending
	}
	res := &Result{Files: files, Stream: e.stream, Budget: e.budget}
	res.Value, res.Scalar = e.output(p)
	return res, nil
}

func asDiags(err error, path string) diag.List {
	var l diag.List
	if errors.As(err, &l) {
		return l
	}
	var d *diag.Diagnostic
	if errors.As(err, &d) {
		return diag.List{d}
	}
	var refused *sandbox.Error
	if errors.As(err, &refused) {
		// No file position: the renderer must not read the refused file
		// to show a source line.
		return diag.List{diag.New(diag.CompileError, diag.Pos{}, "%v", refused)}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return diag.List{diag.New(diag.CannotFindModule, diag.Pos{File: path, Line: 1}, "Cannot find the module %s", path)}
	}
	return diag.List{diag.New(diag.CompileError, diag.Pos{File: path, Line: 1}, "%v", err)}
}

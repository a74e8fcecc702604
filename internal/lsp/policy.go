package lsp

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/eval"
	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// stacks caches the Konfig repositories of the workspace roots (each with
// its include index, kept up to date by file events) and the last compile of
// the stacks of open files.
type stacks struct {
	mu    sync.Mutex
	repos map[string]*konfig.Repo // by root
	// discovering serializes discoveries, outside mu: a walk of a large
	// tree does not hold up the evaluations' bookkeeping.
	discovering sync.Mutex
	// results holds the last compile of each stack of interest (one that
	// lists an open file), keyed by stack dir; the others' are dropped once
	// published (pruneResults).
	results map[string]*stackResult
	// units caches the unit of each file; dropped when the repository
	// model changes.
	units map[string]unit
	// evalCache keeps parsed files between evaluations.
	evalCache *eval.Cache
	// inflight holds the evaluation under way of each stack, so that a
	// request and a worker asking for the same stack and snapshot share one.
	inflight map[string]*flight
	// stored is closed (and replaced) whenever a result is stored in
	// results: hovers waiting for a stack's preview watch it.
	stored chan struct{}
}

// flight is one evaluation under way; r is set (nil when it was cancelled)
// before done is closed.
type flight struct {
	snapID uint64
	done   chan struct{}
	r      *stackResult
}

// stackResult is one compile of a stack against one snapshot.
type stackResult struct {
	snapID uint64
	stack  *konfig.Stack
	spec   *spec.Spec
	err    error
	// budget, when set, says which budget stopped the evaluation (time,
	// memory, file size): the stack gets this one diagnostic, on its
	// entry file.
	budget string
}

// repos returns the Konfig repositories of the snapshot's roots,
// discovering them on first use (one discovery at a time, without holding
// the stacks' lock).
func (s *server) repos(ctx context.Context, snap *snapshot) []*konfig.Repo {
	st := &s.stacks
	var out []*konfig.Repo
	for _, root := range snap.roots {
		st.mu.Lock()
		r, ok := st.repos[root]
		st.mu.Unlock()
		if !ok {
			r, ok = s.discover(ctx, root)
			if !ok {
				continue // cancelled: try again on the next run
			}
		}
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

// discover discovers the repository at root and keeps it (nil when it
// cannot be discovered); false when ctx was cancelled first.
func (s *server) discover(ctx context.Context, root string) (*konfig.Repo, bool) {
	st := &s.stacks
	st.discovering.Lock()
	defer st.discovering.Unlock()
	st.mu.Lock()
	r, ok := st.repos[root]
	st.mu.Unlock()
	if ok {
		return r, true // discovered while this one waited
	}
	start := time.Now()
	r, err := konfig.Discover(ctx, root)
	switch {
	case ctx.Err() != nil:
		return nil, false
	case err != nil:
		s.log.Warn("discover stacks", "root", root, "error", err)
		r = nil
	default:
		s.log.Debug("stacks discovered", "root", root, "stacks", len(r.Stacks), "elapsed", time.Since(start))
	}
	st.mu.Lock()
	if st.repos == nil {
		st.repos = map[string]*konfig.Repo{}
	}
	st.repos[root] = r
	st.mu.Unlock()
	return r, true
}

// forgetRepos drops the discovered repositories (a project, stack or
// settings file changed on disk): the next query discovers them again.
func (s *server) forgetRepos() {
	s.stacks.mu.Lock()
	defer s.stacks.mu.Unlock()
	s.stacks.repos = nil
	s.stacks.units = nil
}

// refreshIndex brings the include index of every repository up to date
// with paths as snap sees them (an open buffer, else the disk): only their
// own imports are read again (konfig.Repo.FilesChanged).
func (s *server) refreshIndex(ctx context.Context, snap *snapshot, paths ...string) {
	for _, r := range s.repos(ctx, snap) {
		var under []string
		for _, p := range paths {
			if isUnder(p, r.Root) {
				under = append(under, p)
			}
		}
		if len(under) == 0 {
			continue
		}
		if err := r.FilesChanged(ctx, under, s.sandboxedRead(snap, r.Root)); err != nil && ctx.Err() == nil {
			s.log.Warn("include index", "paths", under, "error", err)
		}
	}
}

// stacksIncluding returns the stacks whose compile reads path, honouring
// the `stacks` setting, from the repositories' include indexes (built on
// first use).
func (s *server) stacksIncluding(ctx context.Context, snap *snapshot, path string) []*konfig.Stack {
	s.mu.Lock()
	only := s.settings().Stacks
	s.mu.Unlock()
	var out []*konfig.Stack
	seen := map[string]bool{}
	for _, r := range s.repos(ctx, snap) {
		if !isUnder(path, r.Root) {
			continue
		}
		sts, err := r.StacksIncluding(ctx, path, s.sandboxedRead(snap, r.Root))
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("stacks including", "path", path, "error", err)
			}
			continue
		}
		for _, st := range sts {
			if seen[st.Dir] || !allowedStack(st.Dir, r.Root, only) {
				continue
			}
			seen[st.Dir] = true
			out = append(out, st)
		}
	}
	return out
}

// ofInterest reports whether st is a stack of an open file in snap: one of
// its listed files (its own main.k, its project's base) or settings files
// is open. Such stacks are evaluated at once when a file they read
// changes; the others only on demand (a hover, the checkAffected command).
func ofInterest(snap *snapshot, st *konfig.Stack) bool {
	for _, f := range st.Files {
		if snap.doc(f) != nil {
			return true
		}
	}
	for _, f := range st.Settings {
		if snap.doc(f) != nil {
			return true
		}
	}
	return false
}

// pruneResults drops the kept results (their specs) of the stacks that are
// no longer of interest in snap: memory goes back once their diagnostics
// are published.
func (s *server) pruneResults(snap *snapshot) {
	s.stacks.mu.Lock()
	defer s.stacks.mu.Unlock()
	for dir, r := range s.stacks.results {
		if !ofInterest(snap, r.stack) {
			delete(s.stacks.results, dir)
		}
	}
}

// stackAllowed reports whether the `stacks` setting lets st be evaluated
// for diagnostics.
func (s *server) stackAllowed(ctx context.Context, snap *snapshot, st *konfig.Stack) bool {
	s.mu.Lock()
	only := s.settings().Stacks
	s.mu.Unlock()
	if len(only) == 0 {
		return true
	}
	for _, r := range s.repos(ctx, snap) {
		if isUnder(st.Dir, r.Root) && allowedStack(st.Dir, r.Root, only) {
			return true
		}
	}
	return false
}

func allowedStack(dir, root string, only []string) bool {
	if len(only) == 0 {
		return true
	}
	for _, o := range only {
		if !filepath.IsAbs(o) {
			o = filepath.Join(root, o)
		}
		if filepath.Clean(o) == dir {
			return true
		}
	}
	return false
}

// compileStack compiles st against snap, within the evalTimeoutMs and
// maxFileSize budgets. It reuses the result of the same snapshot, and waits
// for an evaluation of it already under way rather than starting another.
// A cancelled compile (ctx done) returns a result with ctx's error, not
// kept.
func (s *server) compileStack(ctx context.Context, snap *snapshot, st *konfig.Stack) *stackResult {
	if err := s.evaluationAllowed(); err != nil { // workspace trust (trust.go)
		return &stackResult{snapID: snap.id, stack: st, err: err}
	}
	cancelled := func() *stackResult { return &stackResult{snapID: snap.id, stack: st, err: ctx.Err()} }
	for {
		s.stacks.mu.Lock()
		if r := s.stacks.results[st.Dir]; r != nil && r.snapID == snap.id {
			s.stacks.mu.Unlock()
			return r
		}
		if f := s.stacks.inflight[st.Dir]; f != nil && f.snapID == snap.id {
			s.stacks.mu.Unlock()
			select {
			case <-f.done:
				if f.r != nil {
					return f.r
				}
				continue // that one was cancelled: evaluate here
			case <-ctx.Done():
				return cancelled()
			}
		}
		f := &flight{snapID: snap.id, done: make(chan struct{})}
		if s.stacks.inflight == nil {
			s.stacks.inflight = map[string]*flight{}
		}
		s.stacks.inflight[st.Dir] = f
		s.stacks.mu.Unlock()

		r := s.evaluate(ctx, snap, st)

		s.stacks.mu.Lock()
		if s.stacks.inflight[st.Dir] == f {
			delete(s.stacks.inflight, st.Dir)
		}
		if r != nil {
			if s.stacks.results == nil {
				s.stacks.results = map[string]*stackResult{}
			}
			if old := s.stacks.results[st.Dir]; old == nil || old.snapID <= r.snapID {
				s.stacks.results[st.Dir] = r
				if s.stacks.stored != nil {
					close(s.stacks.stored)
					s.stacks.stored = nil
				}
			}
		}
		f.r = r
		s.stacks.mu.Unlock()
		close(f.done)
		if r == nil {
			return cancelled()
		}
		return r
	}
}

// defaultPreviewWait is how long a hover waits for its stack's evaluation
// by default (Options.PreviewWait): hovers answer in under 200 ms.
const defaultPreviewWait = 100 * time.Millisecond

// previewResult returns the result of st for a hover in snap: the result of
// snap (or of a newer snapshot) when it is there or arrives within
// Options.PreviewWait, with fresh true; else the stack's last result (nil
// when it has none) with fresh false. The evaluation is not run on the
// request's path: the stack is queued on the scheduler's workers, first,
// and the hover waits for it for a bounded time (the stack of an open file
// is usually queued or running already, for its diagnostics).
func (s *server) previewResult(ctx context.Context, snap *snapshot, st *konfig.Stack) (r *stackResult, fresh bool) {
	if err := s.evaluationAllowed(); err != nil { // workspace trust (trust.go)
		return &stackResult{snapID: snap.id, stack: st, err: err}, true
	}
	wait := s.opts.PreviewWait
	if wait == 0 {
		wait = defaultPreviewWait
	}
	if wait < 0 {
		return s.compileStack(ctx, snap, st), true
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	queued := false
	for {
		s.stacks.mu.Lock()
		r := s.stacks.results[st.Dir]
		if s.stacks.stored == nil {
			s.stacks.stored = make(chan struct{})
		}
		stored := s.stacks.stored
		s.stacks.mu.Unlock()
		if r != nil && r.snapID >= snap.id {
			return r, true
		}
		if !queued {
			queued = true
			if s.stackAllowed(ctx, snap, st) {
				s.sched.mu.Lock()
				prio := s.sched.seq + 1 // ahead of every change so far
				s.sched.mu.Unlock()
				s.enqueueStacks([]*konfig.Stack{st}, prio, snap.id)
			} else {
				// A stack the `stacks` setting leaves out gets no
				// diagnostics: evaluate it for the preview only.
				s.goBackground(func(bctx context.Context) { s.compileStack(bctx, snap, st) })
			}
		}
		select {
		case <-stored:
		case <-timer.C:
			return r, false
		case <-ctx.Done():
			return r, false
		}
	}
}

// evaluate compiles st against snap with the server's budgets; nil when
// ctx was cancelled first.
func (s *server) evaluate(ctx context.Context, snap *snapshot, st *konfig.Stack) *stackResult {
	name := stackName(st)
	if err := s.checkSizes(snap, st.Files...); err != nil {
		return &stackResult{snapID: snap.id, stack: st, err: err,
			budget: fmt.Sprintf("Stack %s is not evaluated: %v.", name, err)}
	}
	timeout, memory := s.evalTimeout(), s.maxMemory()
	ectx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sp, err := konfig.Compile(ectx, st, konfig.CompileOptions{EvalOnly: true, Overlay: snap.overlay(), Cache: s.stacks.evalCache,
		Policy: s.evalPolicy(), MaxMemory: memory})
	if ctx.Err() != nil {
		return nil // cancelled: not a result to keep
	}
	timedOut := errors.Is(ectx.Err(), context.DeadlineExceeded)
	return &stackResult{snapID: snap.id, stack: st, spec: sp, err: err, budget: budgetMessage(name, err, timedOut, timeout, memory)}
}

// budgetMessage is the diagnostic of a stack whose evaluation failed with
// err because of a budget: the time limit (timedOut) or the memory budget
// (memory bytes); "" when err is not a budget's.
func budgetMessage(stack string, err error, timedOut bool, timeout time.Duration, memory int64) string {
	switch {
	case err == nil:
		return ""
	case timedOut:
		return fmt.Sprintf("Evaluation of stack %s stopped at the time limit of %s (setting konfig.evalTimeoutMs = %d); "+
			"its policy checks were not run.", stack, timeout, timeout.Milliseconds())
	case strings.Contains(err.Error(), "memory budget"):
		return fmt.Sprintf("Evaluation of stack %s stopped: %s (setting konfig.maxMemory = %d); "+
			"its policy checks were not run.", stack, budgetText(err), memory)
	}
	return ""
}

// budgetText is the text of the KCL diagnostic in err without its kind and
// position ("memory budget exceeded …"), and without a hint at a CLI flag
// ("(see --max-memory)"), which the server does not have.
func budgetText(err error) string {
	msg := firstLine(err.Error())
	var d *diag.Diagnostic
	if errors.As(err, &d) && len(d.Messages) > 0 {
		msg = d.Messages[0].Text
	} else if i := strings.Index(msg, "memory budget"); i >= 0 {
		msg = msg[i:]
	}
	if i := strings.Index(msg, " (see --"); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// stackName is project/stack (the stack's name alone outside a project).
func stackName(st *konfig.Stack) string {
	if st.ProjectName() != "" {
		return st.ProjectName() + "/" + st.Name
	}
	return st.Name
}

// entryFile is the file of st that carries its budget diagnostic: its
// main.k (the last of its own files when it has no main.k).
func entryFile(st *konfig.Stack) string {
	own := ""
	for _, f := range st.Files {
		if filepath.Dir(f) == st.Dir {
			if filepath.Base(f) == "main.k" {
				return f
			}
			own = f
		}
	}
	if own != "" {
		return own
	}
	return filepath.Join(st.Dir, "main.k")
}

// budgetDiagnostics is the one diagnostic of a stack stopped by a budget,
// on its entry file, with where the evaluation stopped as related
// information.
func (s *server) budgetDiagnostics(snap *snapshot, r *stackResult) map[string][]protocol.Diagnostic {
	entry := entryFile(r.stack)
	rng := protocol.Range{}
	if fileSize(snap, entry) <= s.maxFileSize() {
		if t, err := s.sandboxedText(snap, r.stack.Root, entry); err == nil {
			rng = lineRange(t, 1, 0)
		}
	}
	var related []protocol.DiagnosticRelatedInformation
	var tl *tooLargeError
	if r.err != nil && !errors.As(r.err, &tl) {
		read := s.sandboxedRead(snap, r.stack.Root)
		for _, p := range r.stack.ProblemsWith(r.err, read) {
			if p.File == "" || p.Line <= 0 || fileSize(snap, p.File) > s.maxFileSize() {
				continue
			}
			if t, err := s.sandboxedText(snap, r.stack.Root, p.File); err == nil {
				related = append(related, protocol.DiagnosticRelatedInformation{
					Location: protocol.Location{URI: pathURI(p.File), Range: lineRange(t, p.Line, p.Col)},
					Message:  "the evaluation stopped here",
				})
			}
			break
		}
	}
	return map[string][]protocol.Diagnostic{entry: {{
		Range:              rng,
		Severity:           protocol.DiagnosticSeverityError,
		Code:               protocol.String("EvaluationBudget"),
		Source:             protocol.NewOptional("konfig-lsp policy"),
		Message:            protocol.String(r.budget),
		RelatedInformation: related,
	}}}
}

// policyDiagnostics converts a stack's compile error into diagnostics by
// file. A syntax error is left to the syntax layer of its own file.
func (s *server) policyDiagnostics(snap *snapshot, r *stackResult) map[string][]protocol.Diagnostic {
	out := map[string][]protocol.Diagnostic{}
	if r.err == nil || errors.Is(r.err, context.Canceled) || errors.Is(r.err, errUntrusted) {
		return out
	}
	if r.budget != "" {
		return s.budgetDiagnostics(snap, r)
	}
	name := stackName(r.stack)
	for _, p := range r.stack.ProblemsWith(r.err, s.sandboxedRead(snap, r.stack.Root)) {
		if p.Kind == "InvalidSyntax" || p.Kind == "TabError" || p.Kind == "IndentationError" {
			continue
		}
		file := p.File
		if file == "" || p.Line <= 0 {
			continue
		}
		t, err := s.sandboxedText(snap, r.stack.Root, file)
		if err != nil {
			continue
		}
		var related []protocol.DiagnosticRelatedInformation
		for _, rel := range p.Related {
			rt, err := s.sandboxedText(snap, r.stack.Root, rel.File)
			if err != nil || rel.Line <= 0 {
				continue
			}
			related = append(related, protocol.DiagnosticRelatedInformation{
				Location: protocol.Location{URI: pathURI(rel.File), Range: lineRange(rt, rel.Line, max(rel.Col, 1))},
				Message:  rel.Message,
			})
		}
		msg := fmt.Sprintf("%s: %s", p.Kind, p.Message)
		for _, rel := range p.Related {
			if rel.Message != "" && rel.Message != p.Message {
				msg += "\n" + rel.Message
			}
		}
		if !isUnder(file, r.stack.Dir) {
			msg += fmt.Sprintf(" (stack %s)", name)
		}
		code := p.Code
		if p.ID != "" {
			code = string(p.ID)
		}
		out[file] = append(out[file], protocol.Diagnostic{
			Range:              lineRange(t, p.Line, p.Col),
			Severity:           protocol.DiagnosticSeverityError,
			Code:               protocol.String(code),
			Data:               encodeData(nil, file, p.Args, nil),
			Source:             protocol.NewOptional("konfig-lsp policy"),
			Message:            protocol.String(msg),
			RelatedInformation: related,
		})
	}
	return out
}

func isUnder(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !filepath.IsAbs(rel) && (len(rel) < 3 || rel[:3] != "../")
}

// semanticDiagnostics stores the resolver's diagnostics of the open file
// path (its parse errors are the syntax layer's).
func (s *server) semanticDiagnostics(ctx context.Context, snap *snapshot, path string) {
	prog, _, err := s.program(ctx, snap, path)
	if err != nil {
		s.log.Warn("resolve", "path", path, "error", err)
		return
	}
	t := snap.doc(path).text
	var ds []*diag.Diagnostic
	for _, d := range prog.Diagnostics() {
		switch d.Kind {
		case diag.InvalidSyntax, diag.TabError, diag.IndentationError:
			continue
		}
		ds = append(ds, d)
	}
	s.diags.setSemantic(path, toProtocolDiags(t, path, ds, "resolve"))
}

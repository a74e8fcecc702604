package lsp

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/eval"
	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// stacks caches the Konfig repositories of the workspace roots and the last
// compile of each stack.
type stacks struct {
	mu    sync.Mutex
	repos map[string]*konfig.Repo // by root
	// results holds the last compile of each stack, keyed by stack dir.
	results map[string]*stackResult
	// units caches the unit of each file; including caches the stacks
	// that include each file. Both are dropped when the repository model
	// or an import changes.
	units     map[string]unit
	including map[string][]*konfig.Stack
	// evalCache keeps parsed files between evaluations.
	evalCache *eval.Cache
}

// stackResult is one compile of a stack against one snapshot.
type stackResult struct {
	snapID uint64
	stack  *konfig.Stack
	spec   *spec.Spec
	err    error
}

// repos returns the Konfig repositories of the snapshot's roots,
// discovering them on first use.
func (s *server) repos(ctx context.Context, snap *snapshot) []*konfig.Repo {
	st := &s.stacks
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.repos == nil {
		st.repos = map[string]*konfig.Repo{}
	}
	var out []*konfig.Repo
	for _, root := range snap.roots {
		r, ok := st.repos[root]
		if !ok {
			var err error
			r, err = konfig.Discover(ctx, root)
			switch {
			case ctx.Err() != nil:
				// Cancelled: try again on the next run.
				continue
			case err != nil:
				s.log.Warn("discover stacks", "root", root, "error", err)
				r = nil
			}
			st.repos[root] = r
		}
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

// forgetRepos drops the discovered repositories (a project or stack file
// changed on disk).
func (s *server) forgetRepos() {
	s.stacks.mu.Lock()
	defer s.stacks.mu.Unlock()
	s.stacks.repos = nil
	s.stacks.units = nil
	s.stacks.including = nil
}

// forgetIncludes drops the cached "stacks including a file" answers (an
// import changed).
func (s *server) forgetIncludes() {
	s.stacks.mu.Lock()
	defer s.stacks.mu.Unlock()
	s.stacks.including = nil
}

// stacksIncluding returns the stacks whose compile reads path, honouring
// the `stacks` setting.
func (s *server) stacksIncluding(ctx context.Context, snap *snapshot, path string) []*konfig.Stack {
	s.stacks.mu.Lock()
	cached, ok := s.stacks.including[path]
	s.stacks.mu.Unlock()
	if ok {
		return cached
	}
	out := s.findStacksIncluding(ctx, snap, path)
	if ctx.Err() == nil {
		s.stacks.mu.Lock()
		if s.stacks.including == nil {
			s.stacks.including = map[string][]*konfig.Stack{}
		}
		s.stacks.including[path] = out
		s.stacks.mu.Unlock()
	}
	return out
}

func (s *server) findStacksIncluding(ctx context.Context, snap *snapshot, path string) []*konfig.Stack {
	read := func(p string) ([]byte, error) { return snap.readFile(p) }
	s.mu.Lock()
	only := s.settings.Stacks
	s.mu.Unlock()
	var out []*konfig.Stack
	seen := map[string]bool{}
	for _, r := range s.repos(ctx, snap) {
		sts, err := r.StacksIncluding(ctx, path, read)
		if err != nil {
			s.log.Warn("stacks including", "path", path, "error", err)
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

// compileStack compiles st against snap (reusing the result of the same
// snapshot).
func (s *server) compileStack(ctx context.Context, snap *snapshot, st *konfig.Stack) *stackResult {
	if err := s.evaluationAllowed(); err != nil { // workspace trust (trust.go)
		return &stackResult{snapID: snap.id, stack: st, err: err}
	}
	s.stacks.mu.Lock()
	if r := s.stacks.results[st.Dir]; r != nil && r.snapID == snap.id {
		s.stacks.mu.Unlock()
		return r
	}
	s.stacks.mu.Unlock()
	sp, err := konfig.Compile(ctx, st, konfig.CompileOptions{Overlay: snap.overlay(), Cache: s.stacks.evalCache, Policy: s.evalPolicy()})
	r := &stackResult{snapID: snap.id, stack: st, spec: sp, err: err}
	if ctx.Err() != nil {
		return r // cancelled: not a result to keep
	}
	s.stacks.mu.Lock()
	if s.stacks.results == nil {
		s.stacks.results = map[string]*stackResult{}
	}
	s.stacks.results[st.Dir] = r
	s.stacks.mu.Unlock()
	return r
}

// runDiagnostics evaluates every stack that includes one of the changed
// paths and publishes its policy diagnostics (failed checks, asserts,
// runtime errors) at the developer's lines. It returns false when ctx was
// cancelled before it finished.
func (s *server) runDiagnostics(ctx context.Context, snap *snapshot, paths []string) bool {
	for _, p := range paths {
		if snap.doc(p) != nil {
			s.semanticDiagnostics(ctx, snap, p)
		}
	}
	todo := map[string]*konfig.Stack{}
	for _, p := range paths {
		for _, st := range s.stacksIncluding(ctx, snap, p) {
			todo[st.Dir] = st
		}
		if ctx.Err() != nil {
			return false
		}
	}
	dirs := make([]string, 0, len(todo))
	for d := range todo {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	touched := map[string]bool{}
	for _, p := range paths {
		touched[p] = true
	}
	s.log.Debug("diagnostics run", "snapshot", snap.id, "paths", paths, "stacks", dirs)
	for _, d := range dirs {
		r := s.compileStack(ctx, snap, todo[d])
		s.log.Debug("stack compiled", "snapshot", snap.id, "stack", d, "error", r.err)
		if ctx.Err() != nil {
			return false
		}
		for _, p := range s.diags.setPolicy(d, s.policyDiagnostics(snap, r)) {
			touched[p] = true
		}
	}
	for p := range touched {
		if snap.doc(p) != nil || len(s.diags.merged(p)) > 0 {
			s.publish(ctx, snap, p)
		}
	}
	return ctx.Err() == nil
}

// policyDiagnostics converts a stack's compile error into diagnostics by
// file. A syntax error is left to the syntax layer of its own file.
func (s *server) policyDiagnostics(snap *snapshot, r *stackResult) map[string][]protocol.Diagnostic {
	out := map[string][]protocol.Diagnostic{}
	if r.err == nil || errors.Is(r.err, context.Canceled) || errors.Is(r.err, errUntrusted) {
		return out
	}
	stackName := r.stack.Name
	if r.stack.ProjectName() != "" {
		stackName = r.stack.ProjectName() + "/" + r.stack.Name
	}
	for _, p := range r.stack.ProblemsWith(r.err, func(p string) ([]byte, error) { return snap.readFile(p) }) {
		if p.Kind == "InvalidSyntax" || p.Kind == "TabError" || p.Kind == "IndentationError" {
			continue
		}
		file := p.File
		if file == "" || p.Line <= 0 {
			continue
		}
		t, err := snap.textOf(file)
		if err != nil {
			continue
		}
		var related []protocol.DiagnosticRelatedInformation
		for _, rel := range p.Related {
			rt, err := snap.textOf(rel.File)
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
			msg += fmt.Sprintf(" (stack %s)", stackName)
		}
		out[file] = append(out[file], protocol.Diagnostic{
			Range:              lineRange(t, p.Line, p.Col),
			Severity:           protocol.DiagnosticSeverityError,
			Code:               protocol.String(p.Code),
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

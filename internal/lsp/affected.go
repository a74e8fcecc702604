package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
)

// cmdCheckAffected evaluates every stack that reads a file (a model file:
// thousands of stacks in a large Konfig) on the user's demand; an edit
// evaluates only the stacks of open files (schedule.go).
const cmdCheckAffected = "konfig.checkAffected"

// maxRelated bounds the related locations of one grouped diagnostic.
const maxRelated = 50

// affectedRuns holds the checkAffected runs under way, so that
// window/workDoneProgress/cancel (by progress token) and a new run of the
// same file (which supersedes the old one) can stop them.
type affectedRuns struct {
	mu      sync.Mutex
	byToken map[string]context.CancelFunc
	byFile  map[string]context.CancelFunc
	// onStack, when set (tests), is called before each evaluation of a
	// run, with the run's context.
	onStack func(ctx context.Context, dir string)
}

// affectedResult is what checkAffected returns: the commands' title, text
// and summary (commandResult), and the counts.
type affectedResult struct {
	Title     string `json:"title"`
	Text      string `json:"text"`
	File      string `json:"file"`
	Stacks    int    `json:"stacks"`  // stacks that read the file
	Checked   int    `json:"checked"` // evaluated (all of them unless cancelled)
	Failed    int    `json:"failed"`
	Cancelled bool   `json:"cancelled,omitempty"`
	Summary   string `json:"summary"`
}

// WorkDoneProgressCancel answers window/workDoneProgress/cancel: the user
// cancelled a checkAffected run from its progress notification.
func (s *server) WorkDoneProgressCancel(_ context.Context, params *protocol.WorkDoneProgressCancelParams) error {
	a := &s.sched.affected
	a.mu.Lock()
	cancel := a.byToken[fmt.Sprint(params.Token)]
	a.mu.Unlock()
	if cancel != nil {
		s.log.Info("checkAffected cancelled from its progress", "token", fmt.Sprint(params.Token))
		cancel()
	}
	return nil
}

// checkAffectedCommand runs cmdCheckAffected on its argument (a document
// URI or a path).
func (s *server) checkAffectedCommand(ctx context.Context, params *protocol.ExecuteCommandParams) (protocol.LSPAny, error) {
	if len(params.Arguments) != 1 {
		return nil, fmt.Errorf("%s takes one argument (a file URI), got %d", cmdCheckAffected, len(params.Arguments))
	}
	var arg string
	if err := json.Unmarshal(params.Arguments[0], &arg); err != nil {
		return nil, fmt.Errorf("%s: argument: %w", cmdCheckAffected, err)
	}
	path, err := s.argPath(arg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmdCheckAffected, err)
	}
	res, err := s.checkAffected(ctx, path, params.WorkDoneToken)
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}

// checkAffected evaluates every stack that reads path, on at most
// workerLimit workers beside the scheduler's, reporting "N of M stacks"
// through $/progress (cancellable: $/cancelRequest of the command, or
// window/workDoneProgress/cancel). Each stack's policy diagnostics in its
// own files are published as it finishes; those in shared files (the model
// library) are grouped, one diagnostic per location and message with the
// failing stacks as related information, and published as they grow and at
// the end. Only the diagnostics are kept: each stack's spec is dropped once
// converted (the stacks of open files keep theirs, for hover).
func (s *server) checkAffected(ctx context.Context, path string, token protocol.ProgressToken) (*affectedResult, error) {
	if err := s.evaluationAllowed(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	snap := s.session.snapshot()
	s.refreshIndex(ctx, snap, path)
	sts := s.stacksIncluding(ctx, snap, path)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &affectedResult{Title: "Check stacks affected by " + filepath.Base(path), File: path, Stacks: len(sts)}
	a := &s.sched.affected
	a.mu.Lock()
	if a.byToken == nil {
		a.byToken, a.byFile = map[string]context.CancelFunc{}, map[string]context.CancelFunc{}
	}
	if old := a.byFile[path]; old != nil {
		old() // superseded by this run
	}
	a.byFile[path] = cancel
	a.mu.Unlock()
	key := ""
	prog := s.startProgressWith(ctx, token, res.Title, func(t protocol.ProgressToken) {
		key = fmt.Sprint(t)
		a.mu.Lock()
		a.byToken[key] = cancel
		a.mu.Unlock()
	})
	defer func() {
		a.mu.Lock()
		delete(a.byToken, key)
		a.mu.Unlock()
	}()

	groups := newDiagGroups(path)
	var mu sync.Mutex // guards res and groups
	lastReport := time.Time{}
	finish := func(st *konfig.Stack, r *stackResult) {
		byFile := s.policyDiagnostics(snap, r)
		own, shared := splitByOwner(st, byFile)
		keep := own
		if ofInterest(s.session.snapshot(), st) {
			keep = byFile // as the scheduler publishes it
		}
		for _, p := range s.diags.setPolicy(st.Dir, keep) {
			s.publish(ctx, snap, p)
		}
		mu.Lock()
		defer mu.Unlock()
		res.Checked++
		if r.err != nil {
			res.Failed++
		}
		groups.add(st, own, shared)
		if time.Since(lastReport) > 200*time.Millisecond || res.Checked == res.Stacks {
			lastReport = time.Now()
			prog.report(fmt.Sprintf("%d of %d stacks (%d failing)", res.Checked, res.Stacks, res.Failed), uint32(res.Checked*100/max(res.Stacks, 1)))
		}
	}
	jobs := make(chan *konfig.Stack)
	var wg sync.WaitGroup
	for range min(s.workerLimit(), max(len(sts), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for st := range jobs {
				if a.onStack != nil {
					a.onStack(ctx, st.Dir)
				}
				r := s.compileStack(ctx, snap, st)
				if ctx.Err() != nil {
					continue
				}
				finish(st, r)
				s.pruneResults(s.session.snapshot())
			}
		}()
	}
	// Stacks of open files first: their results matter most.
	sort.SliceStable(sts, func(i, j int) bool { return ofInterest(snap, sts[i]) && !ofInterest(snap, sts[j]) })
feed:
	for _, st := range sts {
		select {
		case jobs <- st:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()

	for _, p := range s.diags.setPolicy("affected:"+path, groups.diagnostics()) {
		s.publish(ctx, snap, p)
	}
	res.Cancelled = ctx.Err() != nil
	res.Summary = fmt.Sprintf("%d of %d stacks checked, %d failing", res.Checked, res.Stacks, res.Failed)
	if res.Cancelled {
		res.Summary = "cancelled: " + res.Summary
	}
	res.Text = res.Summary
	prog.end(res.Summary)
	s.log.Info("checkAffected", "file", path, "summary", res.Summary)
	return res, nil
}

// splitByOwner splits a stack's diagnostics by file into those in the
// stack's own files (beneath its project, or its directory without one)
// and those in shared files (the model library).
func splitByOwner(st *konfig.Stack, byFile map[string][]protocol.Diagnostic) (own, shared map[string][]protocol.Diagnostic) {
	root := st.Dir
	if st.Project != nil {
		root = st.Project.Dir
	}
	own, shared = map[string][]protocol.Diagnostic{}, map[string][]protocol.Diagnostic{}
	for f, ds := range byFile {
		if isUnder(f, root) {
			own[f] = ds
		} else {
			shared[f] = ds
		}
	}
	return own, shared
}

// diagGroups gathers, per line of a shared file, the stacks failing there
// (the message is the first stack's): a failure in a stack's own file
// counts at each of its related locations in the checked file (the model's
// check or assert).
type diagGroups struct {
	checked string
	byKey   map[string]*diagGroup
}

type diagGroup struct {
	file    string
	diag    protocol.Diagnostic
	stacks  int
	related []protocol.DiagnosticRelatedInformation
}

func newDiagGroups(checked string) *diagGroups {
	return &diagGroups{checked: checked, byKey: map[string]*diagGroup{}}
}

// add records the failures of st: shared holds its diagnostics in shared
// files, own those in its own files.
func (g *diagGroups) add(st *konfig.Stack, own, shared map[string][]protocol.Diagnostic) {
	name := stackName(st)
	for f, ds := range shared {
		for _, d := range ds {
			msg := strings.TrimSuffix(diagText(d), " (stack "+name+")")
			at := protocol.Location{URI: pathURI(entryFile(st)), Range: protocol.Range{}}
			g.put(f, d.Range, d, msg, protocol.DiagnosticRelatedInformation{Location: at, Message: "stack " + name})
		}
	}
	for f, ds := range own {
		for _, d := range ds {
			for _, rel := range d.RelatedInformation {
				if p, err := uriPath(rel.Location.URI); err != nil || p != g.checked {
					continue
				}
				msg := firstLine(diagText(d))
				if !strings.HasPrefix(rel.Message, "the ") && rel.Message != "" {
					// The failure is at the instance; the related
					// location says what failed (the check's message).
					msg = rel.Message
				}
				g.put(g.checked, rel.Location.Range, d, msg,
					protocol.DiagnosticRelatedInformation{Location: protocol.Location{URI: pathURI(f), Range: d.Range}, Message: "stack " + name})
			}
		}
	}
}

func (g *diagGroups) put(file string, r protocol.Range, d protocol.Diagnostic, msg string, rel protocol.DiagnosticRelatedInformation) {
	key := fmt.Sprintf("%s:%d", file, r.Start.Line)
	e := g.byKey[key]
	if e == nil {
		e = &diagGroup{file: file, diag: protocol.Diagnostic{Range: r, Severity: d.Severity, Code: d.Code,
			Source: protocol.NewOptional("konfig-lsp affected stacks"), Message: protocol.String(msg)}}
		g.byKey[key] = e
	}
	e.stacks++
	if len(e.related) < maxRelated {
		e.related = append(e.related, rel)
	}
}

// diagnostics returns the groups as diagnostics by file: the message says
// how many stacks fail there.
func (g *diagGroups) diagnostics() map[string][]protocol.Diagnostic {
	keys := make([]string, 0, len(g.byKey))
	for k := range g.byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := map[string][]protocol.Diagnostic{}
	for _, k := range keys {
		e := g.byKey[k]
		d := e.diag
		more := ""
		if e.stacks > len(e.related) {
			more = fmt.Sprintf(", %d listed", len(e.related))
		}
		d.Message = protocol.String(fmt.Sprintf("%s\n(fails in %d affected stacks%s)", diagText(e.diag), e.stacks, more))
		d.RelatedInformation = e.related
		out[e.file] = append(out[e.file], d)
	}
	return out
}

// affectedLens is the "Check affected stacks" code lens of a file that is
// not a stack's own file (a model file). Its title counts the stacks when
// the include index is built; the first ask builds it in the background.
func (s *server) affectedLens(ctx context.Context, path string, arg []byte) []protocol.CodeLens {
	snap := s.session.snapshot()
	title := "Check affected stacks"
	known := s.knownRepos(snap)
	ready := len(known) > 0
	for _, r := range known {
		ready = ready && r.IndexReady()
	}
	if ready {
		n := len(s.stacksIncluding(ctx, snap, path))
		if n == 0 {
			return nil
		}
		title = fmt.Sprintf("Check %d affected stacks", n)
	} else {
		s.goBackground(func(bg context.Context) { s.stacksIncluding(bg, snap, path) })
	}
	return []protocol.CodeLens{{Range: lspRange(protocol.Position{}, protocol.Position{}),
		Command: protocol.Command{Title: title, Command: cmdCheckAffected, Arguments: []protocol.LSPAny{arg}}}}
}

// knownRepos returns the repositories of snap's roots already discovered
// (none is discovered here).
func (s *server) knownRepos(snap *snapshot) []*konfig.Repo {
	s.stacks.mu.Lock()
	defer s.stacks.mu.Unlock()
	var out []*konfig.Repo
	for _, root := range snap.roots {
		if r := s.stacks.repos[root]; r != nil {
			out = append(out, r)
		}
	}
	return out
}

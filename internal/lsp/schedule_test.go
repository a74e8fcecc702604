package lsp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
)

// bomb is a top-level statement whose evaluation never ends in practice
// (10^10 iterations of an endless-looking comprehension).
const bomb = "\n_bomb = [i for i in range(100000) for j in range(100000) if False]\n"

// configure pushes settings as workspace/didChangeConfiguration.
func (s *testSession) configure(settings string) {
	s.t.Helper()
	if err := s.server.DidChangeConfiguration(s.ctx, &protocol.DidChangeConfigurationParams{Settings: protocol.LSPAny(settings)}); err != nil {
		s.t.Fatalf("didChangeConfiguration: %v", err)
	}
}

// diagWith reports whether one of ds contains every one of the texts.
func diagWith(texts ...string) func([]protocol.Diagnostic) bool {
	return func(ds []protocol.Diagnostic) bool {
	next:
		for _, d := range ds {
			for _, t := range texts {
				if !strings.Contains(diagText(d), t) {
					continue next
				}
			}
			return true
		}
		return false
	}
}

// events collects the paths a hook is called with and lets tests wait for
// one.
type events struct {
	mu      sync.Mutex
	seen    map[string]int
	changed chan struct{}
}

func newEvents() *events { return &events{seen: map[string]int{}, changed: make(chan struct{})} }

func (e *events) add(p string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seen[p]++
	close(e.changed)
	e.changed = make(chan struct{})
}

func (e *events) count(p string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.seen[p]
}

// wait waits until p was seen n times (a generous guard against hangs, not
// a timing assertion).
func (e *events) wait(t *testing.T, p string, n int) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		e.mu.Lock()
		got, ch := e.seen[p], e.changed
		e.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%s seen %d times, want %d", p, got, n)
		}
	}
}

// TestBombStackDoesNotStarveOthers: a stack whose main.k never finishes
// evaluating does not hold up the policy diagnostics of another stack nor
// the requests, and once its time limit applies it gets one diagnostic on
// its entry file saying so.
func TestBombStackDoesNotStarveOthers(t *testing.T) {
	dir := copyExamples(t)
	var srv *server
	started := newEvents()
	s := startSession(t, dir, Options{Workers: 2, onServer: func(x *server) { srv = x }, onStackStart: started.add})
	// A time limit the bomb never reaches in this test, at first.
	s.configure(`{"debounceMs": 0, "evalTimeoutMs": 600000}`)
	shopDev := filepath.Join(dir, "shop", "dev")
	bu, bsrc := s.open("shop/dev/main.k", mustRead(t, filepath.Join(shopDev, "main.k"))+bomb)
	started.wait(t, shopDev, 1)

	// The good stack's policy diagnostics arrive while the bomb runs.
	gu, _ := s.open("blog/dev/main.k", strings.Replace(mustRead(t, filepath.Join(dir, "blog", "dev", "main.k")), "ghost:5.82.2", "ghost:latest", 1))
	s.client.WaitDiags(t, gu, diagWith("the latest tag is not allowed"))

	// Requests answer while the bomb runs.
	start := time.Now()
	h, err := s.server.Hover(s.ctx, &protocol.HoverParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{
		TextDocument: protocol.TextDocumentIdentifier{URI: bu}, Position: protocol.Position{Line: 0, Character: 15}}})
	if err != nil || h == nil {
		t.Fatalf("hover: %v, %v", h, err)
	}
	hover := time.Since(start)
	start = time.Now()
	c, err := s.server.Completion(s.ctx, &protocol.CompletionParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{
		TextDocument: protocol.TextDocumentIdentifier{URI: bu}, Position: protocol.Position{Line: 5, Character: 4}}})
	if err != nil || c == nil {
		t.Fatalf("completion: %v, %v", c, err)
	}
	completion := time.Since(start)
	srv.sched.mu.Lock()
	running := srv.sched.running[shopDev] != nil
	srv.sched.mu.Unlock()
	if !running {
		t.Fatal("the bomb stack is no longer evaluating: the requests were not served during its evaluation")
	}
	t.Logf("while the bomb evaluates: hover %v, completion %v", hover, completion)

	// A short limit, and an edit of the bomb's file: the running
	// evaluation is superseded, the new one stops at the limit.
	s.configure(`{"debounceMs": 0, "evalTimeoutMs": 300}`)
	s.change(bu, 2, protocol.Range{Start: protocol.Position{Line: 0}, End: protocol.Position{Line: 0}}, "# edited\n")
	ds := s.client.WaitDiags(t, bu, diagWith("time limit of 300ms", "konfig.evalTimeoutMs = 300"))
	budget := 0
	for _, d := range ds {
		if d.Code == protocol.String("EvaluationBudget") {
			budget++
			if d.Range.Start.Line != 0 {
				t.Errorf("budget diagnostic at line %d, want the first line: %v", d.Range.Start.Line, d)
			}
			if rel := d.RelatedInformation; len(rel) != 1 || rel[0].Location.URI != bu || rel[0].Location.Range.Start.Line != uint32(strings.Count(bsrc, "\n")) {
				t.Errorf("related information %v, want the bomb's line in %s", rel, bu)
			}
		}
	}
	if budget != 1 {
		t.Errorf("%d budget diagnostics, want 1: %v", budget, ds)
	}
	if n := started.count(shopDev); n != 2 {
		t.Errorf("the bomb stack was evaluated %d times, want 2 (the first run superseded)", n)
	}
}

// TestBurstOfOpensAllGetPolicy: 100 stack files opened in one burst with
// no debounce all get their stack's policy diagnostics (issue 13: a
// cancelled run gave its paths back after the newest run had taken its
// set, and nothing ran them).
func TestBurstOfOpensAllGetPolicy(t *testing.T) {
	dir := copyExamples(t)
	const n = 100
	copyStacks(t, dir, n)
	s := startSession(t, dir, Options{})
	s.configure(`{"debounceMs": 0}`)
	broken := strings.Replace(mustRead(t, filepath.Join(dir, "shop", "dev", "main.k")), "storefront:1.4.0", "storefront:latest", 1)
	var us []uri.URI
	for i := range n {
		u, _ := s.open(fmt.Sprintf("shop/s%03d/main.k", i), broken)
		us = append(us, u)
	}
	for _, u := range us {
		s.client.WaitDiags(t, u, diagWith("the latest tag is not allowed"))
	}
}

// TestLargeFiles: a file over maxFileSize gets syntax diagnostics only
// (no program, no stack evaluation), and one over 4 times the limit is not
// parsed; both say so in one diagnostic.
func TestLargeFiles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		size   int
		want   string // in the FileTooLarge diagnostic
		syntax bool   // the syntax error is reported
	}{
		{"under the limit", 0, "", true},
		{"over the limit", 3000, "syntax checks only", true},
		{"over 4 times the limit", 9000, "it is not parsed", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyExamples(t)
			planned := newEvents()
			started := newEvents()
			s := startSession(t, dir, Options{onPlanned: planned.add, onStackStart: started.add})
			s.configure(`{"debounceMs": 0, "maxFileSize": 2000}`)
			main := filepath.Join(dir, "shop", "dev", "main.k")
			src := strings.Replace(mustRead(t, main), "storefront:1.4.0", "storefront:latest", 1) + "broken = \n"
			if pad := tc.size - len(src); pad > 0 {
				src = strings.Repeat("#"+strings.Repeat(" ", 78)+"\n", pad/80+1) + src
			}
			u, _ := s.open("shop/dev/main.k", src)
			planned.wait(t, main, 1)
			ds := s.client.WaitDiags(t, u, func([]protocol.Diagnostic) bool { return true })
			var large []string
			syntax := false
			for _, d := range ds {
				switch {
				case d.Code == protocol.String("FileTooLarge"):
					large = append(large, diagText(d))
				case d.Source == protocol.NewOptional("konfig-lsp syntax"):
					syntax = true
				}
			}
			if tc.want == "" {
				if len(large) != 0 {
					t.Errorf("file too large: %q", large)
				}
				started.wait(t, filepath.Dir(main), 1)
				return
			}
			if len(large) != 1 || !strings.Contains(large[0], tc.want) || !strings.Contains(large[0], "konfig.maxFileSize") {
				t.Errorf("file too large diagnostics %q, want one saying %q", large, tc.want)
			}
			if syntax != tc.syntax {
				t.Errorf("syntax error reported: %v, want %v (%v)", syntax, tc.syntax, ds)
			}
			if n := started.count(filepath.Dir(main)); n != 0 {
				t.Errorf("the stack of a file over the limit was evaluated %d times", n)
			}
			if _, err := s.server.Hover(s.ctx, &protocol.HoverParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{
				TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: protocol.Position{Line: 0, Character: 1}}}); err == nil || !strings.Contains(err.Error(), "maxFileSize") {
				t.Errorf("hover on a file over the limit: %v, want the file size error", err)
			}
		})
	}
}

// TestStackOverSizeLimit: a stack one of whose own files is over
// maxFileSize is not evaluated; it gets one diagnostic on its entry file.
func TestStackOverSizeLimit(t *testing.T) {
	dir := copyExamples(t)
	base := filepath.Join(dir, "shop", "base", "base.k")
	b := mustRead(t, base)
	if err := os.WriteFile(base, []byte(strings.Repeat("# padding\n", 300)+b), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startSession(t, dir, Options{})
	s.configure(`{"debounceMs": 0, "maxFileSize": 2000}`)
	u, _ := s.open("shop/dev/main.k")
	s.client.WaitDiags(t, u, diagWith("Stack shop/dev is not evaluated: base.k is 3.", "konfig.maxFileSize"))
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBudgetMessage(t *testing.T) {
	memory := &diag.Diagnostic{Kind: diag.EvaluationError, Messages: []diag.Message{{
		Pos: diag.Pos{File: "/w/models/x.k", Line: 3}, Text: "memory budget exceeded: the values built need more than 256 MiB (see --max-memory)"}}}
	for _, tc := range []struct {
		name     string
		err      error
		timedOut bool
		want     []string // "" for no budget message
	}{
		{"no error", nil, false, nil},
		{"time limit", errors.New("main.k:3:1: EvaluationError: evaluation timed out: context deadline exceeded"), true,
			[]string{"stack shop/dev", "time limit of 1.5s", "konfig.evalTimeoutMs = 1500"}},
		{"memory budget", fmt.Errorf("compile: %w", memory), false,
			[]string{"stack shop/dev", "memory budget exceeded: the values built need more than 256 MiB", "konfig.maxMemory = 268435456"}},
		{"policy failure", errors.New("main.k:3:1: EvaluationError: Instance check failed"), false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := budgetMessage("shop/dev", tc.err, tc.timedOut, 1500*time.Millisecond, value.DefaultMaxMemory)
			if len(tc.want) == 0 {
				if got != "" {
					t.Errorf("budget message %q, want none", got)
				}
				return
			}
			if strings.Contains(got, "--max-memory") {
				t.Errorf("budget message %q names a CLI flag", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("budget message %q does not say %q", got, w)
				}
			}
		})
	}
}

// TestMaxMemorySetting: the maxMemory setting is the memory budget of the
// server's evaluations, and the budget diagnostic names it. 10 MB of
// strings pass under the default budget and stop under a 2 MiB one.
func TestMaxMemorySetting(t *testing.T) {
	dir := copyExamples(t)
	s := startSession(t, dir, Options{})
	s.configure(`{"debounceMs": 0, "maxMemory": 2097152}`)
	src := mustRead(t, filepath.Join(dir, "shop", "dev", "main.k")) + "\n_big = [\"x\" * 100 for i in range(100000)]\n"
	u, _ := s.open("shop/dev/main.k", src)
	ds := s.client.WaitDiags(t, u, diagWith("memory budget", "konfig.maxMemory = 2097152"))
	for _, d := range ds {
		if strings.Contains(diagText(d), "no setting") {
			t.Errorf("the budget diagnostic says there is no setting: %s", diagText(d))
		}
	}
	// Back to the default: the same stack evaluates (its budget
	// diagnostic goes away).
	s.configure(`{"debounceMs": 0}`)
	s.change(u, 2, protocol.Range{Start: protocol.Position{Line: 0}, End: protocol.Position{Line: 0}}, "# edited\n")
	s.client.WaitDiags(t, u, func(ds []protocol.Diagnostic) bool { return !diagWith("memory budget")(ds) })
}

// TestNextJob: the queue gives the stack asked for by the newest change
// first, never a stack that is being evaluated, and by directory among
// equals.
func TestNextJob(t *testing.T) {
	job := func(dir string, prio uint64) *stackJob {
		return &stackJob{stack: &konfig.Stack{Dir: dir}, prio: prio}
	}
	for _, tc := range []struct {
		name    string
		queued  []*stackJob
		running []string
		want    string // "" for none
	}{
		{"empty", nil, nil, ""},
		{"newest change first", []*stackJob{job("/a", 1), job("/b", 3), job("/c", 2)}, nil, "/b"},
		{"equal priority by directory", []*stackJob{job("/b", 2), job("/a", 2)}, nil, "/a"},
		{"a running stack waits", []*stackJob{job("/a", 1), job("/b", 3)}, []string{"/b"}, "/a"},
		{"only running stacks", []*stackJob{job("/b", 3)}, []string{"/b"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &scheduler{queued: map[string]*stackJob{}, running: map[string]*stackJob{}}
			for _, j := range tc.queued {
				q.queued[j.stack.Dir] = j
			}
			for _, d := range tc.running {
				q.running[d] = job(d, 0)
			}
			got := ""
			if j := q.next(); j != nil {
				got = j.stack.Dir
			}
			if got != tc.want {
				t.Errorf("next = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestHoverDoesNotWaitForEvaluation: a hover on an instance of a stack that
// is being evaluated answers at once (issue 12: it waited for the
// evaluation, up to evalTimeoutMs): with the stack's last good preview,
// marked as such, or with a note that the stack is being evaluated; the
// schema docs are there either way.
func TestHoverDoesNotWaitForEvaluation(t *testing.T) {
	dir := copyExamples(t)
	started, done := newEvents(), newEvents()
	s := startSession(t, dir, Options{Workers: 2, onStackStart: started.add, onStackDone: done.add})
	s.configure(`{"debounceMs": 0, "evalTimeoutMs": 600000}`)
	shopDev := filepath.Join(dir, "shop", "dev")
	src := mustRead(t, filepath.Join(shopDev, "main.k"))
	line := strings.Count(src[:strings.Index(src, "storefront:")], "\n")
	inst := protocol.Position{Line: uint32(line), Character: 2}
	hover := func(u uri.URI) (string, time.Duration) {
		start := time.Now()
		h := s.hoverText(u, inst)
		return h, time.Since(start)
	}

	// No result yet, the bomb evaluating: the docs and a note.
	u, _ := s.open("shop/dev/main.k", src+bomb)
	started.wait(t, shopDev, 1)
	h, took := hover(u)
	if !strings.Contains(h, "storefront") || !strings.Contains(h, "Preview: evaluating stack `dev`") || strings.Contains(h, "Resources in stack") {
		t.Errorf("hover while the first evaluation runs, want the docs and the note:\n%s", h)
	}
	t.Logf("hover while the stack evaluates, no earlier result: %v", took)
	if took > 2*time.Second {
		t.Errorf("the hover took %v: it waited for the evaluation", took)
	}

	// The bomb removed: the stack evaluates, the hover previews it.
	s.change(u, 2, protocol.Range{Start: protocol.Position{Line: uint32(strings.Count(src, "\n"))}, End: protocol.Position{Line: uint32(strings.Count(src+bomb, "\n"))}}, "")
	started.wait(t, shopDev, 2)
	done.wait(t, shopDev, 2)
	if h, _ := hover(u); !strings.Contains(h, "Resources in stack `dev`") || strings.Contains(h, "Preview: evaluating") {
		t.Fatalf("hover after the evaluation, want the preview:\n%s", h)
	}

	// The bomb again: the last good preview, marked as such.
	s.change(u, 3, protocol.Range{Start: protocol.Position{Line: uint32(strings.Count(src, "\n"))}, End: protocol.Position{Line: uint32(strings.Count(src, "\n"))}}, bomb)
	started.wait(t, shopDev, 3)
	h, took = hover(u)
	if !strings.Contains(h, "Resources in stack `dev`") || !strings.Contains(h, "its last evaluation, before the latest edits") {
		t.Errorf("hover while the stack evaluates again, want its last preview, marked:\n%s", h)
	}
	t.Logf("hover while the stack evaluates, with an earlier result: %v", took)
	if took > 2*time.Second {
		t.Errorf("the hover took %v: it waited for the evaluation", took)
	}
}

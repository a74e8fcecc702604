package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// recorder wraps the server's client (through Options.onServer) and
// records what the server sends that the test client drops or does not
// keep: every publishDiagnostics with its version, window/showMessage and
// $/progress messages.
type recorder struct {
	protocol.Client
	mu       sync.Mutex
	pubs     []publication
	messages []string
	progress []string // "kind message" of each $/progress value
	changed  chan struct{}
}

type publication struct {
	uri     uri.URI
	version int32
	diags   []protocol.Diagnostic
}

// record makes the server's client a recorder.
func record(s *server) *recorder {
	r := &recorder{Client: s.client, changed: make(chan struct{})}
	s.client = r
	return r
}

func (r *recorder) note(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f()
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *recorder) PublishDiagnostics(ctx context.Context, p *protocol.PublishDiagnosticsParams) error {
	v, _ := p.Version.Get()
	r.note(func() { r.pubs = append(r.pubs, publication{p.URI, v, p.Diagnostics}) })
	return r.Client.PublishDiagnostics(ctx, p)
}

func (r *recorder) ShowMessage(ctx context.Context, p *protocol.ShowMessageParams) error {
	r.note(func() { r.messages = append(r.messages, p.Message) })
	return r.Client.ShowMessage(ctx, p)
}

func (r *recorder) Progress(ctx context.Context, p *protocol.ProgressParams) error {
	var v struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(p.Value, &v)
	r.note(func() { r.progress = append(r.progress, v.Kind+" "+v.Message) })
	return r.Client.Progress(ctx, p)
}

// wait waits until ok holds of the recorder (under its lock), or fails
// after a generous deadline (a guard against hangs, not a timing
// assertion).
func (r *recorder) wait(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		r.mu.Lock()
		done, ch := ok(), r.changed
		r.mu.Unlock()
		if done {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			r.mu.Lock()
			var seen []string
			for _, p := range r.pubs {
				msgs := make([]string, 0, len(p.diags))
				for _, d := range p.diags {
					msgs = append(msgs, fmt.Sprint(d.Message))
				}
				seen = append(seen, fmt.Sprintf("%s v%d %q", filepath.Base(string(p.uri)), p.version, msgs))
			}
			r.mu.Unlock()
			t.Fatalf("timed out waiting for %s; published:\n%s", what, strings.Join(seen, "\n"))
		}
	}
}

// copyStacks adds n copies of examples' shop/dev stack to dir, as
// shop/sNN, and returns their directories.
func copyStacks(t *testing.T, dir string, n int) []string {
	t.Helper()
	var out []string
	for i := range n {
		d := filepath.Join(dir, "shop", fmt.Sprintf("s%03d", i))
		testutil.CopyTree(t, filepath.Join(dir, "shop", "dev"), d)
		if err := os.WriteFile(filepath.Join(d, "stack.yaml"), fmt.Appendf(nil, "name: s%03d\n", i), 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// TestContinuousTypingPublishesEveryEvaluation: while the user types
// continuously, each keystroke arriving while the stack's evaluation of
// the previous one runs, every evaluation still finishes and publishes
// its result (issue 13: each edit cancelled the running evaluation, so
// nothing was published until the typing stopped). The evaluations are
// held at their start by the test and the scheduler's clock is frozen, so
// the run is driven by events only: an evaluation superseded while it has
// run for less than twice the stack's last one is let finish. With real
// time, the policy diagnostics thus lag the last edit by at most the end of
// the running evaluation plus one more (2 × its duration: well under 2 s
// for an open stack of the corpus).
func TestContinuousTypingPublishesEveryEvaluation(t *testing.T) {
	dir := copyExamples(t)
	shopDev := filepath.Join(dir, "shop", "dev")
	started, planned, finished := newEvents(), newEvents(), newEvents()
	gate, ended := make(chan struct{}), make(chan struct{})
	var rec *recorder
	frozen := time.Unix(1_000_000, 0)
	var logBuf syncBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(logBuf.String())
		}
	})
	s := startSession(t, dir, Options{Workers: 1, Logger: slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})),
		onServer: func(x *server) {
			rec = record(x)
			x.sched.clock = func() time.Time { return frozen }
		},
		onPlanned:   planned.add,
		onStackDone: finished.add,
		onStackStart: func(d string) {
			started.add(d)
			if d == shopDev {
				select {
				case <-gate:
				case <-ended:
				}
			}
		}})
	// Runs before the session's cleanup: no evaluation stays held.
	t.Cleanup(func() { close(ended) })
	release := func() {
		t.Helper()
		select {
		case gate <- struct{}{}:
		case <-time.After(60 * time.Second):
			t.Fatal("no evaluation to release")
		}
	}
	s.configure(`{"debounceMs": 0}`)
	src := mustRead(t, filepath.Join(shopDev, "main.k"))
	const good, bad = "storefront:1.4.0", "storefront:latest"
	at := strings.Index(src, good)
	line := uint32(strings.Count(src[:at], "\n"))
	col := uint32(at - strings.LastIndex(src[:at], "\n") - 1)
	u, _ := s.open("shop/dev/main.k", src)
	path := filepath.Join(shopDev, "main.k")
	started.wait(t, shopDev, 1)
	release()
	// The first evaluation ends before the first edit (a publication of
	// version 1 may be the syntax-level one, which comes first).
	finished.wait(t, shopDev, 1)
	// text k: the tag of version k (bad on even versions).
	tag := func(v int32) string {
		if v%2 == 0 {
			return bad
		}
		return good
	}
	edit := func(v int32) {
		r := protocol.Range{Start: protocol.Position{Line: line, Character: col}, End: protocol.Position{Line: line, Character: col + uint32(len(tag(v-1)))}}
		s.change(u, v, r, tag(v))
	}
	published := func(v int32) func() bool {
		return func() bool {
			for _, p := range rec.pubs {
				if p.uri == u && p.version == v && diagWith("the latest tag is not allowed")(p.diags) == (tag(v) == bad) {
					return true
				}
			}
			return false
		}
	}
	rec.wait(t, "the first evaluation's publication", published(1))

	const last = 21 // 20 edits
	edit(2)
	for v := int32(2); v <= last; v++ {
		// The evaluation of version v has started (held).
		started.wait(t, shopDev, int(v))
		if v < last {
			// The next keystroke lands while it runs, and is planned.
			edit(v + 1)
			planned.wait(t, path, int(v)+1)
		}
		release()
		finished.wait(t, shopDev, int(v))
		rec.wait(t, fmt.Sprintf("the publication of version %d's evaluation", v), published(v))
	}
	// The last version is good: its evaluation took the policy error away.
	latest := diagWith("the latest tag is not allowed")
	s.client.WaitDiags(t, u, func(ds []protocol.Diagnostic) bool { return tag(last) == good && !latest(ds) })
}

// TestWatchSetupDoesNotDelayDiagnostics: the fsnotify watches (one per
// directory: tens of thousands in a large Konfig) are added off the message
// loop, so the first diagnostics of an opened file arrive while they are
// still being added; when adding one fails (the inotify limit), the user is
// told once, with how many directories are not watched.
func TestWatchSetupDoesNotDelayDiagnostics(t *testing.T) {
	dir := copyExamples(t)
	release := make(chan struct{})
	var rec *recorder
	var srv *server
	s := startSession(t, dir, Options{onServer: func(x *server) {
		srv, rec = x, record(x)
		x.sched.watchAdd = func(_ *fsnotify.Watcher, _ string) error {
			<-release
			return syscall.ENOSPC
		}
	}})
	u, _ := s.open("shop/dev/main.k", "storefront = \n")
	// The syntax error is published while the first watch is still held.
	s.client.WaitDiags(t, u, func(ds []protocol.Diagnostic) bool { return len(ds) > 0 })
	close(release)
	rec.wait(t, "the watch warning", func() bool { return len(rec.messages) > 0 })
	rec.mu.Lock()
	msgs := append([]string(nil), rec.messages...)
	rec.mu.Unlock()
	if len(msgs) != 1 || !strings.Contains(msgs[0], "could not watch") || !strings.Contains(msgs[0], "inotify limit") {
		t.Fatalf("messages %q, want one about the inotify limit", msgs)
	}
	// A later failure (a directory created) is not shown again.
	srv.warnWatch("again")
	rec.mu.Lock()
	n := len(rec.messages)
	rec.mu.Unlock()
	if n != 1 {
		t.Errorf("%d messages, want the warning once", n)
	}
}

// heapAfterGC returns the live heap after a full collection.
func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestModelEditAndCheckAffected: an edit of a model file re-evaluates only
// the stacks of open files; the checkAffected command evaluates every stack
// that reads it, with "N of M stacks" progress, publishes the failures at
// the failing stacks' lines, grouped on the model file with the stacks as
// related information; and once its results are published the server's
// memory is back within 20% of its level before the edit (no spec is kept
// but the open stack's).
func TestModelEditAndCheckAffected(t *testing.T) {
	dir := copyExamples(t)
	const n = 40
	copies := copyStacks(t, dir, n)
	total := n + 4 // the copies, shop/dev, shop/prod, blog/dev, blog/prod
	started, checked := newEvents(), newEvents()
	var srv *server
	var rec *recorder
	s := startSession(t, dir, Options{onStackStart: started.add, onServer: func(x *server) {
		srv, rec = x, record(x)
		x.sched.affected.onStack = func(_ context.Context, dir string) { checked.add(dir) }
	}})
	s.configure(`{"debounceMs": 0}`)
	shopDev := filepath.Join(dir, "shop", "dev")
	mu, _ := s.open("shop/dev/main.k", strings.Replace(mustRead(t, filepath.Join(shopDev, "main.k")), "storefront:1.4.0", "storefront:latest", 1))
	s.client.WaitDiags(t, mu, diagWith("the latest tag is not allowed"))
	msrc := mustRead(t, filepath.Join(dir, "models", "frontend", "server.k"))
	su, _ := s.open("models/frontend/server.k", msrc)
	check := func(token string) affectedResult {
		t.Helper()
		arg, _ := json.Marshal(string(su))
		raw, err := s.server.ExecuteCommand(s.ctx, &protocol.ExecuteCommandParams{Command: cmdCheckAffected, Arguments: []protocol.LSPAny{arg},
			WorkDoneProgressParams: protocol.WorkDoneProgressParams{WorkDoneToken: protocol.String(token)}})
		if err != nil {
			t.Fatal(err)
		}
		var res affectedResult
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	// A first check fills the caches that every later one shares (the
	// parsed files); the memory before the edit is measured after it.
	if res := check("warm"); res.Checked != total || res.Failed != 1 {
		t.Fatalf("first check %+v, want %d stacks checked, shop/dev failing", res, total)
	}
	before := heapAfterGC()

	// The edit: every stack now fails the replicas check; only the open
	// stack is evaluated.
	old := "1 <= replicas <= 10"
	at := strings.Index(msrc, old)
	line := uint32(strings.Count(msrc[:at], "\n"))
	col := uint32(at - strings.LastIndex(msrc[:at], "\n") - 1)
	s.change(su, 2, protocol.Range{Start: protocol.Position{Line: line, Character: col}, End: protocol.Position{Line: line, Character: col + uint32(len(old))}}, "1 <= replicas <= 0")
	s.client.WaitDiags(t, mu, diagWith("replicas must be between 1 and 10"))
	for _, d := range copies {
		if started.count(d) != 0 {
			t.Fatalf("the edit evaluated %s, a stack of no open file", d)
		}
	}

	// The code lens offers the check, with the count.
	lens, err := s.server.CodeLens(s.ctx, &protocol.CodeLensParams{TextDocument: protocol.TextDocumentIdentifier{URI: su}})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("Check %d affected stacks", total); len(lens) != 1 || lens[0].Command.Command != cmdCheckAffected || lens[0].Command.Title != want {
		t.Fatalf("code lens %v, want %q", lens, want)
	}

	res := check("edit")
	if res.Stacks != total || res.Checked != total || res.Failed != total || res.Cancelled {
		t.Errorf("result %+v, want %d stacks checked and failing", res, total)
	}
	for _, d := range copies {
		if checked.count(d) != 2 {
			t.Errorf("%s evaluated %d times by the two checks, want 2", d, checked.count(d))
		}
	}
	// Each copy's main.k carries its failure; the model file one grouped
	// diagnostic per failing line, the stacks as related information.
	rec.mu.Lock()
	failing := map[uri.URI]bool{}
	var onModel []protocol.Diagnostic
	for _, p := range rec.pubs {
		if diagWith("replicas must be between 1 and 10")(p.diags) {
			failing[p.uri] = true
		}
		if p.uri == su {
			onModel = p.diags
		}
	}
	progress := append([]string(nil), rec.progress...)
	rec.mu.Unlock()
	for _, d := range copies {
		if !failing[uri.File(filepath.Join(d, "main.k"))] {
			t.Errorf("no failure published on %s/main.k", d)
		}
	}
	grouped := 0
	for _, d := range onModel {
		if strings.Contains(diagText(d), "fails in") {
			t.Logf("grouped on the model file, line %d: %q, %d related", d.Range.Start.Line+1, diagText(d), len(d.RelatedInformation))
			grouped += len(d.RelatedInformation)
			if !strings.Contains(diagText(d), "replicas must be between 1 and 10") {
				t.Errorf("grouped diagnostic %q does not say what failed", diagText(d))
			}
		}
	}
	if grouped != total {
		t.Errorf("%d stacks related by the grouped diagnostics of the model file, want %d", grouped, total)
	}
	wantEnd := fmt.Sprintf("end %d of %d stacks checked, %d failing", total, total, total)
	if len(progress) == 0 || progress[len(progress)-1] != wantEnd || !strings.Contains(strings.Join(progress, "\n"), fmt.Sprintf("of %d stacks", total)) {
		t.Errorf("progress %q, want reports of N of %d stacks and %q", progress, total, wantEnd)
	}

	after := heapAfterGC()
	t.Logf("heap before the edit %d KiB, after the check's results %d KiB", before>>10, after>>10)
	if float64(after) > 1.2*float64(before) {
		t.Errorf("heap %d KiB after the check's results are published, over 120%% of %d KiB before the edit", after>>10, before>>10)
	}
	srv.stacks.mu.Lock()
	kept := len(srv.stacks.results)
	srv.stacks.mu.Unlock()
	if kept > 1 {
		t.Errorf("%d stack results kept, want only the open stack's", kept)
	}
}

// TestCheckAffectedCancel: window/workDoneProgress/cancel stops a
// checkAffected run; it ends its progress and returns what it checked.
func TestCheckAffectedCancel(t *testing.T) {
	dir := copyExamples(t)
	copyStacks(t, dir, 20)
	var rec *recorder
	s := startSession(t, dir, Options{Workers: 1, onServer: func(x *server) {
		rec = record(x)
		// The run's first evaluation waits for the cancellation.
		var once sync.Once
		x.sched.affected.onStack = func(ctx context.Context, _ string) {
			once.Do(func() {
				select {
				case <-ctx.Done():
				case <-time.After(60 * time.Second):
				}
			})
		}
	}})
	model := filepath.Join(dir, "models", "frontend", "server.k")
	token := protocol.String("check-1")
	arg, _ := json.Marshal(string(uri.File(model)))
	type answer struct {
		raw protocol.LSPAny
		err error
	}
	done := make(chan answer, 1)
	go func() {
		raw, err := s.server.ExecuteCommand(s.ctx, &protocol.ExecuteCommandParams{Command: cmdCheckAffected,
			Arguments: []protocol.LSPAny{arg}, WorkDoneProgressParams: protocol.WorkDoneProgressParams{WorkDoneToken: token}})
		done <- answer{raw, err}
	}()
	rec.wait(t, "the run's progress", func() bool { return len(rec.progress) > 0 })
	if err := s.server.WorkDoneProgressCancel(s.ctx, &protocol.WorkDoneProgressCancelParams{Token: token}); err != nil {
		t.Fatal(err)
	}
	a := <-done
	if a.err != nil {
		t.Fatal(a.err)
	}
	var res affectedResult
	if err := json.Unmarshal(a.raw, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Cancelled || res.Checked >= res.Stacks || res.Stacks != 24 {
		t.Errorf("result %+v, want a cancelled run of 24 stacks that did not check them all", res)
	}
	rec.wait(t, "the progress end", func() bool {
		return len(rec.progress) > 0 && strings.HasPrefix(rec.progress[len(rec.progress)-1], "end cancelled")
	})
}

package lsp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
)

// The server's budgets: the defaults of the evalTimeoutMs and maxFileSize
// settings (maxMemory's is the evaluator's, value.DefaultMaxMemory).
const (
	defaultEvalTimeout = 10 * time.Second
	defaultMaxFileSize = 2_000_000
	// parseFactor: a file over parseFactor × maxFileSize is not even
	// parsed. A parse costs about 20 bytes of heap per byte of source and
	// 0.1 s per MB (10 MB: 206 MB of AST, 1 s), so by default parsing stops
	// above 8 MB.
	parseFactor = 4
)

// evalTimeout is the time limit of one stack's evaluation (setting
// evalTimeoutMs).
func (s *server) evalTimeout() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ms := s.settings().EvalTimeoutMs; ms != nil && *ms > 0 {
		return time.Duration(*ms) * time.Millisecond
	}
	return defaultEvalTimeout
}

// maxFileSize is the size in bytes above which a file gets syntax service
// only (setting maxFileSize).
func (s *server) maxFileSize() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.settings().MaxFileSize; n != nil && *n > 0 {
		return *n
	}
	return defaultMaxFileSize
}

// maxMemory is the memory budget in bytes of one stack's evaluation
// (setting maxMemory; the evaluator's default, value.DefaultMaxMemory,
// when unset).
func (s *server) maxMemory() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.settings().MaxMemory; n != nil && *n > 0 {
		return *n
	}
	return value.DefaultMaxMemory
}

// fileSize is the size of path in snap: its buffer when open, else the file
// on disk (-1 when it cannot be read).
func fileSize(snap *snapshot, path string) int64 {
	if d := snap.doc(path); d != nil {
		return int64(len(d.data))
	}
	fi, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return fi.Size()
}

// tooLargeError says that a file is over the maxFileSize setting.
type tooLargeError struct {
	path  string
	size  int64
	limit int64
}

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("%s is %s, over the file size limit of %d bytes (setting konfig.maxFileSize): syntax service only",
		filepath.Base(e.path), humanBytes(e.size), e.limit)
}

// checkSizes returns a *tooLargeError for the first of paths over the
// maxFileSize setting in snap, nil when none is.
func (s *server) checkSizes(snap *snapshot, paths ...string) error {
	limit := s.maxFileSize()
	for _, p := range paths {
		if n := fileSize(snap, p); n > limit {
			return &tooLargeError{path: p, size: n, limit: limit}
		}
	}
	return nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1_000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d bytes", n)
}

// RequestProcs is how many Ps (GOMAXPROCS) the server keeps beyond its
// evaluation workers, so that requests never wait for a P behind the
// evaluations and the garbage collector's mark workers: with GOMAXPROCS
// equal to the CPUs, a memory-hungry evaluation on a 2-CPU machine under
// load made hover and completion wait 200–500 ms (p90) for a P during
// long GC mark phases; with 2 more Ps they answer in under 25 ms (p90).
// The operating system shares the CPUs between the threads.
const RequestProcs = 2

// ReserveRequestProcs raises GOMAXPROCS by RequestProcs, unless the
// GOMAXPROCS environment variable sets it, and returns the number of
// evaluation workers to use (Options.Workers): the GOMAXPROCS before.
// For the binary: it changes the whole process.
func ReserveRequestProcs() int {
	procs := runtime.GOMAXPROCS(0)
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(procs + RequestProcs)
	}
	return procs
}

// scheduler plans the diagnostics of changed paths and runs the
// evaluations of their stacks on a bounded pool of workers.
//
// Planning takes one changed path at a time, the most recently changed
// first, once the debounce delay has passed since the last change: it
// publishes the path's semantic diagnostics and queues, at once, the stack
// the path belongs to (its own main.k or settings: no index needed), then,
// when the repository's include index answers (built once, in the
// background, kept up to date by file events), the other stacks that read
// the path and are of interest: stacks of open files, and stacks whose own
// files changed. The other stacks a change reaches (a model edit reaches
// thousands) are evaluated only on demand: a hover, or the checkAffected
// command (affected.go).
//
// Workers (at most Options.Workers, default GOMAXPROCS) take the queued
// stack asked for by the newest change first, evaluate it against the
// newest snapshot with its own deadline (setting evalTimeoutMs) and publish
// its policy diagnostics as soon as it is done. A stack is evaluated by one
// worker at a time. A change that reaches a stack being evaluated against
// an older snapshot queues it again; the running evaluation is let finish,
// and publishes, when it is expected to end soon (it has run for less than
// twice the stack's last evaluation, or the stack's evaluations were
// already superseded twice in a row), so that continuous typing still gets
// results, at most about two evaluations behind; otherwise (a first
// evaluation, one running far longer than usual: an endless loop just
// typed) it is cancelled.
type scheduler struct {
	mu sync.Mutex
	// pending are the changed paths not yet planned, with the sequence
	// number of their latest change; last is the time of the latest
	// change, planning whether the planner runs.
	pending  map[string]uint64
	seq      uint64
	last     time.Time
	planning bool

	queued  map[string]*stackJob // by stack dir
	running map[string]*stackJob // by stack dir
	workers int                  // running workers
	// lastDur is the duration of each stack's last finished evaluation;
	// superseded, how many of its evaluations in a row were cancelled for
	// a newer change.
	lastDur    map[string]time.Duration
	superseded map[string]int
	// done is the snapshot and priority of each stack's last finished
	// evaluation.
	done map[string]stackJob
	// clock, when set (tests), replaces time.Now for lastDur and letFinish.
	clock func() time.Time

	// Background work of other kinds: watchAdd, when set (tests),
	// replaces fsnotify's Add in watchWithFsnotify; watchWarned is set once
	// the user was told that watching failed (watch.go); affected holds the
	// checkAffected runs under way (affected.go).
	watchAdd    func(w *fsnotify.Watcher, dir string) error
	watchWarned atomic.Bool
	affected    affectedRuns
}

// stackJob is one queued or running evaluation of a stack.
type stackJob struct {
	stack *konfig.Stack
	// prio is the sequence number of the newest change that asked for the
	// stack; snapID the newest snapshot that asked for it (the snapshot
	// evaluated, once running).
	prio   uint64
	snapID uint64
	cancel context.CancelFunc // while running
	// started is when the evaluation started (while running).
	started time.Time
}

// now is the scheduler's clock (a fake one in tests).
func (s *server) now() time.Time {
	if s.sched.clock != nil {
		return s.sched.clock()
	}
	return time.Now()
}

// scheduleDiagnostics plans the semantic and policy diagnostics of the
// changed paths after the debounce delay. Nothing is dropped: a path
// changed again before it is planned is planned once, with the newest
// content.
func (s *server) scheduleDiagnostics(_ *snapshot, paths ...string) {
	q := &s.sched
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pending == nil {
		q.pending = map[string]uint64{}
	}
	q.seq++
	for _, p := range paths {
		q.pending[p] = q.seq
	}
	q.last = time.Now()
	if !q.planning {
		q.planning = true
		s.goBackground(s.plan)
	}
}

// plan is the planner: it plans pending paths, newest change first, until
// none is left.
func (s *server) plan(ctx context.Context) {
	q := &s.sched
	for {
		s.mu.Lock()
		delay := s.opts.Debounce
		s.mu.Unlock()
		q.mu.Lock()
		if ctx.Err() != nil || len(q.pending) == 0 {
			q.planning = false
			q.mu.Unlock()
			return
		}
		if wait := time.Until(q.last.Add(delay)); wait > 0 {
			q.mu.Unlock()
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
			continue
		}
		var path string
		var seq uint64
		for p, n := range q.pending {
			if n > seq || n == seq && p < path {
				path, seq = p, n
			}
		}
		delete(q.pending, path)
		q.mu.Unlock()
		s.planPath(ctx, path, seq)
		if s.opts.onPlanned != nil {
			s.opts.onPlanned(path)
		}
	}
}

// planPath publishes the semantic diagnostics of path (when open), queues
// the stack path belongs to, and looks up the other stacks that read it in
// the background (the include index may have to be built first), queueing
// those of interest, all with the priority of its change.
func (s *server) planPath(ctx context.Context, path string, seq uint64) {
	snap := s.session.snapshot()
	if err := s.checkSizes(snap, path); err != nil {
		s.log.Debug("diagnostics: syntax only", "path", path, "reason", err)
		return
	}
	if snap.doc(path) != nil {
		s.semanticDiagnostics(ctx, snap, path)
		if ctx.Err() != nil {
			return
		}
		s.publish(ctx, snap, path)
	}
	if u := s.unitFor(path); u.stack != nil && s.stackAllowed(ctx, snap, u.stack) {
		s.enqueueStacks([]*konfig.Stack{u.stack}, seq, snap.id)
	}
	s.goBackground(func(bctx context.Context) { s.planIncluding(bctx, snap, path, seq) })
}

// planIncluding brings the include index up to date with path and queues
// the stacks that read it and are of interest: stacks of open files, and
// the stacks that list path themselves (their own file changed).
func (s *server) planIncluding(ctx context.Context, snap *snapshot, path string, seq uint64) {
	s.refreshIndex(ctx, snap, path)
	sts := s.stacksIncluding(ctx, snap, path)
	if ctx.Err() != nil {
		return
	}
	cur := s.session.snapshot()
	var now []*konfig.Stack
	for _, st := range sts {
		if ofInterest(cur, st) || slices.Contains(st.Files, path) || slices.Contains(st.Settings, path) {
			now = append(now, st)
		}
	}
	s.log.Debug("diagnostics planned", "snapshot", snap.id, "path", path, "stacks", len(sts), "now", len(now))
	s.enqueueStacks(now, seq, snap.id)
}

// enqueueStacks queues the evaluation of sts for a change of priority prio
// seen in snapshot snapID, and starts workers.
func (s *server) enqueueStacks(sts []*konfig.Stack, prio, snapID uint64) {
	q := &s.sched
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.queued == nil {
		q.queued = map[string]*stackJob{}
		q.running = map[string]*stackJob{}
	}
	for _, st := range sts {
		if d, ok := q.done[st.Dir]; ok && d.snapID >= snapID && d.prio >= prio {
			// This change was served already (a stack is asked for
			// twice: at once, then from the include index).
			continue
		}
		if r := q.running[st.Dir]; r != nil {
			if r.snapID >= snapID {
				continue // the running evaluation already sees the change
			}
			if !s.letFinish(r) {
				r.cancel() // superseded
				if q.superseded == nil {
					q.superseded = map[string]int{}
				}
				q.superseded[st.Dir]++
			}
		}
		if j := q.queued[st.Dir]; j != nil {
			j.stack, j.prio, j.snapID = st, max(j.prio, prio), max(j.snapID, snapID)
			continue
		}
		q.queued[st.Dir] = &stackJob{stack: st, prio: prio, snapID: snapID}
	}
	limit := s.workerLimit()
	// Idle workers (not evaluating yet) take the queued jobs; more are
	// started up to the limit.
	for q.workers < limit && q.workers-len(q.running) < len(q.queued) {
		q.workers++
		s.goBackground(s.work)
	}
}

// workerLimit is the number of parallel stack evaluations.
func (s *server) workerLimit() int {
	if s.opts.Workers > 0 {
		return s.opts.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// letFinish reports whether the running evaluation r, superseded by a newer
// change, should still finish and publish (see scheduler). Called with
// q.mu held.
func (s *server) letFinish(r *stackJob) bool {
	q := &s.sched
	dir := r.stack.Dir
	elapsed := s.now().Sub(r.started)
	if elapsed >= s.evalTimeout() {
		return false
	}
	if d, ok := q.lastDur[dir]; ok && elapsed < 2*d+50*time.Millisecond {
		return true
	}
	return q.superseded[dir] >= 2
}

// next returns the queued job to run next: the highest priority whose stack
// is not being evaluated (ties: by directory). Called with q.mu held.
func (q *scheduler) next() *stackJob {
	var best *stackJob
	for dir, j := range q.queued {
		if q.running[dir] != nil {
			continue
		}
		if best == nil || j.prio > best.prio || j.prio == best.prio && dir < best.stack.Dir {
			best = j
		}
	}
	return best
}

// work is a worker: it evaluates queued stacks until none can be taken.
func (s *server) work(ctx context.Context) {
	q := &s.sched
	for {
		q.mu.Lock()
		j := q.next()
		if j == nil || ctx.Err() != nil {
			q.workers--
			q.mu.Unlock()
			return
		}
		dir := j.stack.Dir
		delete(q.queued, dir)
		snap := s.session.snapshot()
		jctx, cancel := context.WithCancel(ctx)
		j.snapID, j.cancel, j.started = snap.id, cancel, s.now()
		q.running[dir] = j
		q.mu.Unlock()

		if s.opts.onStackStart != nil {
			s.opts.onStackStart(dir)
		}
		done := s.diagnoseStack(jctx, snap, j.stack)
		cancel()
		if s.opts.onStackDone != nil {
			s.opts.onStackDone(dir)
		}

		q.mu.Lock()
		delete(q.running, dir)
		if done {
			if q.lastDur == nil {
				q.lastDur = map[string]time.Duration{}
			}
			q.lastDur[dir] = s.now().Sub(j.started)
			if q.done == nil {
				q.done = map[string]stackJob{}
			}
			q.done[dir] = stackJob{snapID: j.snapID, prio: j.prio}
			delete(q.superseded, dir)
		}
		q.mu.Unlock()
	}
}

// diagnoseStack evaluates st against snap and publishes its policy
// diagnostics, unless ctx is cancelled first; it reports whether it
// published. The stack's result is then dropped unless the stack is of
// interest (an open file's).
func (s *server) diagnoseStack(ctx context.Context, snap *snapshot, st *konfig.Stack) bool {
	start := time.Now()
	r := s.compileStack(ctx, snap, st)
	if ctx.Err() != nil {
		s.log.Debug("stack evaluation cancelled", "snapshot", snap.id, "stack", st.Dir)
		return false
	}
	s.log.Debug("stack compiled", "snapshot", snap.id, "stack", st.Dir, "elapsed", time.Since(start), "budget", r.budget, "error", r.err)
	for _, p := range s.diags.setPolicy(st.Dir, s.policyDiagnostics(snap, r)) {
		s.publish(ctx, snap, p)
	}
	s.pruneResults(s.session.snapshot())
	return true
}

package lsp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

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
// publishes the path's semantic diagnostics and queues the stacks that
// include it. Workers (at most Options.Workers, default GOMAXPROCS) take the queued stack asked for
// by the newest change first, evaluate it against the newest snapshot with
// its own deadline (setting evalTimeoutMs) and publish its policy
// diagnostics as soon as it is done. A stack is evaluated by one worker at
// a time; a change that reaches a stack being evaluated against an older
// snapshot cancels that evaluation (its result would be stale) and queues
// the stack again.
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

// planPath publishes the semantic diagnostics of path (when open) and queues
// the stacks that include it, with the priority of its change.
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
	sts := s.stacksIncluding(ctx, snap, path)
	if ctx.Err() != nil {
		return
	}
	s.log.Debug("diagnostics planned", "snapshot", snap.id, "path", path, "stacks", len(sts))
	s.enqueueStacks(sts, seq, snap.id)
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
		if r := q.running[st.Dir]; r != nil {
			if r.snapID >= snapID {
				continue // the running evaluation already sees the change
			}
			r.cancel() // superseded
		}
		if j := q.queued[st.Dir]; j != nil {
			j.stack, j.prio, j.snapID = st, max(j.prio, prio), max(j.snapID, snapID)
			continue
		}
		q.queued[st.Dir] = &stackJob{stack: st, prio: prio, snapID: snapID}
	}
	limit := s.opts.Workers
	if limit <= 0 {
		limit = runtime.GOMAXPROCS(0)
	}
	// Idle workers (not evaluating yet) take the queued jobs; more are
	// started up to the limit.
	for q.workers < limit && q.workers-len(q.running) < len(q.queued) {
		q.workers++
		s.goBackground(s.work)
	}
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
		j.snapID, j.cancel = snap.id, cancel
		q.running[dir] = j
		q.mu.Unlock()

		if s.opts.onStackStart != nil {
			s.opts.onStackStart(dir)
		}
		s.diagnoseStack(jctx, snap, j.stack)
		cancel()
		if s.opts.onStackDone != nil {
			s.opts.onStackDone(dir)
		}

		q.mu.Lock()
		delete(q.running, dir)
		q.mu.Unlock()
	}
}

// diagnoseStack evaluates st against snap and publishes its policy
// diagnostics, unless ctx is cancelled first.
func (s *server) diagnoseStack(ctx context.Context, snap *snapshot, st *konfig.Stack) {
	start := time.Now()
	r := s.compileStack(ctx, snap, st)
	if ctx.Err() != nil {
		s.log.Debug("stack evaluation cancelled", "snapshot", snap.id, "stack", st.Dir)
		return
	}
	s.log.Debug("stack compiled", "snapshot", snap.id, "stack", st.Dir, "elapsed", time.Since(start), "budget", r.budget, "error", r.err)
	for _, p := range s.diags.setPolicy(st.Dir, s.policyDiagnostics(snap, r)) {
		s.publish(ctx, snap, p)
	}
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/konfig-lsp/konfig-lsp/internal/engine/graph"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/state"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// EventType says what happened to a resource during apply or destroy.
type EventType string

// The event types.
const (
	EventStart   EventType = "start"   // the resource's change started
	EventDone    EventType = "done"    // the change succeeded (or there was nothing to do)
	EventFailed  EventType = "failed"  // the change failed
	EventSkipped EventType = "skipped" // not attempted: a dependency failed or the operation stopped
	EventWaiting EventType = "waiting" // applied, waiting for readiness (--watch)
)

// Event is a progress report of apply or destroy.
type Event struct {
	Type    EventType
	ID      string
	Action  Action
	Err     error
	Elapsed time.Duration
	Message string
	// Done counts the resources finished so far, out of Total.
	Done, Total int
}

// ApplyOptions tune Apply.
type ApplyOptions struct {
	PreviewOptions
	// ForceUnlock takes the stack's lock even if another holder has it.
	ForceUnlock bool
	// Watch waits for every applied resource to be ready (see
	// runtime.Runtime.Ready) before its dependents start, up to WatchTimeout.
	Watch        bool
	WatchTimeout time.Duration
	// SkipUnsupported applies the rest of a plan that holds resources of a
	// type without a runtime (they are still reported, and the resources
	// that depend on them are Blocked); without it, such a plan is refused
	// unless their types are in ExcludeTypes.
	SkipUnsupported bool
	// OnEvent receives progress events; it is called from several
	// goroutines, one call at a time.
	OnEvent func(Event)
}

// Result is the outcome of Apply or Destroy.
//
// Skipped counts the resources not attempted because a dependency failed
// (or, for deletions, because the apply failed before them); NotAttempted
// counts those the operation never reached because it was stopped
// (cancelled, interrupted); Excluded, Blocked and Unsupported count the
// steps of those actions, which apply leaves alone. Every step of Changes is
// counted exactly once.
type Result struct {
	Created, Updated, Deleted, UnChanged, Failed, Skipped int
	NotAttempted                                          int
	Excluded, Blocked, Unsupported                        int
	Changes                                               *Changes
}

// Summary is "N created, N updated, N deleted, N unchanged" (plus failures,
// the resources not attempted, and the resources left out).
func (r *Result) Summary() string {
	s := fmt.Sprintf("%d created, %d updated, %d deleted, %d unchanged", r.Created, r.Updated, r.Deleted, r.UnChanged)
	if r.Failed > 0 || r.Skipped > 0 {
		s += fmt.Sprintf(", %d failed, %d skipped", r.Failed, r.Skipped)
	}
	if r.NotAttempted > 0 {
		s += fmt.Sprintf(", %d not attempted", r.NotAttempted)
	}
	if r.Excluded > 0 {
		s += fmt.Sprintf(", %d excluded", r.Excluded)
	}
	if r.Unsupported > 0 {
		s += fmt.Sprintf(", %d unsupported", r.Unsupported)
	}
	if r.Blocked > 0 {
		s += fmt.Sprintf(", %d blocked", r.Blocked)
	}
	return s
}

// countNotAttempted sets NotAttempted to the steps of Changes that no other
// count holds: those an operation that stopped early never reached.
func (r *Result) countNotAttempted() {
	if r.Changes == nil {
		return
	}
	n := len(r.Changes.StepKeys) - (r.Created + r.Updated + r.Deleted + r.UnChanged + r.Failed + r.Skipped +
		r.Excluded + r.Blocked + r.Unsupported)
	r.NotAttempted = max(n, 0)
}

// Apply makes the cluster match sp. ch is the preview the user confirmed; nil
// previews again under the lock. Each resource is recorded in the state
// as it is applied (written at most every stateWriteInterval, see saver).
func (e *Engine) Apply(ctx context.Context, sp *spec.Spec, ch *Changes, opts ApplyOptions) (*Result, error) {
	lock, err := e.store.Lock("apply", opts.ForceUnlock)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if ch == nil {
		if ch, err = e.Preview(ctx, sp, opts.PreviewOptions); err != nil {
			return nil, err
		}
	}
	if err := Refusal(ch, opts); err != nil {
		return nil, err
	}
	g, err := graph.New(sp.Resources)
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	st, err := e.store.Load()
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	saver := newSaver(e.store, st)
	defer saver.close()

	res := &Result{Changes: ch}
	ev := newEmitter(opts.OnEvent, len(ch.StepKeys))
	byID := make(map[string]spec.Resource, len(sp.Resources))
	for _, r := range sp.Resources {
		byID[r.ID] = r
	}
	var mu sync.Mutex
	applied := map[string]map[string]any{} // id -> object after apply, for references
	lookup := func(ref graph.Ref) (any, bool) {
		mu.Lock()
		obj := applied[ref.ID]
		mu.Unlock()
		if obj == nil {
			return nil, false
		}
		return graph.Lookup(obj, ref.Path)
	}
	count := func(a Action) {
		mu.Lock()
		defer mu.Unlock()
		switch a {
		case Create:
			res.Created++
		case Update:
			res.Updated++
		case Delete:
			res.Deleted++
		case UnChanged:
			res.UnChanged++
		}
	}
	fail := func() { mu.Lock(); res.Failed++; mu.Unlock() }
	skip := func(id, cause string) {
		mu.Lock()
		res.Skipped++
		mu.Unlock()
		var a Action
		if s := ch.ChangeSteps[id]; s != nil {
			a = s.Action
		}
		ev.emit(Event{Type: EventSkipped, ID: id, Action: a, Message: cause})
	}
	// leaveOut reports a step apply does not act on (!applicable) and
	// counts it under its action.
	leaveOut := func(s *Step) {
		ev.emit(Event{Type: EventSkipped, ID: s.ID, Action: s.Action, Message: s.Note})
		mu.Lock()
		defer mu.Unlock()
		switch s.Action {
		case Excluded:
			res.Excluded++
		case Blocked:
			res.Blocked++
		default:
			res.Unsupported++
		}
	}

	// Readiness awaited after the resource's dependents went ahead (see
	// runtime.DependableWaiter); those waits stop when the walk fails
	// (their dependents may be what they wait for).
	var later sync.WaitGroup
	var laterMu sync.Mutex
	var laterErrs []error
	laterCtx, stopLater := context.WithCancel(ctx)
	defer stopLater()
	applyOne := func(ctx context.Context, id string) error {
		step := ch.ChangeSteps[id]
		r := byID[id]
		if step == nil {
			return fmt.Errorf("not in the preview")
		}
		if !applicable(step.Action) {
			// Left out: dependents are Blocked steps too, so nothing
			// after it is applied.
			leaveOut(step)
			return nil
		}
		rt, err := e.cfg.Runtimes.For(r)
		if err != nil {
			fail()
			ev.emit(Event{Type: EventFailed, ID: id, Action: step.Action, Err: err})
			return err
		}
		attrs, unresolved := graph.Resolve(r.Attributes, lookup)
		if len(unresolved) > 0 {
			fail()
			err := fmt.Errorf("unresolved reference %s", unresolved[0].Raw)
			ev.emit(Event{Type: EventFailed, ID: id, Action: step.Action, Err: err})
			return err
		}
		r.Attributes = attrs
		if step.Action == UnChanged {
			obj := step.result
			if obj == nil {
				obj = step.live
			}
			mu.Lock()
			applied[id] = obj
			mu.Unlock()
			saver.put(e.recordOf(r))
			count(UnChanged)
			ev.emit(Event{Type: EventDone, ID: id, Action: UnChanged})
			return nil
		}
		start := time.Now()
		ev.emit(Event{Type: EventStart, ID: id, Action: step.Action})
		obj, err := rt.Apply(ctx, r, runtime.ApplyOptions{Force: opts.ForceConflicts})
		if err != nil {
			err = e.applyError(rt, r, err)
			fail()
			ev.emit(Event{Type: EventFailed, ID: id, Action: step.Action, Err: err, Elapsed: time.Since(start)})
			return err
		}
		mu.Lock()
		applied[id] = obj
		mu.Unlock()
		saver.put(e.recordOf(r))
		if opts.Watch {
			ev.emit(Event{Type: EventWaiting, ID: id, Action: step.Action})
			if dw, ok := rt.(runtime.DependableWaiter); ok {
				// Dependents go ahead once r can be depended on; the rest
				// of its readiness (a Service's endpoints, which may come
				// from its dependents) is awaited before Apply returns.
				wait, err := dw.WaitDependable(ctx, r, opts.WatchTimeout)
				if err != nil {
					fail()
					ev.emit(Event{Type: EventFailed, ID: id, Action: step.Action, Err: err, Elapsed: time.Since(start)})
					return err
				}
				if wait {
					later.Add(1)
					go func() {
						defer later.Done()
						if err := dw.WaitReady(laterCtx, r, opts.WatchTimeout); err != nil {
							if laterCtx.Err() != nil && ctx.Err() == nil {
								skip(id, "readiness not awaited: the apply failed")
								return
							}
							fail()
							ev.emit(Event{Type: EventFailed, ID: id, Action: step.Action, Err: err, Elapsed: time.Since(start)})
							laterMu.Lock()
							laterErrs = append(laterErrs, fmt.Errorf("%s: %w", id, err))
							laterMu.Unlock()
							return
						}
						count(step.Action)
						ev.emit(Event{Type: EventDone, ID: id, Action: step.Action, Elapsed: time.Since(start)})
					}()
					return nil
				}
			} else if err := waitReady(ctx, rt, r, opts.WatchTimeout); err != nil {
				fail()
				ev.emit(Event{Type: EventFailed, ID: id, Action: step.Action, Err: err, Elapsed: time.Since(start)})
				return err
			}
		}
		count(step.Action)
		ev.emit(Event{Type: EventDone, ID: id, Action: step.Action, Elapsed: time.Since(start)})
		return nil
	}
	walkErr := walk(ctx, g, g.Order(), maxConc(opts.MaxConcurrent), applyOne, skip)
	if walkErr != nil {
		stopLater()
	}
	later.Wait()
	if len(laterErrs) > 0 {
		walkErr = errors.Join(append([]error{walkErr}, laterErrs...)...)
	}

	// Deletions, dependents first, once the plan is applied.
	var delIDs []string
	delRes := map[string]spec.Resource{}
	for _, id := range ch.StepKeys {
		if s := ch.ChangeSteps[id]; !g.Has(id) && !applicable(s.Action) {
			leaveOut(s)
		} else if s.Action == Delete && !g.Has(id) {
			delIDs = append(delIDs, id)
			delRes[id] = s.res
		}
	}
	var delErr error
	switch {
	case len(delIDs) == 0:
	case walkErr == nil:
		delErr = e.deleteAll(ctx, delIDs, delRes, opts.MaxConcurrent, saver, ev, res)
	case ctx.Err() != nil:
		// Stopped: the deletions are not attempted (counted below).
	default:
		for _, id := range delIDs {
			skip(id, "apply failed before deletions")
		}
	}
	res.countNotAttempted()
	if err := saver.close(); err != nil {
		return res, err
	}
	if err := errors.Join(walkErr, delErr); err != nil {
		return res, fmt.Errorf("apply: %w", err)
	}
	return res, nil
}

// Refusal returns why a preview cannot be applied: resources of a type with
// no runtime that the options neither exclude nor skip, or resources the
// system rejected in the dry-run. Both name the resources.
func Refusal(ch *Changes, opts ApplyOptions) error {
	var unsupported []string
	for _, st := range ch.Steps() {
		if st.Action == Unsupported {
			unsupported = append(unsupported, st.ID)
		}
	}
	if len(unsupported) > 0 && !opts.SkipUnsupported {
		typeList := ch.typesOf(Unsupported)
		blocked := ch.Count(Blocked)
		return fmt.Errorf("apply refused: %d resources have a type with no runtime (%s), and %d resources depend on them:\n  %s\n"+
			"exclude the type to apply the rest, e.g. konfig-lsp apply --exclude-type %s (the resources depending on them stay blocked)",
			len(unsupported), strings.Join(typeList, ", "), blocked, strings.Join(unsupported, "\n  "), typeList[0])
	}
	if rej := ch.Rejected(); len(rej) > 0 {
		var lines []string
		for _, s := range rej {
			lines = append(lines, s.ID+": "+s.Error)
		}
		return fmt.Errorf("apply refused: the dry-run of %d resources was rejected:\n  %s", len(rej), strings.Join(lines, "\n  "))
	}
	return nil
}

// deleteAll deletes ids; a resource goes after every resource of the set
// that depends on it.
func (e *Engine) deleteAll(ctx context.Context, ids []string, rs map[string]spec.Resource, limit int, saver *saver, ev *emitter, res *Result) error {
	// dependents of x within the set must be deleted before x.
	dependents := map[string][]string{}
	for _, id := range ids {
		r := rs[id]
		deps := append([]string(nil), r.DependsOn...)
		for _, ref := range graph.Refs(r.Attributes) {
			deps = append(deps, ref.ID)
		}
		for _, d := range deps {
			if _, ok := rs[d]; ok && d != id {
				dependents[d] = append(dependents[d], id)
			}
		}
	}
	var mu sync.Mutex
	return walkDeps(ctx, ids, func(id string) []string { return dependents[id] }, maxConc(limit), func(ctx context.Context, id string) error {
		r := rs[id]
		rt, err := e.cfg.Runtimes.For(r)
		if err != nil {
			ev.emit(Event{Type: EventSkipped, ID: id, Action: Delete, Message: err.Error()})
			mu.Lock()
			res.Skipped++
			mu.Unlock()
			return nil
		}
		start := time.Now()
		ev.emit(Event{Type: EventStart, ID: id, Action: Delete})
		if err := rt.Delete(ctx, r); err != nil {
			mu.Lock()
			res.Failed++
			mu.Unlock()
			ev.emit(Event{Type: EventFailed, ID: id, Action: Delete, Err: err, Elapsed: time.Since(start)})
			return err
		}
		saver.remove(id)
		mu.Lock()
		res.Deleted++
		mu.Unlock()
		ev.emit(Event{Type: EventDone, ID: id, Action: Delete, Elapsed: time.Since(start)})
		return nil
	}, func(id, cause string) {
		mu.Lock()
		res.Skipped++
		mu.Unlock()
		ev.emit(Event{Type: EventSkipped, ID: id, Action: Delete, Message: cause})
	})
}

// DestroyOptions tune Destroy.
type DestroyOptions struct {
	ForceUnlock   bool
	MaxConcurrent int
	OnEvent       func(Event)
}

// DestroyPreview lists what Destroy would delete: the state's resources,
// dependents first.
func (e *Engine) DestroyPreview(ctx context.Context) (*Changes, error) {
	st, err := e.store.Load()
	if err != nil {
		return nil, fmt.Errorf("destroy: %w", err)
	}
	rs := make([]spec.Resource, 0, len(st.Resources))
	for _, r := range st.Resources {
		rs = append(rs, r.Resource)
	}
	order, err := deleteOrder(rs)
	if err != nil {
		return nil, fmt.Errorf("destroy: %w", err)
	}
	ch := &Changes{ChangeSteps: map[string]*Step{}}
	for _, r := range order {
		s := &Step{ID: r.ID, Action: Delete, res: r}
		if rt, err := e.cfg.Runtimes.For(r); err != nil {
			s.Action, s.Note = Unsupported, err.Error()
		} else if live, err := rt.Read(ctx, r); err != nil {
			return nil, fmt.Errorf("destroy: %w", err)
		} else if live == nil {
			s.Note = "already gone"
		} else {
			s.live = live
			s.From = rt.Comparable(live)
		}
		e.mask(s)
		ch.ChangeSteps[r.ID] = s
		ch.StepKeys = append(ch.StepKeys, r.ID)
	}
	return ch, nil
}

// Destroy deletes every resource the state holds, dependents first, and
// removes each from the state as it goes.
func (e *Engine) Destroy(ctx context.Context, opts DestroyOptions) (*Result, error) {
	lock, err := e.store.Lock("destroy", opts.ForceUnlock)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	ch, err := e.DestroyPreview(ctx)
	if err != nil {
		return nil, err
	}
	st, err := e.store.Load()
	if err != nil {
		return nil, fmt.Errorf("destroy: %w", err)
	}
	saver := newSaver(e.store, st)
	defer saver.close()
	res := &Result{Changes: ch}
	ev := newEmitter(opts.OnEvent, len(ch.StepKeys))
	rs := map[string]spec.Resource{}
	for _, s := range ch.Steps() {
		rs[s.ID] = s.res
	}
	delErr := e.deleteAll(ctx, ch.StepKeys, rs, opts.MaxConcurrent, saver, ev, res)
	res.countNotAttempted()
	if err := saver.close(); err != nil {
		return res, err
	}
	if delErr != nil {
		return res, fmt.Errorf("destroy: %w", delErr)
	}
	return res, nil
}

// recordOf is the state record of an applied resource; sensitive values
// (spec.Mask) are not kept.
func (e *Engine) recordOf(r spec.Resource) state.Resource {
	return state.Resource{Resource: spec.Mask(r, e.cfg.Sensitive), AppliedAt: now()}
}

// waitReady waits until the runtime calls the resource ready: by the
// runtime's own WaitReady when it is a runtime.Waiter, else by polling Read
// and Ready.
func waitReady(ctx context.Context, rt runtime.Runtime, r spec.Resource, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	if w, ok := rt.(runtime.Waiter); ok {
		return w.WaitReady(ctx, r, timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	reason := "not read yet"
	for {
		if obj, err := rt.Read(ctx, r); err == nil {
			var ok bool
			if ok, reason = rt.Ready(r, obj); ok {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s (%s): %w", timeout, reason, ctx.Err())
		case <-tick.C:
		}
	}
}

// emitter serialises events and counts finished resources.
type emitter struct {
	mu    sync.Mutex
	fn    func(Event)
	done  int
	total int
}

func newEmitter(fn func(Event), total int) *emitter { return &emitter{fn: fn, total: total} }

func (em *emitter) emit(e Event) {
	em.mu.Lock()
	defer em.mu.Unlock()
	if e.Type == EventDone || e.Type == EventFailed || e.Type == EventSkipped {
		em.done++
	}
	e.Done, e.Total = em.done, em.total
	if em.fn != nil {
		em.fn(e)
	}
}

// stateWriteInterval is the least time between two writes of the state
// during an operation. Writing the whole state (fsync, rename, fsync of the
// directory) after each of N resources, N times per apply, took about a
// third of apply's CPU on 200 resources, on the cores the API server needs
// too (bench/engine/ab.sh: 0.58× kubectl's wall time with a write per
// resource, 0.50× with this interval). The first change is written at once,
// the changes of the next interval together, the last ones when the
// operation ends; the state store keeps each record's encoding between
// writes. Every write is atomic, so the state stays valid whenever the
// process dies; a kill -9 loses at most the records of the last interval,
// whose objects the rerun finds live and adopts (UnChanged or Update).
const stateWriteInterval = 50 * time.Millisecond

// saver writes the state after changes, at most once per interval: a
// change is written at once when the last write is older than the
// interval, otherwise with the others of that interval; close writes the
// last.
type saver struct {
	store    state.Backend
	interval time.Duration
	onWrite  func(serial int) // tests: told of each write
	mu       sync.Mutex
	st       *state.State
	dirty    bool
	kick     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	err      error
	once     sync.Once
}

func newSaver(store state.Backend, st *state.State) *saver {
	return startSaver(store, st, stateWriteInterval, nil)
}

func startSaver(store state.Backend, st *state.State, interval time.Duration, onWrite func(int)) *saver {
	s := &saver{store: store, st: st, interval: interval, onWrite: onWrite,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *saver) put(r state.Resource) {
	s.mu.Lock()
	s.st.Put(r)
	s.dirty = true
	s.mu.Unlock()
	s.signal()
}

func (s *saver) remove(id string) {
	s.mu.Lock()
	s.st.Remove(id)
	s.dirty = true
	s.mu.Unlock()
	s.signal()
}

func (s *saver) signal() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *saver) loop() {
	defer close(s.done)
	var last time.Time
	for {
		select {
		case <-s.stop:
			return
		case <-s.kick:
		}
		if wait := time.Until(last.Add(s.interval)); !last.IsZero() && wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-s.stop:
				t.Stop()
				return // close writes what is left
			case <-t.C:
			}
		}
		s.flush()
		last = time.Now()
	}
}

func (s *saver) flush() {
	s.mu.Lock()
	if !s.dirty {
		s.mu.Unlock()
		return
	}
	s.dirty = false
	snap := s.st.Clone()
	s.mu.Unlock()
	if err := s.store.Save(snap); err != nil {
		s.mu.Lock()
		s.err = errors.Join(s.err, err)
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	s.st.Serial = snap.Serial
	s.st.CreatedAt = snap.CreatedAt
	s.st.UpdatedAt = snap.UpdatedAt
	s.mu.Unlock()
	if s.onWrite != nil {
		s.onWrite(snap.Serial)
	}
}

// close stops the loop, writes what changed since the last write and
// returns the write errors.
func (s *saver) close() error {
	s.once.Do(func() {
		close(s.stop)
		<-s.done
		s.flush()
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

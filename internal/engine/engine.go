// Package engine previews, applies and destroys a stack's resources: the
// stack's intent (a *spec.Spec) against the last state (.konfig/state.json in
// the stack directory) and the live objects read through a runtime per
// resource type (runtime/kubernetes for Kubernetes).
//
// Preview is three-way: plan (the spec), prior (the state) and live (the
// cluster); each resource gets the action Create, Update, Delete or
// UnChanged, decided on a server-side dry-run apply so that defaults and
// admission count. Resources the operation leaves out are reported, never
// skipped silently: Unsupported (a type with no runtime, e.g. Terraform),
// Excluded (PreviewOptions.ExcludeTypes, or not selected by
// PreviewOptions.Targets) and Blocked (depends on a left-out resource). A
// dry-run the system rejects is kept on its step (Step.Error, naming the
// field); a create whose namespace or CRD the same apply creates cannot be
// dry-run and says so in its note. Apply refuses a preview with Unsupported
// or rejected steps (Refusal), walks the dependency graph (graph.New) with
// bounded parallelism, records every resource in the state as it goes
// (atomic writes, batched at most every 50 ms), reports a
// rejection during the apply as a *RejectedError and skips its dependents,
// and deletes what left the plan in reverse dependency order. Destroy
// deletes what the state holds. Sensitive values (a Secret's, a Terraform
// password's: spec.Mask with Config.Sensitive) are masked in every step,
// diff, message, event and state record; a changed one shows as
// spec.MaskedChanged.
//
// Construct an Engine per stack:
//
//	eng := engine.New(engine.Config{StackDir: dir, Runtimes: runtime.Registry{spec.Kubernetes: kube}})
//	ch, err := eng.Preview(ctx, sp, engine.PreviewOptions{})
//	res, err := eng.Apply(ctx, sp, ch, engine.ApplyOptions{OnEvent: func(e engine.Event) {…}})
package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/konfig-lsp/konfig-lsp/internal/engine/graph"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/state"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// Action is what an operation does to one resource.
type Action string

// The actions of a preview.
const (
	Create      Action = "Create"
	Update      Action = "Update"
	Delete      Action = "Delete"
	UnChanged   Action = "UnChanged"
	Unsupported Action = "Unsupported" // a type with no runtime: reported, never applied
	Excluded    Action = "Excluded"    // a type the user left out (PreviewOptions.ExcludeTypes): reported, not applied
	Blocked     Action = "Blocked"     // depends on an Unsupported, Excluded or Blocked resource: reported, not applied
)

// applicable reports whether apply acts on a step of action a.
func applicable(a Action) bool { return a != Unsupported && a != Excluded && a != Blocked }

// Step is the change of one resource.
type Step struct {
	ID     string         `json:"id"`
	Action Action         `json:"action"`
	From   map[string]any `json:"from"` // live object (server-managed fields and ignored fields left out; sensitive values masked, see spec.Mask)
	To     map[string]any `json:"to"`   // the object after the change (same treatment; none for Unsupported and Excluded resources)
	// Note says why a step is special: a conflict with another field
	// manager, an unresolved reference, a missing runtime, what blocks it,
	// why no dry-run could validate it yet.
	Note string `json:"note,omitempty"`
	// Error is the system's rejection of the object in the preview's
	// dry-run (validation, admission), naming the offending fields when the
	// system does; apply refuses a preview with rejected steps.
	Error string `json:"error,omitempty"`

	blockers []string       // for Blocked: the Unsupported or Excluded resources at the root
	res      spec.Resource  // the resource (plan, or state for deletes)
	live     map[string]any // raw live object
	result   map[string]any // raw dry-run (or planned) object, for references
	conflict bool
}

// Changes is a preview: the steps in dependency order (deletes last).
type Changes struct {
	StepKeys    []string         `json:"stepKeys"`
	ChangeSteps map[string]*Step `json:"changeSteps"`
}

// Steps returns the steps in StepKeys order.
func (c *Changes) Steps() []*Step {
	out := make([]*Step, 0, len(c.StepKeys))
	for _, k := range c.StepKeys {
		out = append(out, c.ChangeSteps[k])
	}
	return out
}

// Count returns how many steps have action a.
func (c *Changes) Count(a Action) int {
	n := 0
	for _, s := range c.ChangeSteps {
		if s.Action == a {
			n++
		}
	}
	return n
}

// Rejected returns the steps whose dry-run the system rejected.
func (c *Changes) Rejected() []*Step {
	var out []*Step
	for _, s := range c.Steps() {
		if s.Error != "" {
			out = append(out, s)
		}
	}
	return out
}

// typesOf returns the types of the steps of action a, each once, in step
// order; Excluded steps that the targets left out are not counted (they are
// not excluded by type).
func (c *Changes) typesOf(a Action) []string {
	seen := map[string]bool{}
	var ts []string
	for _, s := range c.Steps() {
		if s.Action == a && !untargeted(s) && !seen[s.res.Type] {
			seen[s.res.Type] = true
			ts = append(ts, s.res.Type)
		}
	}
	return ts
}

// HasChanges reports whether any step creates, updates or deletes.
func (c *Changes) HasChanges() bool {
	return c.Count(Create)+c.Count(Update)+c.Count(Delete) > 0
}

// JSON encodes the changes as `{stepKeys, changeSteps: {id: {id, action, from, to}}}`
// (indented; <, > and & as they are, so that spec.Masked reads as it is).
func (c *Changes) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encode changes: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Config configures an Engine for one stack.
type Config struct {
	// StackDir is the stack's directory.
	StackDir string
	// StateDir holds state.json and the lock; default StackDir/.konfig.
	StateDir string
	// Backend, when set, keeps the state and the lock instead of the local
	// store in StateDir (e.g. kubestate: in the cluster).
	Backend state.Backend
	// Runtimes maps resource types to runtimes.
	Runtimes runtime.Registry
	// Logger receives debug logs; nil means slog.Default().
	Logger *slog.Logger
	// Sensitive says which attribute names are sensitive (spec.Matcher;
	// the zero value holds spec.DefaultSensitiveAttributes). Their values,
	// and a Secret's, are masked in steps, diffs, messages, events and the
	// state (spec.Mask).
	Sensitive spec.Matcher
}

// Engine runs operations on one stack.
type Engine struct {
	cfg   Config
	store state.Backend
	log   *slog.Logger
}

// New returns the engine of a stack.
func New(cfg Config) *Engine {
	if cfg.StateDir == "" {
		cfg.StateDir = filepath.Join(cfg.StackDir, ".konfig")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	store := cfg.Backend
	if store == nil {
		store = state.NewStore(cfg.StateDir)
	}
	return &Engine{cfg: cfg, store: store, log: cfg.Logger}
}

// Store returns the engine's local state store; nil when the state is kept
// by another backend (Backend).
func (e *Engine) Store() *state.Store {
	st, _ := e.store.(*state.Store)
	return st
}

// Backend returns where the engine keeps the stack's state and lock.
func (e *Engine) Backend() state.Backend { return e.store }

// PreviewOptions tune a preview.
type PreviewOptions struct {
	// IgnoreFields are dot-separated paths (e.g. "metadata.labels",
	// "spec.replicas") left out of the comparison; lists are walked into.
	IgnoreFields []string
	// ForceConflicts previews with conflicts taken over (as apply would).
	ForceConflicts bool
	// MaxConcurrent bounds parallel reads and dry-runs; default 10.
	MaxConcurrent int
	// AlwaysDryRun sends a dry-run apply for every live resource, even when
	// the live object already holds the planned one exactly as it was last
	// applied (see previewOne's fast path).
	AlwaysDryRun bool
	// ExcludeTypes are resource types (e.g. "Terraform") left out of the
	// operation: their resources are Excluded and the resources that depend
	// on them (dependsOn or an implicit reference, transitively) Blocked.
	// Resources of a type with no runtime that is not excluded are
	// Unsupported, and their dependents Blocked; Apply refuses such a plan.
	ExcludeTypes []string
	// Targets limit the operation to the resources whose ids match one of
	// these patterns ('*' matches any text) and the resources they depend
	// on, transitively; the others are Excluded ("not targeted"), and so
	// are deletions whose ids match no pattern. A pattern that matches no
	// resource is an error.
	Targets []string
}

func (o PreviewOptions) excluded(typ string) bool {
	for _, t := range o.ExcludeTypes {
		if strings.EqualFold(strings.TrimSpace(t), typ) {
			return true
		}
	}
	return false
}

// Preview computes the changes that applying sp would make.
func (e *Engine) Preview(ctx context.Context, sp *spec.Spec, opts PreviewOptions) (*Changes, error) {
	g, err := graph.New(sp.Resources)
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	prior, err := e.store.Load()
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	byID := make(map[string]spec.Resource, len(sp.Resources))
	for _, r := range sp.Resources {
		byID[r.ID] = r
	}
	// Let runtimes read in bulk.
	groups := map[runtime.Runtime][]spec.Resource{}
	for _, r := range sp.Resources {
		if rt, err := e.cfg.Runtimes.For(r); err == nil && !opts.excluded(r.Type) {
			groups[rt] = append(groups[rt], r)
		}
	}
	for _, p := range prior.Resources {
		if _, ok := byID[p.ID]; !ok && !opts.excluded(p.Type) {
			if rt, err := e.cfg.Runtimes.For(p.Resource); err == nil {
				groups[rt] = append(groups[rt], p.Resource)
			}
		}
	}
	for rt, rs := range groups {
		if pf, ok := rt.(runtime.Prefetcher); ok {
			if err := pf.Prefetch(ctx, rs); err != nil {
				return nil, fmt.Errorf("preview: %w", err)
			}
		}
	}

	targeted, err := selectTargets(g, prior, opts.Targets)
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	ch := &Changes{ChangeSteps: map[string]*Step{}}
	pv := &previewer{e: e, opts: opts, provides: providers(sp.Resources), ch: ch}
	var mu sync.Mutex
	err = walk(ctx, g, g.Order(), maxConc(opts.MaxConcurrent), func(ctx context.Context, id string) error {
		r := byID[id]
		lookup := refLookup(ch, &mu)
		mu.Lock()
		blockers := blockersOf(ch, g.DependsOn(id))
		mu.Unlock()
		var last *spec.Resource
		if p := prior.Get(id); p != nil {
			last = &p.Resource
		}
		var st *Step
		var stErr error
		if targeted != nil && !targeted(id) {
			st = notTargeted(r)
		} else if _, rterr := e.cfg.Runtimes.For(r); len(blockers) > 0 && rterr == nil && !opts.excluded(r.Type) {
			st, stErr = e.blockedStep(ctx, r, blockers, opts)
		} else {
			st, stErr = pv.previewOne(ctx, r, last, lookup, &mu)
		}
		if stErr != nil {
			return stErr
		}
		mu.Lock()
		ch.ChangeSteps[id] = st
		mu.Unlock()
		return nil
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	ch.StepKeys = g.Order()

	// Deletions: in the state, gone from the plan; dependents first.
	var gone []spec.Resource
	for _, p := range prior.Resources {
		if _, ok := byID[p.ID]; !ok {
			gone = append(gone, p.Resource)
		}
	}
	delOrder, err := deleteOrder(gone)
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	for _, r := range delOrder {
		st := &Step{ID: r.ID, Action: Delete, res: r}
		rt, err := e.cfg.Runtimes.For(r)
		if targeted != nil && !targeted(r.ID) {
			st.Action, st.Note = Excluded, "not targeted; left in the state"
		} else if opts.excluded(r.Type) {
			st.Action, st.Note = Excluded, "type "+r.Type+" excluded; left in the state"
		} else if err != nil {
			st.Action, st.Note = Unsupported, err.Error()
		} else {
			live, err := rt.Read(ctx, r)
			if err != nil {
				return nil, fmt.Errorf("preview: %w", err)
			}
			st.live = live
			if live != nil {
				st.From = ignoreFields(rt.Comparable(live), opts.IgnoreFields)
			} else {
				st.Note = "already gone"
			}
		}
		e.mask(st)
		ch.ChangeSteps[r.ID] = st
		ch.StepKeys = append(ch.StepKeys, r.ID)
	}
	return ch, nil
}

// refLookup resolves implicit references against the steps computed so far
// (a reference is to a dependency, whose step is done); mu guards ch.
func refLookup(ch *Changes, mu *sync.Mutex) func(graph.Ref) (any, bool) {
	return func(ref graph.Ref) (any, bool) {
		mu.Lock()
		st := ch.ChangeSteps[ref.ID]
		mu.Unlock()
		if st == nil || st.result == nil {
			return nil, false
		}
		return graph.Lookup(st.result, ref.Path)
	}
}

// previewOne decides the action of one planned resource. last is the
// resource as the state recorded it (nil when absent).
//
// A live resource is normally decided by a server-side dry-run apply. The
// fast path skips it when the dry-run cannot change anything: the state holds
// exactly these attributes as last applied (so server-side apply would drop
// no field), and the live object already holds every planned value (so no
// field would change). Anything else — a hand edit of a planned field, a
// field removed from the plan, a value the server normalises — goes through
// the dry-run.
func (pv *previewer) previewOne(ctx context.Context, r spec.Resource, last *spec.Resource, lookup func(graph.Ref) (any, bool), mu *sync.Mutex) (*Step, error) {
	e, opts := pv.e, pv.opts
	st := &Step{ID: r.ID, res: r}
	rt, err := e.cfg.Runtimes.For(r)
	// Left out: no To. The attributes of a type the operation leaves out
	// are not shown at all (spec.Mask would hide its sensitive ones).
	if opts.excluded(r.Type) {
		st.Action, st.Note = Excluded, "type "+r.Type+" excluded"
		return st, nil
	}
	if err != nil {
		st.Action, st.Note = Unsupported, "type "+r.Type+" has no runtime"
		return st, nil
	}
	attrs, unresolved := graph.Resolve(r.Attributes, lookup)
	r.Attributes = attrs
	st.res = r
	live, err := rt.Read(ctx, r)
	if err != nil {
		return nil, err
	}
	st.live = live
	switch {
	case live == nil:
		st.Action = Create
		st.result = attrs
		st.To = ignoreFields(rt.Comparable(attrs), opts.IgnoreFields)
		if len(unresolved) > 0 {
			st.Note = "not validated by a dry-run: unresolved reference " + unresolved[0].Raw
			break
		}
		mu.Lock()
		why := pv.pendingPrerequisite(r)
		mu.Unlock()
		if why != "" {
			// Its namespace (or CRD) is created by this apply: the server
			// would only answer that it is missing.
			st.Note = "not validated by a dry-run: " + why
			break
		}
		// The dry-run only validates: the diff and the references of
		// dependents keep the planned attributes (values the server assigns
		// in a dry-run, such as a cluster IP, are not the ones it will
		// assign).
		if _, err := rt.Apply(ctx, r, runtime.ApplyOptions{DryRun: true, Force: opts.ForceConflicts}); err != nil {
			class, msg := runtime.Classify(rt, r, err)
			msg = spec.Scrub(msg, r, e.cfg.Sensitive)
			switch {
			case class == runtime.ErrPrerequisite && pv.provided(r):
				st.Note = "not validated by a dry-run: " + msg + " (this apply creates it)"
			case class == runtime.ErrRejected:
				st.Error = msg
				st.Note = "rejected by " + r.Type
			case class == runtime.ErrPrerequisite:
				// Missing, and not created by this apply either.
				st.Error = msg
				st.Note = "cannot be applied"
			default:
				return nil, fmt.Errorf("dry-run: %w", e.scrubbed(r, err))
			}
		}
	case len(unresolved) > 0:
		st.Action = Update
		st.result = attrs
		st.From = ignoreFields(rt.Comparable(live), opts.IgnoreFields)
		st.To = ignoreFields(rt.Comparable(attrs), opts.IgnoreFields)
		st.Note = "unresolved reference " + unresolved[0].Raw
	case !opts.AlwaysDryRun && last != nil && reflect.DeepEqual(normalizeNumbers(last.Attributes), normalizeNumbers(attrs)) &&
		subset(normalizeNumbers(attrs), normalizeNumbers(live)):
		st.Action = UnChanged
		st.result = live
		st.From = ignoreFields(rt.Comparable(live), opts.IgnoreFields)
		st.To = st.From
	default:
		dry, err := rt.Apply(ctx, r, runtime.ApplyOptions{DryRun: true, Force: opts.ForceConflicts})
		var ce *runtime.ConflictError
		if errors.As(err, &ce) {
			st.conflict = true
			st.Note = "conflict: " + spec.Scrub(ce.Message, r, e.cfg.Sensitive)
			dry, err = rt.Apply(ctx, r, runtime.ApplyOptions{DryRun: true, Force: true})
		}
		if err != nil {
			if class, msg := runtime.Classify(rt, r, err); class == runtime.ErrRejected {
				st.Action = Update
				st.Error = spec.Scrub(msg, r, e.cfg.Sensitive)
				st.Note = "rejected by " + r.Type
				st.result = attrs
				st.From = ignoreFields(rt.Comparable(live), opts.IgnoreFields)
				st.To = ignoreFields(rt.Comparable(attrs), opts.IgnoreFields)
				break
			}
			return nil, fmt.Errorf("dry-run: %w", e.scrubbed(r, err))
		}
		st.result = dry
		st.From = ignoreFields(rt.Comparable(live), opts.IgnoreFields)
		st.To = ignoreFields(rt.Comparable(dry), opts.IgnoreFields)
		if reflect.DeepEqual(normalizeNumbers(st.From), normalizeNumbers(st.To)) {
			st.Action = UnChanged
		} else {
			st.Action = Update
		}
	}
	e.mask(st)
	return st, nil
}

// subset reports whether every value of plan is in live: maps key by key,
// lists of equal length element by element, scalars equal.
func subset(plan, live any) bool {
	switch p := plan.(type) {
	case map[string]any:
		l, ok := live.(map[string]any)
		if !ok {
			return false
		}
		for k, pv := range p {
			lv, ok := l[k]
			if !ok || !subset(pv, lv) {
				return false
			}
		}
		return true
	case []any:
		l, ok := live.([]any)
		if !ok || len(l) != len(p) {
			return false
		}
		for i := range p {
			if !subset(p[i], l[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(plan, live)
	}
}

// normalizeNumbers makes ints and floats of equal value compare equal.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = normalizeNumbers(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = normalizeNumbers(e)
		}
		return l
	case int:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case float32:
		return float64(x)
	default:
		return v
	}
}

// deleteOrder orders resources so that each comes before the resources it
// depends on (dependencies among the given set only).
func deleteOrder(rs []spec.Resource) ([]spec.Resource, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	in := map[string]bool{}
	for _, r := range rs {
		in[r.ID] = true
	}
	trimmed := make([]spec.Resource, len(rs))
	for i, r := range rs {
		r.DependsOn = nil
		for _, d := range rs[i].DependsOn {
			if in[d] {
				r.DependsOn = append(r.DependsOn, d)
			}
		}
		// References to resources outside the set do not order deletes.
		r.Attributes = nil
		trimmed[i] = r
	}
	g, err := graph.New(trimmed)
	if err != nil {
		return nil, err
	}
	order := g.Order()
	byID := map[string]spec.Resource{}
	for _, r := range rs {
		byID[r.ID] = r
	}
	out := make([]spec.Resource, 0, len(order))
	for i := len(order) - 1; i >= 0; i-- {
		out = append(out, byID[order[i]])
	}
	return out, nil
}

func maxConc(n int) int {
	if n <= 0 {
		return 10
	}
	return n
}

// walk runs fn for every id of order once all of its dependencies (deps(id),
// default g.DependsOn) among order succeeded, at most limit at a time. A
// failed node's dependents are skipped (reported through skip). Once ctx
// ends, nothing more starts: the nodes not started are neither run nor
// reported (the caller counts them as not attempted). It returns the joined
// errors of failed nodes, each under its id, and ctx's error.
func walk(ctx context.Context, g *graph.Graph, order []string, limit int, fn func(ctx context.Context, id string) error, skip func(id string, cause string)) error {
	return walkDeps(ctx, order, g.DependsOn, limit, fn, skip)
}

func walkDeps(ctx context.Context, order []string, deps func(string) []string, limit int, fn func(ctx context.Context, id string) error, skip func(id string, cause string)) error {
	in := make(map[string]bool, len(order))
	for _, id := range order {
		in[id] = true
	}
	pending := make(map[string]int, len(order))
	users := map[string][]string{}
	for _, id := range order {
		for _, d := range deps(id) {
			if in[d] {
				pending[id]++
				users[d] = append(users[d], id)
			}
		}
	}
	type result struct {
		id  string
		err error
	}
	done := make(chan result)
	sem := make(chan struct{}, limit)
	var errs []error
	failed := map[string]string{}
	remaining := len(order)
	running := 0
	var queue []string
	for _, id := range order {
		if pending[id] == 0 {
			queue = append(queue, id)
		}
	}
	start := func(id string) {
		running++
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			err := errNotStarted
			if ctx.Err() == nil {
				err = fn(ctx, id)
			}
			done <- result{id, err}
		}()
	}
	var markSkipped func(id, cause string)
	markSkipped = func(id, cause string) {
		for _, u := range users[id] {
			if _, seen := failed[u]; seen {
				continue
			}
			failed[u] = cause
			remaining--
			if skip != nil {
				skip(u, cause)
			}
			markSkipped(u, cause)
		}
	}
	for remaining > 0 {
		for len(queue) > 0 && ctx.Err() == nil {
			id := queue[0]
			queue = queue[1:]
			if _, f := failed[id]; f {
				continue
			}
			start(id)
		}
		if running == 0 {
			break
		}
		r := <-done
		running--
		remaining--
		if r.err == errNotStarted {
			continue
		}
		if r.err != nil {
			errs = append(errs, underID(r.id, r.err))
			failed[r.id] = "dependency " + r.id + " failed"
			markSkipped(r.id, "dependency "+r.id+" failed")
			continue
		}
		for _, u := range users[r.id] {
			pending[u]--
			if pending[u] == 0 {
				if _, f := failed[u]; !f {
					queue = append(queue, u)
				}
			}
		}
	}
	for running > 0 {
		r := <-done
		running--
		if r.err != nil && r.err != errNotStarted {
			errs = append(errs, underID(r.id, r.err))
		}
	}
	if ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	return errors.Join(errs...)
}

// errNotStarted is walk's mark of a node it did not run because ctx ended.
var errNotStarted = errors.New("not started")

// underID puts err under the id of its resource, unless its message names
// the resource already (a runtime's "apply <id>: …").
func underID(id string, err error) error {
	if msg := err.Error(); strings.Contains(msg, id+":") || strings.HasSuffix(msg, id) {
		return err
	}
	return fmt.Errorf("%s: %w", id, err)
}

// ignoreFields removes each dot path from a copy of obj; a list on the way
// applies the rest of the path to each element.
func ignoreFields(obj map[string]any, paths []string) map[string]any {
	if obj == nil || len(paths) == 0 {
		return obj
	}
	out := graph.DeepCopy(obj).(map[string]any)
	for _, p := range paths {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		removePath(out, strings.Split(p, "."))
	}
	return out
}

func removePath(v any, path []string) {
	switch x := v.(type) {
	case map[string]any:
		if len(path) == 1 {
			delete(x, path[0])
			return
		}
		if next, ok := x[path[0]]; ok {
			removePath(next, path[1:])
		}
	case []any:
		for _, e := range x {
			removePath(e, path)
		}
	}
}

// mask masks the sensitive values of From and To (spec.MaskAttributes, by
// the type of the step's resource and Config.Sensitive); a value of To that
// differs from From's is spec.MaskedChanged, so the diff shows that it
// changes without showing it.
func (e *Engine) mask(st *Step) {
	from := st.From
	st.From = spec.MaskAttributes(st.res.Type, from, nil, e.cfg.Sensitive)
	st.To = spec.MaskAttributes(st.res.Type, st.To, from, e.cfg.Sensitive)
}

// now is the clock of state timestamps.
func now() time.Time { return time.Now().UTC() }

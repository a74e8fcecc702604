package engine

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/engine/graph"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/state"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// previewer carries what the steps of one preview share.
type previewer struct {
	e        *Engine
	opts     PreviewOptions
	provides prerequisites
	ch       *Changes // guarded by the walk's mutex
}

// prerequisites are the Kubernetes Namespaces and CRDs a plan creates, which
// other resources of the plan may need before a dry-run can judge them.
type prerequisites struct {
	namespaces map[string]string // namespace name -> resource id
	kinds      map[string]string // "group/Kind" -> CRD resource id
}

// providers collects the Namespaces and CRDs of a plan.
func providers(rs []spec.Resource) prerequisites {
	p := prerequisites{namespaces: map[string]string{}, kinds: map[string]string{}}
	for _, r := range rs {
		if r.Type != spec.Kubernetes {
			continue
		}
		md, _ := r.Attributes["metadata"].(map[string]any)
		switch kind, _ := r.Attributes["kind"].(string); {
		case kind == "Namespace" && r.Attributes["apiVersion"] == "v1":
			if n, _ := md["name"].(string); n != "" {
				p.namespaces[n] = r.ID
			}
		case kind == "CustomResourceDefinition":
			sp, _ := r.Attributes["spec"].(map[string]any)
			names, _ := sp["names"].(map[string]any)
			group, _ := sp["group"].(string)
			if k, _ := names["kind"].(string); k != "" {
				p.kinds[group+"/"+k] = r.ID
			}
		}
	}
	return p
}

// groupKind returns "group/Kind" of a Kubernetes resource.
func groupKind(r spec.Resource) string {
	apiVersion, _ := r.Attributes["apiVersion"].(string)
	kind, _ := r.Attributes["kind"].(string)
	group := ""
	if i := strings.LastIndex(apiVersion, "/"); i >= 0 {
		group = apiVersion[:i]
	}
	return group + "/" + kind
}

func namespaceOf(r spec.Resource) string {
	md, _ := r.Attributes["metadata"].(map[string]any)
	ns, _ := md["namespace"].(string)
	return ns
}

// pendingPrerequisite says why a dry-run of r cannot succeed yet: its
// namespace or its kind's CRD is a step of this preview that creates it.
// Called with the walk's mutex held.
func (pv *previewer) pendingPrerequisite(r spec.Resource) string {
	if r.Type != spec.Kubernetes {
		return ""
	}
	if ns := namespaceOf(r); ns != "" {
		if id, ok := pv.provides.namespaces[ns]; ok {
			if s := pv.ch.ChangeSteps[id]; s != nil && s.Action == Create {
				return fmt.Sprintf("namespace %q is created by this apply (%s)", ns, id)
			}
		}
	}
	if id, ok := pv.provides.kinds[groupKind(r)]; ok {
		if s := pv.ch.ChangeSteps[id]; s != nil && s.Action == Create {
			return fmt.Sprintf("kind %s is defined by %s, created by this apply", groupKind(r), id)
		}
	}
	return ""
}

// provided reports whether the plan holds r's namespace or its kind's CRD.
func (pv *previewer) provided(r spec.Resource) bool {
	if r.Type != spec.Kubernetes {
		return false
	}
	_, ns := pv.provides.namespaces[namespaceOf(r)]
	_, kind := pv.provides.kinds[groupKind(r)]
	return ns || kind
}

// blockersOf returns the Unsupported or Excluded resources at the root of
// the given dependencies' steps (a Blocked dependency passes its own
// blockers on), sorted. Called with the walk's mutex held.
func blockersOf(ch *Changes, deps []string) []string {
	set := map[string]bool{}
	for _, d := range deps {
		s := ch.ChangeSteps[d]
		if s == nil {
			continue
		}
		switch s.Action {
		case Unsupported, Excluded:
			set[d] = true
		case Blocked:
			for _, b := range s.blockers {
				set[b] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// blockedStep is the step of a resource that depends on resources this
// operation leaves out: it is read (to show what is live) but neither
// dry-run nor applied.
func (e *Engine) blockedStep(ctx context.Context, r spec.Resource, blockers []string, opts PreviewOptions) (*Step, error) {
	st := &Step{ID: r.ID, Action: Blocked, res: r, blockers: blockers}
	st.Note = "blocked: depends on " + strings.Join(blockers, ", ") + ", which this operation leaves out"
	rt, err := e.cfg.Runtimes.For(r)
	if err != nil {
		return nil, err
	}
	live, err := rt.Read(ctx, r)
	if err != nil {
		return nil, err
	}
	st.live = live
	if live != nil {
		st.From = ignoreFields(rt.Comparable(live), opts.IgnoreFields)
	}
	st.To = ignoreFields(rt.Comparable(r.Attributes), opts.IgnoreFields)
	e.mask(st)
	return st, nil
}

// RejectedError is a resource the system refused to take (validation,
// admission, an undecodable value); Message names the offending fields when
// the system does.
type RejectedError struct {
	ID      string
	Type    string
	Message string
	Err     error
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("rejected by %s: %s", e.Type, e.Message)
}

func (e *RejectedError) Unwrap() error { return e.Err }

// applyError turns an error of rt.Apply(r) into a *RejectedError when the
// runtime calls it a rejection; r's sensitive values (spec.Scrub) never
// appear in its message, whatever its class.
func (e *Engine) applyError(rt runtime.Runtime, r spec.Resource, err error) error {
	if class, msg := runtime.Classify(rt, r, err); class == runtime.ErrRejected {
		return &RejectedError{ID: r.ID, Type: r.Type, Message: spec.Scrub(msg, r, e.cfg.Sensitive), Err: err}
	}
	return e.scrubbed(r, err)
}

// scrubbed returns err, an error about r, with r's sensitive values masked
// in its message (spec.Scrub); err itself when it quotes none.
func (e *Engine) scrubbed(r spec.Resource, err error) error {
	if msg := err.Error(); spec.Scrub(msg, r, e.cfg.Sensitive) != msg {
		return &scrubbedError{msg: spec.Scrub(msg, r, e.cfg.Sensitive), err: err}
	}
	return err
}

// scrubbedError is an error whose message quoted sensitive values: its
// message has them masked, and it unwraps to the original (for errors.Is
// and errors.As; never print the original).
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }

func (e *scrubbedError) Unwrap() error { return e.err }

// selectTargets returns, for target patterns, whether an id is in the
// operation: planned resources matching a pattern and everything they depend
// on; resources of the state only (deletions) when they match a pattern
// themselves. No patterns: nil (everything is).
func selectTargets(g *graph.Graph, prior *state.State, patterns []string) (func(string) bool, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	var res []*regexp.Regexp
	for _, p := range patterns {
		re, err := regexp.Compile("^" + strings.ReplaceAll(regexp.QuoteMeta(strings.TrimSpace(p)), `\*`, ".*") + "$")
		if err != nil {
			return nil, fmt.Errorf("target %q: %w", p, err)
		}
		res = append(res, re)
	}
	matches := func(id string) bool {
		for _, re := range res {
			if re.MatchString(id) {
				return true
			}
		}
		return false
	}
	in := map[string]bool{}
	var add func(id string)
	add = func(id string) {
		if in[id] {
			return
		}
		in[id] = true
		for _, d := range g.DependsOn(id) {
			add(d)
		}
	}
	for _, id := range g.IDs() {
		if matches(id) {
			add(id)
		}
	}
	for _, r := range prior.Resources {
		if !g.Has(r.ID) && matches(r.ID) {
			in[r.ID] = true
		}
	}
	for i, re := range res {
		found := false
		for id := range in {
			if re.MatchString(id) {
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("target %q matches no resource of the stack or its state", patterns[i])
		}
	}
	return func(id string) bool { return in[id] }, nil
}

// untargeted reports whether s is the step of a resource (planned, or a
// deletion) that the targets leave out: notTargeted's, or Preview's
// "not targeted; left in the state".
func untargeted(s *Step) bool {
	return s.Action == Excluded && strings.HasPrefix(s.Note, "not targeted")
}

// notTargeted is the step of a planned resource that the targets leave out.
func notTargeted(r spec.Resource) *Step {
	st := &Step{ID: r.ID, Action: Excluded, res: r, Note: "not targeted"}
	return st
}

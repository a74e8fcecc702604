package engine_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/konfig-lsp/konfig-lsp/internal/engine"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/graph"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/k8stest"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime/kubernetes"
	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// Floors of TestKonfigCorpusStacks: stacks whose Kubernetes resources apply
// (resources of a type with no runtime excluded, their dependents blocked),
// check out through the API, re-apply as all UnChanged and destroy; and
// stacks the API server rejects as testdata/corpus/expect.yaml says.
const (
	corpusAppliedFloor  = 26
	corpusRejectedFloor = 2
)

// corpusDir returns ../shared/corpus/konfig next to the repository.
func corpusDir(t *testing.T) string {
	root, err := k8stest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "..", "shared", "corpus", "konfig")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("Konfig corpus not found at %s (the corpus lives beside the repository)", dir)
	}
	return dir
}

// loadGolden reads a stack's ci-test/stdout.golden.yaml as a spec.
func loadGolden(path string) (*spec.Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rs []spec.Resource
	if err := yaml.Unmarshal(data, &rs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &spec.Spec{Resources: rs}, nil
}

// isolate renames every namespace N of sp to N-<suffix> (objects, ids,
// dependsOn and references), so that stacks sharing a namespace do not meet.
// It returns the renamed spec and the renaming of ids.
func isolate(sp *spec.Spec, suffix string) (*spec.Spec, func(string) string) {
	names := map[string]bool{}
	for _, r := range sp.Resources {
		if r.Type != spec.Kubernetes {
			continue
		}
		md, _ := r.Attributes["metadata"].(map[string]any)
		if ns, _ := md["namespace"].(string); ns != "" {
			names[ns] = true
		}
		if r.Attributes["kind"] == "Namespace" {
			if n, _ := md["name"].(string); n != "" {
				names[n] = true
			}
		}
	}
	for _, sys := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		delete(names, sys) // exist in every cluster; never created by a stack
	}
	renameID := func(id string) string {
		parts := strings.Split(id, ":")
		switch {
		case len(parts) == 3 && parts[1] == "Namespace" && names[parts[2]]:
			parts[2] += "-" + suffix
		case len(parts) == 4 && names[parts[2]]:
			parts[2] += "-" + suffix
		}
		return strings.Join(parts, ":")
	}
	out := &spec.Spec{}
	for _, r := range sp.Resources {
		r.ID = renameID(r.ID)
		var deps []string
		for _, d := range r.DependsOn {
			deps = append(deps, renameID(d))
		}
		r.DependsOn = deps
		attrs, _ := graph.Resolve(r.Attributes, func(ref graph.Ref) (any, bool) {
			return graph.ImplicitRefPrefix + renameID(ref.ID) + strings.TrimPrefix(ref.Raw, graph.ImplicitRefPrefix+ref.ID), true
		})
		if r.Type == spec.Kubernetes {
			md, _ := attrs["metadata"].(map[string]any)
			if ns, _ := md["namespace"].(string); names[ns] {
				md["namespace"] = ns + "-" + suffix
			}
			if attrs["kind"] == "Namespace" {
				if n, _ := md["name"].(string); names[n] {
					md["name"] = n + "-" + suffix
				}
			}
		}
		r.Attributes = attrs
		out.Resources = append(out.Resources, r)
	}
	return out, renameID
}

// corpusExpect is testdata/corpus/expect.yaml.
type corpusExpect struct {
	Rejected map[string]rejection `yaml:"rejected"`
}

// rejection is a resource the API server must reject and the field its
// message must name.
type rejection struct {
	ID    string `yaml:"id"`
	Field string `yaml:"field"`
}

// events records the events of one operation.
type events struct{ list []engine.Event }

func (e *events) add(ev engine.Event) { e.list = append(e.list, ev) }

// ids returns the ids of events of type typ (and, when given, action a), sorted.
func (e *events) ids(typ engine.EventType, a ...engine.Action) []string {
	var out []string
	for _, ev := range e.list {
		if ev.Type == typ && (len(a) == 0 || ev.Action == a[0]) {
			out = append(out, ev.ID)
		}
	}
	sort.Strings(out)
	return out
}

// sortedKeys returns the keys of set, sorted.
func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// dependents returns every resource of g that depends on one of roots,
// transitively (roots excluded).
func dependents(g *graph.Graph, roots []string) map[string]bool {
	out := map[string]bool{}
	var visit func(id string)
	visit = func(id string) {
		for _, u := range g.Dependents(id) {
			if !out[u] {
				out[u] = true
				visit(u)
			}
		}
	}
	for _, r := range roots {
		visit(r)
	}
	for _, r := range roots {
		delete(out, r)
	}
	return out
}

// stateIDs returns the ids the stack's state holds, sorted.
func stateIDs(eng *engine.Engine) ([]string, error) {
	st, err := eng.Store().Load()
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	ids := []string{}
	for _, r := range st.Resources {
		ids = append(ids, r.ID)
	}
	sort.Strings(ids)
	return ids, nil
}

// liveContains reports where live lacks or differs from plan (maps key by
// key, lists element by element, numbers by value); "" when it holds it all.
func liveContains(plan, live any, path string) string {
	switch p := plan.(type) {
	case map[string]any:
		l, ok := live.(map[string]any)
		if !ok {
			return path
		}
		for k, pv := range p {
			lv, ok := l[k]
			if !ok && isZero(pv) {
				continue // the server drops zero values of omitempty fields
			}
			if !ok {
				return path + "." + k
			}
			if where := liveContains(pv, lv, path+"."+k); where != "" {
				return where
			}
		}
		return ""
	case []any:
		l, ok := live.([]any)
		if !ok || len(l) != len(p) {
			return path
		}
		for i := range p {
			if where := liveContains(p[i], l[i], fmt.Sprintf("%s[%d]", path, i)); where != "" {
				return where
			}
		}
		return ""
	default:
		if pf, ok := number(plan); ok {
			if lf, ok := number(live); ok && pf == lf {
				return ""
			}
			return path
		}
		if !reflect.DeepEqual(plan, live) {
			return path
		}
		return ""
	}
}

// planned returns r's attributes as the server keeps them: without
// metadata.namespace for a cluster-scoped kind (the server drops it).
func planned(rt *kubernetes.Runtime, r spec.Resource) map[string]any {
	apiVersion, _ := r.Attributes["apiVersion"].(string)
	kind, _ := r.Attributes["kind"].(string)
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return r.Attributes
	}
	m, err := rt.Mapper().RESTMapping(gv.WithKind(kind).GroupKind(), gv.Version)
	if err != nil || m.Scope.Name() != meta.RESTScopeNameRoot {
		return r.Attributes
	}
	attrs := graph.DeepCopy(r.Attributes).(map[string]any)
	if md, ok := attrs["metadata"].(map[string]any); ok {
		delete(md, "namespace")
	}
	return attrs
}

// isZero reports whether v is a zero value: 0, "", false, null, {} or [].
func isZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	case string:
		return x == ""
	case bool:
		return !x
	}
	f, ok := number(v)
	return ok && f == 0
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// secretValues returns the data and stringData values of the spec's Secrets.
func secretValues(sp *spec.Spec) []string {
	var out []string
	for _, r := range sp.Resources {
		if r.Attributes["kind"] != "Secret" {
			continue
		}
		for _, f := range []string{"data", "stringData"} {
			m, _ := r.Attributes[f].(map[string]any)
			for _, v := range m {
				if s, ok := v.(string); ok && len(s) >= 4 {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// leaks returns an error when a Secret value of sp appears in any of texts.
func leaks(sp *spec.Spec, texts ...string) error {
	for _, v := range secretValues(sp) {
		for _, t := range texts {
			if strings.Contains(t, v) {
				return fmt.Errorf("a Secret value appears in the output: %.80q", t)
			}
		}
	}
	return nil
}

// noRuntimeTypes returns the types of sp's resources that reg has no runtime
// for, sorted.
func noRuntimeTypes(reg runtime.Registry, sp *spec.Spec) []string {
	set := map[string]bool{}
	for _, r := range sp.Resources {
		if _, err := reg.For(r); err != nil {
			set[r.Type] = true
		}
	}
	return sortedKeys(set)
}

// checkApplied applies sp and checks, step by step, what a user relies on:
//
//   - with resources of a type with no runtime, apply without excluding the
//     type is refused, naming each of them, and changes nothing;
//   - with those types excluded, exactly the resources of the other types
//     that do not depend on them are applied; those of the excluded types
//     are reported Excluded and their dependents Blocked, neither applied;
//   - every applied object is live and holds its planned fields, no blocked
//     one is; the state holds exactly the applied resources;
//   - a second preview shows them all UnChanged, a second apply changes
//     nothing;
//   - destroy deletes them all (gone or being deleted) and empties the state.
func checkApplied(ctx context.Context, rt *kubernetes.Runtime, stateDir string, sp *spec.Spec) (string, error) {
	reg := runtime.Registry{spec.Kubernetes: rt}
	eng := engine.New(engine.Config{StackDir: stateDir, Runtimes: reg})
	g, err := graph.New(sp.Resources)
	if err != nil {
		return "", err
	}
	exclude := noRuntimeTypes(reg, sp)
	excluded := map[string]bool{}
	for _, r := range sp.Resources {
		for _, t := range exclude {
			if r.Type == t {
				excluded[r.ID] = true
			}
		}
	}
	blocked := dependents(g, sortedKeys(excluded))
	for id := range excluded {
		delete(blocked, id)
	}
	applied := map[string]bool{}
	byID := map[string]spec.Resource{}
	for _, r := range sp.Resources {
		byID[r.ID] = r
		if !excluded[r.ID] && !blocked[r.ID] {
			applied[r.ID] = true
		}
	}

	if len(exclude) > 0 {
		_, err := eng.Apply(ctx, sp, nil, engine.ApplyOptions{})
		if err == nil {
			eng.Destroy(ctx, engine.DestroyOptions{})
			return "", fmt.Errorf("apply of a plan with resources of type %v was not refused", exclude)
		}
		for id := range excluded {
			if !strings.Contains(err.Error(), id) {
				return "", fmt.Errorf("the refusal does not name %s: %v", id, err)
			}
		}
		if ids, err := stateIDs(eng); err != nil || len(ids) > 0 {
			return "", fmt.Errorf("a refused apply left state %v (%v)", ids, err)
		}
	}

	var ev events
	opts := engine.ApplyOptions{PreviewOptions: engine.PreviewOptions{ExcludeTypes: exclude}, OnEvent: ev.add}
	res, err := eng.Apply(ctx, sp, nil, opts)
	if err != nil {
		eng.Destroy(ctx, engine.DestroyOptions{})
		return "", fmt.Errorf("apply: %w", err)
	}
	var errs []string
	check := func(what string, want, got any) {
		if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
			errs = append(errs, fmt.Sprintf("%s (-want +got):\n%s", what, d))
		}
	}
	check("applied (done events)", sortedKeys(applied), ev.ids(engine.EventDone))
	check("excluded (skipped events)", sortedKeys(excluded), ev.ids(engine.EventSkipped, engine.Excluded))
	check("blocked (skipped events)", sortedKeys(blocked), ev.ids(engine.EventSkipped, engine.Blocked))
	check("counts", [4]int{len(applied), len(excluded), len(blocked), 0},
		[4]int{res.Created + res.Updated + res.UnChanged, res.Excluded, res.Blocked, res.Failed + res.Skipped + res.Unsupported})

	for _, id := range sortedKeys(applied) {
		live, err := rt.Read(ctx, byID[id])
		switch {
		case err != nil:
			errs = append(errs, fmt.Sprintf("read %s: %v", id, err))
		case live == nil:
			errs = append(errs, fmt.Sprintf("%s was applied but is not in the cluster", id))
		default:
			if where := liveContains(planned(rt, byID[id]), live, ""); where != "" {
				errs = append(errs, fmt.Sprintf("live %s differs from the plan at %s", id, where))
			}
		}
	}
	for _, id := range sortedKeys(blocked) {
		if _, err := reg.For(byID[id]); err != nil {
			continue
		}
		if live, err := rt.Read(ctx, byID[id]); err != nil || live != nil {
			errs = append(errs, fmt.Sprintf("blocked %s is in the cluster (%v)", id, err))
		}
	}
	ids, err := stateIDs(eng)
	if err != nil {
		errs = append(errs, err.Error())
	}
	check("state after apply", sortedKeys(applied), ids)

	ch, err := eng.Preview(ctx, sp, opts.PreviewOptions)
	if err != nil {
		errs = append(errs, fmt.Sprintf("preview after apply: %v", err))
	} else {
		for _, s := range ch.Steps() {
			want := engine.UnChanged
			if excluded[s.ID] {
				want = engine.Excluded
			} else if blocked[s.ID] {
				want = engine.Blocked
			}
			if s.Action != want {
				d, _ := engine.StepDiff(s, false)
				errs = append(errs, fmt.Sprintf("after apply, %s is %s, want %s:\n%s", s.ID, s.Action, want, d))
			}
		}
	}
	res2, err := eng.Apply(ctx, sp, nil, engine.ApplyOptions{PreviewOptions: opts.PreviewOptions})
	if err != nil {
		errs = append(errs, fmt.Sprintf("re-apply: %v", err))
	} else {
		check("re-apply: unchanged, changed", [2]int{len(applied), 0}, [2]int{res2.UnChanged, res2.Created + res2.Updated + res2.Deleted + res2.Failed})
	}

	dres, err := eng.Destroy(ctx, engine.DestroyOptions{})
	if err != nil {
		errs = append(errs, fmt.Sprintf("destroy: %v", err))
	} else {
		check("destroy: deleted", len(applied), dres.Deleted)
	}
	for _, id := range sortedKeys(applied) {
		live, err := rt.Read(ctx, byID[id])
		if err != nil {
			errs = append(errs, fmt.Sprintf("read %s after destroy: %v", id, err))
			continue
		}
		if md, _ := live["metadata"].(map[string]any); live != nil && md["deletionTimestamp"] == nil {
			errs = append(errs, fmt.Sprintf("%s is still live after destroy", id))
		}
	}
	if ids, err := stateIDs(eng); err != nil || len(ids) > 0 {
		errs = append(errs, fmt.Sprintf("state after destroy: %v (%v)", ids, err))
	}
	if len(errs) > 0 {
		return "", errors.New(strings.Join(errs, "\n"))
	}
	note := fmt.Sprintf("apply %s; destroy %s", res.Summary(), dres.Summary())
	if len(exclude) > 0 {
		note += fmt.Sprintf("; type %s excluded", strings.Join(exclude, ", "))
	}
	return note, nil
}

// checkRejected applies sp, whose resource want.ID the API server rejects,
// and checks what a user relies on:
//
//   - the first preview notes that no dry-run could judge the resource (the
//     stack creates its namespace);
//   - apply fails with a *engine.RejectedError of that resource whose
//     message names the offending field;
//   - the resource and everything depending on it are reported skipped or
//     failed, never applied; the state file loads and holds exactly the
//     resources reported applied, all of them live;
//   - a preview now (the namespace exists) reports the rejection of the
//     dry-run on that resource, naming the field; apply refuses it, naming
//     both, and changes nothing;
//   - no Secret value appears in any of that output;
//   - destroy removes what was applied and empties the state.
func checkRejected(ctx context.Context, rt *kubernetes.Runtime, stateDir string, sp *spec.Spec, want rejection) (string, error) {
	reg := runtime.Registry{spec.Kubernetes: rt}
	eng := engine.New(engine.Config{StackDir: stateDir, Runtimes: reg})
	defer eng.Destroy(ctx, engine.DestroyOptions{})
	g, err := graph.New(sp.Resources)
	if err != nil {
		return "", err
	}
	if !g.Has(want.ID) {
		return "", fmt.Errorf("expect.yaml: the stack has no resource %s", want.ID)
	}
	byID := map[string]spec.Resource{}
	for _, r := range sp.Resources {
		byID[r.ID] = r
	}
	// Before the first apply the stack's namespace does not exist, so the
	// dry-run cannot judge the resource: the preview must say so.
	first, err := eng.Preview(ctx, sp, engine.PreviewOptions{})
	if err != nil {
		return "", fmt.Errorf("first preview: %w", err)
	}
	if s := first.ChangeSteps[want.ID]; s == nil || !strings.HasPrefix(s.Note, "not validated by a dry-run") {
		return "", fmt.Errorf("first preview: %s is not noted as not validated by a dry-run: %+v", want.ID, s)
	}
	var ev events
	res, err := eng.Apply(ctx, sp, first, engine.ApplyOptions{OnEvent: ev.add})
	if err == nil {
		return "", fmt.Errorf("apply succeeded; want %s rejected", want.ID)
	}
	var rej *engine.RejectedError
	if !errors.As(err, &rej) || rej.ID != want.ID || !strings.Contains(err.Error(), want.ID) || !strings.Contains(err.Error(), want.Field) {
		return "", fmt.Errorf("apply error does not report the rejection of %s naming %s: %v", want.ID, want.Field, err)
	}
	var errs []string
	check := func(what string, want, got any) {
		if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
			errs = append(errs, fmt.Sprintf("%s (-want +got):\n%s", what, d))
		}
	}
	check("failed", []string{want.ID}, ev.ids(engine.EventFailed))
	after := dependents(g, []string{want.ID})
	done := ev.ids(engine.EventDone)
	for _, id := range done {
		if after[id] {
			errs = append(errs, fmt.Sprintf("%s depends on the rejected %s but was reported applied", id, want.ID))
		}
	}
	check("skipped (the rejected resource's dependents)", sortedKeys(after), ev.ids(engine.EventSkipped))
	check("counts: applied, failed, skipped", [3]int{len(done), 1, len(after)}, [3]int{res.Created + res.Updated + res.UnChanged, res.Failed, res.Skipped})
	ids, err := stateIDs(eng)
	if err != nil {
		errs = append(errs, err.Error())
	}
	if done == nil {
		done = []string{}
	}
	check("state after the failed apply", done, ids)
	for _, id := range ids {
		if live, err := rt.Read(ctx, byID[id]); err != nil || live == nil {
			errs = append(errs, fmt.Sprintf("%s is in the state but not live (%v)", id, err))
		}
	}
	stateData, _ := os.ReadFile(eng.Store().Path())

	ch, err := eng.Preview(ctx, sp, engine.PreviewOptions{})
	var table bytes.Buffer
	var js []byte
	var refusal error
	if err != nil {
		errs = append(errs, fmt.Sprintf("preview after the failed apply: %v", err))
	} else {
		var got []string
		for _, s := range ch.Rejected() {
			got = append(got, s.ID)
			if !strings.Contains(s.Error, want.Field) {
				errs = append(errs, fmt.Sprintf("the dry-run rejection of %s does not name %s: %s", s.ID, want.Field, s.Error))
			}
		}
		check("rejected in the preview", []string{want.ID}, got)
		engine.WriteTable(&table, "", ch)
		js, _ = ch.JSON()
		serial := mustSerial(eng)
		_, refusal = eng.Apply(ctx, sp, ch, engine.ApplyOptions{})
		if refusal == nil || !strings.Contains(refusal.Error(), want.ID) || !strings.Contains(refusal.Error(), want.Field) {
			errs = append(errs, fmt.Sprintf("apply of the rejected preview was not refused naming %s and %s: %v", want.ID, want.Field, refusal))
		} else if s := mustSerial(eng); s != serial {
			errs = append(errs, fmt.Sprintf("the refused apply wrote the state (serial %d -> %d)", serial, s))
		}
	}
	texts := []string{err2s(err), table.String(), string(js), string(stateData), err2s(refusal)}
	if e := leaks(sp, texts...); e != nil {
		errs = append(errs, e.Error())
	}

	dres, err := eng.Destroy(ctx, engine.DestroyOptions{})
	if err != nil {
		errs = append(errs, fmt.Sprintf("destroy: %v", err))
	} else {
		check("destroy: deleted", len(done), dres.Deleted)
	}
	if ids, err := stateIDs(eng); err != nil || len(ids) > 0 {
		errs = append(errs, fmt.Sprintf("state after destroy: %v (%v)", ids, err))
	}
	if len(errs) > 0 {
		return "", errors.New(strings.Join(errs, "\n"))
	}
	return fmt.Sprintf("%s rejected: %s; %d applied before it, %d dependents skipped", want.ID, rej.Message, len(done), len(after)), nil
}

func err2s(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// mustSerial returns the serial of the stack's state, -1 when it cannot be
// loaded.
func mustSerial(eng *engine.Engine) int {
	st, err := eng.Store().Load()
	if err != nil {
		return -1
	}
	return st.Serial
}

// installCRDs applies testdata/corpus/crds.yaml (our stand-ins for the
// CRDs of operators that some corpus stacks need) as a stack of its own,
// and destroys it when the test ends.
func installCRDs(t *testing.T, rt *kubernetes.Runtime) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "corpus", "crds.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sp := &spec.Spec{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("crds.yaml: %v", err)
		}
		if obj == nil {
			continue
		}
		md, _ := obj["metadata"].(map[string]any)
		sp.Resources = append(sp.Resources, spec.Resource{
			ID:         fmt.Sprintf("%s:%s:%s", obj["apiVersion"], obj["kind"], md["name"]),
			Type:       spec.Kubernetes,
			Attributes: obj,
		})
	}
	eng := engine.New(engine.Config{StackDir: t.TempDir(), Runtimes: runtime.Registry{spec.Kubernetes: rt}})
	ctx := context.Background()
	if _, err := eng.Apply(ctx, sp, nil, engine.ApplyOptions{}); err != nil {
		t.Fatalf("install the stand-in CRDs: %v", err)
	}
	t.Cleanup(func() {
		if _, err := eng.Destroy(ctx, engine.DestroyOptions{}); err != nil {
			t.Errorf("remove the stand-in CRDs: %v", err)
		}
	})
	t.Logf("installed %d stand-in CRDs (testdata/corpus/crds.yaml)", len(sp.Resources))
}

// TestKonfigCorpusStacks runs every Konfig corpus stack (its golden spec,
// namespaces renamed apart) against the real API server, with our stand-in
// CRDs for the Prometheus operator's and KubeVela's kinds installed: the
// stacks of testdata/corpus/expect.yaml must be rejected as it says
// (checkRejected); every other one must apply (checkApplied), with the
// resources of a type with no runtime (Terraform) excluded and their
// dependents blocked.
func TestKonfigCorpusStacks(t *testing.T) {
	dir := corpusDir(t)
	c := cluster.Need(t)
	var expect corpusExpect
	data, err := os.ReadFile(filepath.Join("testdata", "corpus", "expect.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &expect); err != nil {
		t.Fatalf("expect.yaml: %v", err)
	}
	var goldens []string
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "stdout.golden.yaml" && filepath.Base(filepath.Dir(p)) == "ci-test" {
			goldens = append(goldens, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(goldens)
	rt, err := kubernetes.New(kubernetes.Config{Kubeconfig: c.Kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	installCRDs(t, rt)
	ctx := context.Background()
	nonce := fmt.Sprint(time.Now().UnixNano()) // namespaces of earlier runs may still be terminating
	applied, excluding, rejected, failed := 0, 0, 0, 0
	seen := map[string]bool{}
	for _, golden := range goldens {
		stackDir := filepath.Dir(filepath.Dir(golden))
		rel, _ := filepath.Rel(dir, stackDir)
		rel = filepath.ToSlash(rel)
		seen[rel] = true
		sum := sha256.Sum256([]byte(rel + nonce))
		sp, err := loadGolden(golden)
		if err != nil {
			t.Fatal(err)
		}
		sp, rename := isolate(sp, hex.EncodeToString(sum[:3]))
		var note string
		want, mustReject := expect.Rejected[rel]
		if mustReject {
			want.ID = rename(want.ID)
			note, err = checkRejected(ctx, rt, t.TempDir(), sp, want)
		} else {
			note, err = checkApplied(ctx, rt, t.TempDir(), sp)
		}
		switch {
		case err != nil:
			failed++
			t.Logf("FAIL     %s: %v", rel, err)
		case mustReject:
			rejected++
			t.Logf("rejected %s: %s", rel, note)
		default:
			applied++
			if strings.Contains(note, "excluded") {
				excluding++
			}
			t.Logf("applied  %s: %s", rel, note)
		}
	}
	for rel := range expect.Rejected {
		if !seen[rel] {
			t.Errorf("expect.yaml names %s, which is not a corpus stack", rel)
		}
	}
	fmt.Printf("konfig corpus stacks on a real API server: %d applied (%d with resources of a type with no runtime excluded), %d rejected as expected, %d failed (%d passed, %d failed)\n",
		applied, excluding, rejected, failed, applied+rejected, failed)
	if applied < corpusAppliedFloor {
		t.Errorf("%d stacks applied, below the floor of %d", applied, corpusAppliedFloor)
	}
	if rejected < corpusRejectedFloor {
		t.Errorf("%d stacks rejected as expected, below the floor of %d", rejected, corpusRejectedFloor)
	}
}

// exampleFloor is the number of the repository's examples/ stacks that must
// apply, re-preview as all UnChanged and destroy.
const exampleFloor = 4

// TestExampleStacks applies the repository's own examples/ stacks: compiled
// with konfig.Compile, or from their ci-test/stdout.golden.yaml while the
// compile fails (logged).
func TestExampleStacks(t *testing.T) {
	c := cluster.Need(t)
	root, err := k8stest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	stacks, err := filepath.Glob(filepath.Join(root, "examples", "*", "*", "stack.yaml"))
	if err != nil || len(stacks) == 0 {
		t.Skipf("no examples/ stacks (%v)", err)
	}
	rt, err := kubernetes.New(kubernetes.Config{Kubeconfig: c.Kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	nonce := fmt.Sprint(time.Now().UnixNano())
	passed, failed := 0, 0
	for _, sf := range stacks {
		dir := filepath.Dir(sf)
		rel, _ := filepath.Rel(root, dir)
		sp, how, err := compileOrGolden(dir)
		if err != nil {
			failed++
			t.Logf("FAIL %s: %v", rel, err)
			continue
		}
		sum := sha256.Sum256([]byte(rel + nonce))
		isp, _ := isolate(sp, hex.EncodeToString(sum[:3]))
		summary, err := checkApplied(context.Background(), rt, t.TempDir(), isp)
		if err != nil {
			failed++
			t.Logf("FAIL %s (%s): %v", rel, how, err)
			continue
		}
		passed++
		t.Logf("ok   %s (%s): %s", rel, how, summary)
	}
	fmt.Printf("examples stacks on a real API server: %d passed, %d failed\n", passed, failed)
	if passed < exampleFloor {
		t.Errorf("%d example stacks passed, below the floor of %d", passed, exampleFloor)
	}
}

func compileOrGolden(dir string) (*spec.Spec, string, error) {
	st, err := konfig.LoadStack(dir)
	if err == nil {
		var sp *spec.Spec
		if sp, err = konfig.Compile(context.Background(), st, konfig.CompileOptions{}); err == nil {
			return sp, "compiled", nil
		}
	}
	sp, gerr := loadGolden(filepath.Join(dir, "ci-test", "stdout.golden.yaml"))
	if gerr != nil {
		return nil, "", fmt.Errorf("compile: %v; golden: %w", err, gerr)
	}
	first := strings.SplitN(err.Error(), "\n", 2)[0]
	return sp, "golden; compile failed: " + first, nil
}

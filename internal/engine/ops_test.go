package engine_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"golang.org/x/tools/txtar"
	"gopkg.in/yaml.v3"

	"github.com/konfig-lsp/konfig-lsp/internal/engine"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/graph"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// memRuntime is an in-memory runtime.Runtime and runtime.Classifier for the
// engine's own logic (what is applied, excluded, blocked, rejected): objects
// by id; an object in a namespace that is not live is a prerequisite error;
// the ids of reject are rejected with their message (dry-run and apply).
type memRuntime struct {
	mu     sync.Mutex
	live   map[string]map[string]any
	reject map[string]string
}

type memError struct {
	class runtime.ErrorClass
	msg   string
}

func (e *memError) Error() string { return e.msg }

func (m *memRuntime) Read(_ context.Context, r spec.Resource) (map[string]any, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if obj := m.live[r.ID]; obj != nil {
		return graph.DeepCopy(obj).(map[string]any), nil
	}
	return nil, nil
}

func (m *memRuntime) Apply(_ context.Context, r spec.Resource, opts runtime.ApplyOptions) (map[string]any, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	md, _ := r.Attributes["metadata"].(map[string]any)
	if ns, _ := md["namespace"].(string); ns != "" && m.live["v1:Namespace:"+ns] == nil {
		return nil, &memError{runtime.ErrPrerequisite, fmt.Sprintf("namespaces %q not found", ns)}
	}
	if msg, ok := m.reject[r.ID]; ok {
		return nil, &memError{runtime.ErrRejected, msg}
	}
	obj := graph.DeepCopy(r.Attributes).(map[string]any)
	if !opts.DryRun {
		m.live[r.ID] = obj
	}
	return obj, nil
}

func (m *memRuntime) Delete(_ context.Context, r spec.Resource) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.live, r.ID)
	return nil
}

func (m *memRuntime) Ready(spec.Resource, map[string]any) (bool, string) { return true, "" }

func (m *memRuntime) Comparable(obj map[string]any) map[string]any { return obj }

func (m *memRuntime) Classify(_ spec.Resource, err error) (runtime.ErrorClass, string) {
	var me *memError
	if errors.As(err, &me) {
		return me.class, me.msg
	}
	return runtime.ErrOther, err.Error()
}

// TestOperations runs testdata/ops/*.txtar: a spec (spec.yaml), the objects
// already live (live.yaml, a list of resources), the options (options.yaml:
// exclude, the types to exclude; targets, the target patterns; reject, id ->
// the runtime's rejection message), then preview, apply and a second preview on the in-memory
// runtime; the want section holds the preview tables, the apply outcome and
// events (sorted), the state and the live ids. -update rewrites it.
func TestOperations(t *testing.T) {
	files, err := filepath.Glob("testdata/ops/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test data: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var rs, live []spec.Resource
			var opts struct {
				Exclude []string          `yaml:"exclude"`
				Targets []string          `yaml:"targets"`
				Reject  map[string]string `yaml:"reject"`
			}
			wantIdx := -1
			for i, f := range ar.Files {
				var err error
				switch f.Name {
				case "spec.yaml":
					err = yaml.Unmarshal(f.Data, &rs)
				case "live.yaml":
					err = yaml.Unmarshal(f.Data, &live)
				case "options.yaml":
					err = yaml.Unmarshal(f.Data, &opts)
				case "want":
					wantIdx = i
				}
				if err != nil {
					t.Fatalf("%s: %v", f.Name, err)
				}
			}
			if wantIdx < 0 {
				t.Fatal("no want section")
			}
			mem := &memRuntime{live: map[string]map[string]any{}, reject: opts.Reject}
			for _, r := range live {
				mem.live[r.ID] = r.Attributes
			}
			got := runOps(t, mem, &spec.Spec{Resources: rs}, engine.PreviewOptions{ExcludeTypes: opts.Exclude, Targets: opts.Targets})
			testutil.GoldenSection(t, file, ar, "want", []byte(got))
		})
	}
}

// runOps previews, applies and previews again sp on mem and describes it all.
func runOps(t *testing.T, mem *memRuntime, sp *spec.Spec, popts engine.PreviewOptions) string {
	ctx := context.Background()
	eng := engine.New(engine.Config{StackDir: t.TempDir(), Runtimes: runtime.Registry{spec.Kubernetes: mem}})
	var b strings.Builder
	preview := func(title string) {
		fmt.Fprintf(&b, "== %s\n", title)
		ch, err := eng.Preview(ctx, sp, popts)
		if err != nil {
			fmt.Fprintf(&b, "error: %v\n", err)
			return
		}
		if err := engine.WriteTable(&b, "", ch); err != nil {
			t.Fatal(err)
		}
	}
	preview("preview")
	var mu sync.Mutex
	var evs []string
	res, err := eng.Apply(ctx, sp, nil, engine.ApplyOptions{PreviewOptions: popts, OnEvent: func(e engine.Event) {
		if e.Type == engine.EventStart {
			return
		}
		line := fmt.Sprintf("%s %s %s", e.Type, e.Action, e.ID)
		if e.Message != "" {
			line += ": " + e.Message
		}
		if e.Err != nil {
			line += ": " + e.Err.Error()
		}
		mu.Lock()
		evs = append(evs, line)
		mu.Unlock()
	}})
	b.WriteString("== apply\n")
	if err != nil {
		fmt.Fprintf(&b, "error: %v\n", err)
		var rej *engine.RejectedError
		if errors.As(err, &rej) {
			fmt.Fprintf(&b, "rejected: %s\n", rej.ID)
		}
	}
	if res != nil {
		fmt.Fprintf(&b, "summary: %s\n", res.Summary())
	}
	sort.Strings(evs)
	for _, e := range evs {
		fmt.Fprintf(&b, "  %s\n", e)
	}
	st, err := eng.Store().Load()
	if err != nil {
		t.Fatalf("state: %v", err)
	}
	var ids []string
	for _, r := range st.Resources {
		ids = append(ids, r.ID)
	}
	sort.Strings(ids)
	fmt.Fprintf(&b, "state: %s\n", strings.Join(ids, " "))
	var liveIDs []string
	for id := range mem.live {
		liveIDs = append(liveIDs, id)
	}
	sort.Strings(liveIDs)
	fmt.Fprintf(&b, "live: %s\n", strings.Join(liveIDs, " "))
	preview("preview after apply")
	return b.String()
}

package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/konfig-lsp/konfig-lsp/internal/engine"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// hookRuntime is a memRuntime whose real (not dry-run) applies go through
// hook first: it may fail them (a non-nil error) or act on the side (cancel
// the operation) after the n-th.
type hookRuntime struct {
	*memRuntime
	mu   sync.Mutex
	n    int
	hook func(n int, r spec.Resource, opts runtime.ApplyOptions) error
}

func (h *hookRuntime) Apply(ctx context.Context, r spec.Resource, opts runtime.ApplyOptions) (map[string]any, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !opts.DryRun {
		h.n++
	}
	if err := h.hook(h.n, r, opts); err != nil {
		return nil, err
	}
	return h.memRuntime.Apply(ctx, r, opts)
}

func nsResource(ns string) spec.Resource {
	return spec.Resource{ID: "v1:Namespace:" + ns, Type: spec.Kubernetes, Attributes: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
}

func cmResource(ns, name string) spec.Resource {
	return spec.Resource{ID: "v1:ConfigMap:" + ns + ":" + name, Type: spec.Kubernetes, DependsOn: []string{"v1:Namespace:" + ns},
		Attributes: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": name, "namespace": ns}, "data": map[string]any{"k": name}}}
}

// TestCancelledApplyCountsNotAttempted cancels an apply (one resource at a
// time) right after its third real apply: the summary counts the three
// creates, the unchanged namespace, and as not attempted the three creates
// and the deletion it never reached; the error is the cancellation alone
// (no line per resource not attempted); the state holds what was done.
func TestCancelledApplyCountsNotAttempted(t *testing.T) {
	mem := &memRuntime{live: map[string]map[string]any{}}
	h := &hookRuntime{memRuntime: mem, hook: func(int, spec.Resource, runtime.ApplyOptions) error { return nil }}
	eng := engine.New(engine.Config{StackDir: t.TempDir(), Runtimes: runtime.Registry{spec.Kubernetes: h}})
	first := &spec.Spec{Resources: []spec.Resource{nsResource("a"), cmResource("a", "old")}}
	if _, err := eng.Apply(context.Background(), first, nil, engine.ApplyOptions{}); err != nil {
		t.Fatalf("first apply: %v", err)
	}

	second := &spec.Spec{Resources: []spec.Resource{nsResource("a")}}
	for i := range 6 {
		second.Resources = append(second.Resources, cmResource("a", fmt.Sprintf("cm%d", i)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.mu.Lock()
	h.n = 0
	h.hook = func(n int, r spec.Resource, opts runtime.ApplyOptions) error {
		if n == 3 && !opts.DryRun {
			cancel() // this apply still succeeds; nothing starts after it
		}
		return nil
	}
	h.mu.Unlock()
	res, err := eng.Apply(ctx, second, nil, engine.ApplyOptions{PreviewOptions: engine.PreviewOptions{MaxConcurrent: 1}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("apply: err = %v, want context.Canceled", err)
	}
	if got, want := err.Error(), "apply: context canceled"; got != want {
		t.Errorf("apply error %q, want %q", got, want)
	}
	if res == nil {
		t.Fatal("no result")
	}
	if got, want := res.Summary(), "3 created, 0 updated, 0 deleted, 1 unchanged, 4 not attempted"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if res.NotAttempted != 4 {
		t.Errorf("NotAttempted = %d, want 4", res.NotAttempted)
	}
	st, err := eng.Store().Load()
	if err != nil {
		t.Fatal(err)
	}
	// The namespace, the old ConfigMap (its deletion not attempted) and
	// the three created.
	if len(st.Resources) != 5 {
		var ids []string
		for _, r := range st.Resources {
			ids = append(ids, r.ID)
		}
		t.Errorf("state holds %v, want the namespace, the old ConfigMap and three created", ids)
	}

	// The rerun converges and has nothing left unattempted.
	res, err = eng.Apply(context.Background(), second, nil, engine.ApplyOptions{})
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if got, want := res.Summary(), "3 created, 0 updated, 1 deleted, 4 unchanged"; got != want {
		t.Errorf("rerun summary %q, want %q", got, want)
	}
}

// TestConflictErrorNamesResourceOnce: an apply refused for a conflict with
// another field manager names the resource once, in the returned error and
// in the failure event (whose ID names it already).
func TestConflictErrorNamesResourceOnce(t *testing.T) {
	mem := &memRuntime{live: map[string]map[string]any{}}
	cm := cmResource("b", "taken")
	h := &hookRuntime{memRuntime: mem, hook: func(_ int, r spec.Resource, opts runtime.ApplyOptions) error {
		if r.ID == cm.ID && !opts.DryRun && !opts.Force {
			return &runtime.ConflictError{ID: r.ID, Message: `Apply failed with 1 conflict: conflict with "kubectl-edit": .data.k`}
		}
		return nil
	}}
	eng := engine.New(engine.Config{StackDir: t.TempDir(), Runtimes: runtime.Registry{spec.Kubernetes: h}})
	sp := &spec.Spec{Resources: []spec.Resource{nsResource("b"), cm}}
	var evErr error
	var mu sync.Mutex
	_, err := eng.Apply(context.Background(), sp, nil, engine.ApplyOptions{OnEvent: func(e engine.Event) {
		if e.Type == engine.EventFailed {
			mu.Lock()
			evErr = e.Err
			mu.Unlock()
		}
	}})
	var ce *runtime.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("apply: err = %v, want a *runtime.ConflictError", err)
	}
	if n := strings.Count(err.Error(), cm.ID); n != 1 {
		t.Errorf("apply error names %s %d times, want once: %q", cm.ID, n, err)
	}
	if !strings.Contains(err.Error(), "--force-conflicts") {
		t.Errorf("apply error %q does not say how to take the fields over", err)
	}
	if evErr == nil {
		t.Fatal("no failure event")
	}
	if strings.Contains(evErr.Error(), cm.ID) {
		t.Errorf("failure event error %q repeats the event's id", evErr)
	}
}

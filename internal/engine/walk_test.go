package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/konfig-lsp/konfig-lsp/internal/engine/graph"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// TestWalk checks, on a layered graph, that every node starts after its
// dependencies, that at most limit run at once, and that a failure skips
// exactly the nodes that depend on it (transitively).
func TestWalk(t *testing.T) {
	// ns -> cm0..cm5 -> dep0..dep5 (dep_i depends on cm_i), plus lone.
	var rs []spec.Resource
	rs = append(rs, spec.Resource{ID: "ns"}, spec.Resource{ID: "lone"})
	for i := 0; i < 6; i++ {
		rs = append(rs, spec.Resource{ID: fmt.Sprintf("cm%d", i), DependsOn: []string{"ns"}})
		rs = append(rs, spec.Resource{ID: fmt.Sprintf("dep%d", i), DependsOn: []string{fmt.Sprintf("cm%d", i)}})
	}
	g, err := graph.New(rs)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		fail        string
		wantSkipped []string
	}{
		{name: "all succeed"},
		{name: "a middle node fails", fail: "cm3", wantSkipped: []string{"dep3"}},
		{name: "the root fails", fail: "ns", wantSkipped: []string{"cm0", "cm1", "cm2", "cm3", "cm4", "cm5", "dep0", "dep1", "dep2", "dep3", "dep4", "dep5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const limit = 3
			var mu sync.Mutex
			done := map[string]bool{}
			running, peak := 0, 0
			var skipped []string
			var order []string
			gate := make(chan struct{})
			gateClosed := false
			err := walk(context.Background(), g, g.Order(), limit, func(ctx context.Context, id string) error {
				mu.Lock()
				for _, d := range g.DependsOn(id) {
					if !done[d] {
						t.Errorf("%s started before its dependency %s finished", id, d)
					}
				}
				running++
				if running > peak {
					peak = running
				}
				order = append(order, id)
				if running == limit && !gateClosed {
					gateClosed = true
					close(gate)
				}
				mu.Unlock()
				// The six cm nodes are ready together: each waits until
				// limit of them run at once, so a walk that ran more
				// would show a peak above limit (and one that ran fewer
				// would never finish).
				if tc.fail != "ns" && len(id) == 3 && id[:2] == "cm" {
					<-gate
				}
				mu.Lock()
				running--
				if id != tc.fail {
					done[id] = true
				}
				mu.Unlock()
				if id == tc.fail {
					return errors.New("boom")
				}
				return nil
			}, func(id, cause string) {
				mu.Lock()
				skipped = append(skipped, id)
				mu.Unlock()
			})
			if (err != nil) != (tc.fail != "") {
				t.Errorf("walk error = %v, want an error only when a node fails", err)
			}
			if tc.fail != "ns" && peak != limit {
				t.Errorf("peak parallelism %d, want the limit %d", peak, limit)
			}
			if peak > limit {
				t.Errorf("%d nodes ran at once, limit %d", peak, limit)
			}
			sort.Strings(skipped)
			if diff := cmp.Diff(tc.wantSkipped, skipped); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
			if len(order)+len(skipped) != len(rs) {
				t.Errorf("%d ran and %d skipped, want %d in all", len(order), len(skipped), len(rs))
			}
		})
	}
}

func TestDeleteOrder(t *testing.T) {
	rs := []spec.Resource{
		{ID: "ns"},
		{ID: "svc", DependsOn: []string{"ns"}},
		{ID: "dep", DependsOn: []string{"ns", "svc", "gone-from-set"}},
	}
	got, err := deleteOrder(rs)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	if diff := cmp.Diff([]string{"dep", "svc", "ns"}, ids); diff != "" {
		t.Errorf("delete order (-want +got):\n%s", diff)
	}
}

func TestSubset(t *testing.T) {
	live := map[string]any{
		"metadata": map[string]any{"name": "web", "uid": "x"},
		"spec": map[string]any{"replicas": 2.0, "containers": []any{
			map[string]any{"name": "main", "image": "nginx", "imagePullPolicy": "IfNotPresent"},
		}},
	}
	for _, tc := range []struct {
		name string
		plan map[string]any
		want bool
	}{
		{"defaults and server fields only in live", map[string]any{"metadata": map[string]any{"name": "web"}, "spec": map[string]any{"replicas": 2, "containers": []any{map[string]any{"name": "main", "image": "nginx"}}}}, true},
		{"a changed scalar", map[string]any{"spec": map[string]any{"replicas": 3}}, false},
		{"a changed list element", map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"image": "nginx:2"}}}}, false},
		{"a list of another length", map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "main"}, map[string]any{"name": "side"}}}}, false},
		{"a key live lacks", map[string]any{"spec": map[string]any{"paused": true}}, false},
		{"a map where live has a scalar", map[string]any{"spec": map[string]any{"replicas": map[string]any{"x": 1}}}, false},
	} {
		if got := subset(normalizeNumbers(tc.plan), normalizeNumbers(live)); got != tc.want {
			t.Errorf("%s: subset = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestUnderID: walk names a failed resource once — in front of an error
// that does not name it, not again in front of one that does.
func TestUnderID(t *testing.T) {
	const id = "v1:ConfigMap:ns:a"
	for _, tc := range []struct{ err, want string }{
		{err: "boom", want: id + ": boom"},
		{err: "apply " + id + ": boom", want: "apply " + id + ": boom"},
		{err: "not ready: " + id, want: "not ready: " + id},
		{err: "apply " + id + "b: boom", want: id + ": apply " + id + "b: boom"},
	} {
		if got := underID(id, errors.New(tc.err)).Error(); got != tc.want {
			t.Errorf("underID(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

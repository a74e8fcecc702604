package engine

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/konfig-lsp/konfig-lsp/internal/engine/state"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// TestSaverBatchesWrites checks the state saver's schedule with an interval
// longer than any test: the first change is written at once (so a process
// killed early leaves a state that holds it), the changes after it wait for
// the interval, and close writes them without waiting for it.
func TestSaverBatchesWrites(t *testing.T) {
	store := state.NewStore(t.TempDir())
	writes := make(chan int, 10)
	s := startSaver(store, &state.State{}, time.Hour, func(serial int) { writes <- serial })
	s.put(state.Resource{Resource: spec.Resource{ID: "a"}})
	if serial := <-writes; serial != 1 {
		t.Fatalf("first write has serial %d, want 1", serial)
	}
	if got := ids(t, store); !cmp.Equal(got, []string{"a"}) {
		t.Fatalf("state after the first write holds %v, want [a]", got)
	}
	s.put(state.Resource{Resource: spec.Resource{ID: "b"}})
	s.put(state.Resource{Resource: spec.Resource{ID: "c"}})
	s.remove("a")
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	close(writes)
	var serials []int
	for w := range writes {
		serials = append(serials, w)
	}
	if diff := cmp.Diff([]int{2}, serials); diff != "" {
		t.Errorf("writes after the first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"b", "c"}, ids(t, store)); diff != "" {
		t.Errorf("state after close (-want +got):\n%s", diff)
	}
}

func ids(t *testing.T, store *state.Store) []string {
	t.Helper()
	st, err := store.Load()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range st.Resources {
		out = append(out, r.ID)
	}
	return out
}

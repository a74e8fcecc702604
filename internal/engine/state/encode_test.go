package state

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/konfig-lsp/konfig-lsp/internal/spec"
	// The module's one -update flag, so that `go test ./... -update` runs here too.
	_ "github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// TestEncodeMatchesMarshalIndent checks the cached encoder against
// json.MarshalIndent after every step of an operation-like sequence: new
// records, replaced ones (new values, same id), removals, a duplicate id,
// and the empty and nil lists.
func TestEncodeMatchesMarshalIndent(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	rec := func(id string, n int) Resource {
		return Resource{
			Resource: spec.Resource{
				ID:         id,
				Type:       "Kubernetes",
				Attributes: map[string]any{"kind": "ConfigMap", "data": map[string]any{"k": fmt.Sprint(n), "html": "<a&b>"}},
				DependsOn:  []string{"v1:Namespace:x"},
			},
			AppliedAt: at.Add(time.Duration(n) * time.Second),
		}
	}
	s := &State{Version: Version, Serial: 3, CreatedAt: at, UpdatedAt: at}
	var e encoder
	check := func(step string) {
		t.Helper()
		want, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.encode(s)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s: encoding differs from json.MarshalIndent (-want +got):\n%s", step, diff)
		}
	}
	check("nil list")
	s.Resources = []Resource{}
	check("empty list")
	for i := range 5 {
		s.Put(rec(fmt.Sprintf("r%d", i), i))
		check(fmt.Sprintf("put r%d", i))
	}
	s.Put(rec("r2", 20)) // replaced: new values, same position
	check("replace r2")
	s.Remove("r0")
	check("remove r0")
	s.Resources = append(s.Resources, rec("r3", 30)) // a duplicate id (never from Put)
	check("duplicate r3")
	s.Resources = s.Resources[:len(s.Resources)-1]
	check("duplicate dropped")
	s.Resources[0].Extensions = map[string]any{"kusion": true} // a changed field
	check("extensions added")
}

// TestSaveRoundTrip checks that a state saved after each of many changes
// (most records coming from the cache) loads back equal.
func TestSaveRoundTrip(t *testing.T) {
	st := NewStore(t.TempDir())
	s := &State{}
	for i := range 50 {
		s.Put(Resource{Resource: spec.Resource{ID: fmt.Sprint(i), Type: "Kubernetes",
			Attributes: map[string]any{"i": float64(i)}}, AppliedAt: time.Unix(int64(i), 0).UTC()})
		if err := st.Save(s); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, got); diff != "" {
		t.Errorf("loaded state differs from the saved one (-saved +loaded):\n%s", diff)
	}
}

// BenchmarkEncode200 encodes the state after each of 200 new records, as an
// apply of 200 resources does.
func BenchmarkEncode200(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		st := NewStore(dir)
		s := &State{}
		for i := range 200 {
			s.Put(Resource{Resource: spec.Resource{ID: fmt.Sprint(i), Type: "Kubernetes",
				Attributes: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
					"metadata": map[string]any{"name": fmt.Sprint("cm", i), "namespace": "ns"},
					"data":     map[string]any{"a": "b", "c": "d"}}}, AppliedAt: time.Now().UTC()})
			if _, err := st.enc.encode(s); err != nil {
				b.Fatal(err)
			}
		}
	}
}

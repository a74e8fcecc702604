package graph

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
	"gopkg.in/yaml.v3"

	"github.com/konfig-lsp/konfig-lsp/internal/spec"
	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// describe renders a graph (or the error building it) as the want text.
func describe(rs []spec.Resource) string {
	g, err := New(rs)
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "order: %s\n", strings.Join(g.Order(), " "))
	ids := g.IDs()
	sortStrings(ids)
	for _, id := range ids {
		fmt.Fprintf(&b, "deps %s: %s\n", id, strings.Join(g.DependsOn(id), " "))
	}
	return strings.ReplaceAll(b.String(), ": \n", ":\n")
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestGraph(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test data: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			in, _ := testutil.Section(ar, "spec.yaml")
			var rs []spec.Resource
			if err := yaml.Unmarshal(in, &rs); err != nil {
				t.Fatalf("spec.yaml: %v", err)
			}
			got := describe(rs)
			testutil.GoldenSection(t, file, ar, "want", []byte(got))
		})
	}
}

func TestResolve(t *testing.T) {
	attrs := map[string]any{
		"a": "$kusion_path.svc.spec.clusterIP",
		"b": []any{"$kusion_path.svc.spec.ports.0.port", "plain"},
		"c": "$kusion_path.missing.x",
	}
	svc := map[string]any{"spec": map[string]any{"clusterIP": "10.0.0.7", "ports": []any{map[string]any{"port": 80}}}}
	got, unresolved := Resolve(attrs, func(r Ref) (any, bool) {
		if r.ID != "svc" {
			return nil, false
		}
		return Lookup(svc, r.Path)
	})
	want := map[string]any{
		"a": "10.0.0.7",
		"b": []any{80, "plain"},
		"c": "$kusion_path.missing.x",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Resolve mismatch (-want +got):\n%s", diff)
	}
	if len(unresolved) != 1 || unresolved[0].ID != "missing" {
		t.Errorf("unresolved = %+v, want the one reference to missing", unresolved)
	}
	if attrs["a"] != "$kusion_path.svc.spec.clusterIP" {
		t.Errorf("Resolve modified its input")
	}
}

package graph

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
	"gopkg.in/yaml.v3"

	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/*.txtar")

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
			var in, want []byte
			wantIdx := -1
			for i, f := range ar.Files {
				switch f.Name {
				case "spec.yaml":
					in = f.Data
				case "want":
					want, wantIdx = f.Data, i
				}
			}
			var rs []spec.Resource
			if err := yaml.Unmarshal(in, &rs); err != nil {
				t.Fatalf("spec.yaml: %v", err)
			}
			got := describe(rs)
			if *update {
				ar.Files[wantIdx].Data = []byte(got)
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("graph mismatch (-want +got):\n%s", diff)
			}
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

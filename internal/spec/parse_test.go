package spec

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParse reads both forms of a spec; attribute mappings with non-string
// keys become map[string]any, so that the attributes encode as JSON.
func TestParse(t *testing.T) {
	want := &Spec{Resources: []Resource{{
		ID: "v1:ConfigMap:ns:c", Type: Kubernetes,
		Attributes: map[string]any{"kind": "ConfigMap", "data": map[string]any{"1": "one", "true": "yes"}},
		DependsOn:  []string{"v1:Namespace:ns"},
	}}}
	body := `  id: v1:ConfigMap:ns:c
  type: Kubernetes
  attributes:
    kind: ConfigMap
    data: {1: one, true: "yes"}
  dependsOn: [v1:Namespace:ns]
`
	for name, src := range map[string]string{
		"list":     "- " + body[2:],
		"document": "resources:\n- " + body[2:],
	} {
		got, err := Parse([]byte(src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	if _, err := Parse([]byte("resources: 3")); err == nil {
		t.Error("Parse of a spec that is neither form: no error")
	}
}

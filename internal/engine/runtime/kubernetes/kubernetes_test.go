package kubernetes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// jsonObject round-trips v through JSON into the shape of objects read from
// the API server (whole numbers as int64).
func jsonObject(t *testing.T, v any) map[string]any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return convertNumbers(out).(map[string]any)
}

// convertNumbers turns json.Number into int64 (or float64), as the
// unstructured JSON decoder does.
func convertNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = convertNumbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = convertNumbers(e)
		}
		return x
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	default:
		return v
	}
}

// TestReadiness judges the objects of testdata/ready.yaml (and a Service's
// EndpointSlices) and compares the judgements with testdata/ready.golden.
func TestReadiness(t *testing.T) {
	data, err := os.ReadFile("testdata/ready.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name           string           `yaml:"name"`
		Object         map[string]any   `yaml:"object"`
		EndpointSlices []map[string]any `yaml:"endpointSlices"`
	}
	if err := yaml.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for _, c := range cases {
		var obj map[string]any
		if c.Object != nil {
			obj = jsonObject(t, c.Object)
		}
		st := ObjectReadiness(obj)
		line := st.String()
		if st.Ready && NeedsEndpoints(obj) {
			slices := make([]map[string]any, len(c.EndpointSlices))
			for i, s := range c.EndpointSlices {
				slices[i] = jsonObject(t, s)
			}
			line = "endpoints " + EndpointsReadiness(slices).String()
		} else if c.EndpointSlices != nil {
			t.Errorf("%s: has endpointSlices but its readiness does not need endpoints", c.Name)
		}
		// Ready (the runtime.Runtime shape) agrees with ObjectReadiness.
		if ok, reason := Ready(obj); ok != st.Ready || (!ok && !strings.HasSuffix(reason, st.Reason)) {
			t.Errorf("%s: Ready = (%v, %q), ObjectReadiness = %v", c.Name, ok, reason, st)
		}
		fmt.Fprintf(&got, "%s: %s\n", c.Name, line)
	}
	golden := "testdata/ready.golden"
	testutil.Golden(t, golden, []byte(got.String()))
}

func TestComparable(t *testing.T) {
	live := map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{
			"name": "c", "namespace": "n", "uid": "u", "resourceVersion": "7", "generation": int64(1),
			"creationTimestamp": "2026-01-01T00:00:00Z", "managedFields": []any{map[string]any{"manager": "konfig-lsp"}},
			"annotations": map[string]any{"kubectl.kubernetes.io/last-applied-configuration": "{}"},
			"labels":      map[string]any{"a": "b"},
		},
		"data":   map[string]any{"k": "v"},
		"status": map[string]any{"x": "y"},
	}
	want := map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "c", "namespace": "n", "labels": map[string]any{"a": "b"}},
		"data":     map[string]any{"k": "v"},
	}
	if diff := cmp.Diff(want, Comparable(live)); diff != "" {
		t.Errorf("Comparable (-want +got):\n%s", diff)
	}
	if _, ok := live["status"]; !ok {
		t.Errorf("Comparable modified its input")
	}
}

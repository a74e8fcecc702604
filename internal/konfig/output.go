package konfig

import (
	"bytes"
	"fmt"
	"io"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// WriteSpec writes the spec's resources as a YAML list, the form of Kusion's
// `ci-test/stdout.golden.yaml` (keys of attributes and extensions sorted).
func WriteSpec(w io.Writer, sp *spec.Spec) error {
	if len(sp.Resources) == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	enc := yaml.NewEncoder(w)
	if err := enc.Encode(sp.Resources); err != nil {
		return fmt.Errorf("encode spec: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode spec: %w", err)
	}
	return nil
}

// ReadSpec decodes a YAML list of resources (a golden file) into a spec.
func ReadSpec(data []byte) (*spec.Spec, error) {
	var list []map[string]any
	if err := yaml.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("decode spec: %w", err)
	}
	sp := &spec.Spec{}
	for i, doc := range list {
		r, err := resourceFromDocument(spec.Plain(doc).(map[string]any))
		if err != nil {
			return nil, fmt.Errorf("decode spec: resource %d: %w", i+1, err)
		}
		sp.Resources = append(sp.Resources, r)
	}
	return sp, nil
}

// DiffSpecs compares two specs as Kusion's golden test does, ignoring key
// order and list order (lists compare as multisets) and the difference
// between equal ints and floats. It returns "" when they are equal, and
// otherwise a cmp.Diff (-want +got) of their canonical forms.
func DiffSpecs(want, got *spec.Spec) string {
	w, g := canonicalSpec(want), canonicalSpec(got)
	if cmp.Equal(w, g) {
		return ""
	}
	return cmp.Diff(w, g)
}

// canonicalSpec returns the spec as plain values with every list sorted by
// the canonical encoding of its items and every number a float64.
func canonicalSpec(sp *spec.Spec) any {
	var buf bytes.Buffer
	if err := WriteSpec(&buf, sp); err != nil {
		return err.Error()
	}
	var v any
	if err := yaml.Unmarshal(buf.Bytes(), &v); err != nil {
		return err.Error()
	}
	return canonical(spec.Plain(v))
}

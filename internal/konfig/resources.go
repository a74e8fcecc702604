package konfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// ResourcesFromStream decodes a KCL YAML stream with one document per
// resource, as Konfig's render code emits it through manifests.yaml_stream:
// each document is `{id, type, attributes, dependsOn?, extensions?}`. A
// document that is a bare Kubernetes manifest (apiVersion and kind, no id)
// becomes a Kubernetes resource with the id KubernetesID builds. Empty
// documents are skipped.
func ResourcesFromStream(stream []byte) ([]spec.Resource, error) {
	docs, err := decodeDocuments(stream)
	if err != nil {
		return nil, err
	}
	var out []spec.Resource
	for i, doc := range docs {
		r, err := resourceFromDocument(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// decodeDocuments decodes every non-empty document of a YAML stream into a
// mapping; a non-mapping document is an error.
func decodeDocuments(stream []byte) ([]map[string]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(stream))
	var docs []map[string]any
	for n := 1; ; n++ {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("decode YAML document %d: %w", n, err)
		}
		if v == nil {
			continue
		}
		m, ok := spec.Plain(v).(map[string]any)
		if !ok {
			return nil, fmt.Errorf("YAML document %d is a %T, not a mapping", n, v)
		}
		docs = append(docs, m)
	}
}

func resourceFromDocument(doc map[string]any) (spec.Resource, error) {
	if _, ok := doc["id"]; !ok {
		if _, ok := doc["kind"]; ok {
			id, err := KubernetesID(doc)
			if err != nil {
				return spec.Resource{}, err
			}
			return spec.Resource{ID: id, Type: spec.Kubernetes, Attributes: doc}, nil
		}
		return spec.Resource{}, fmt.Errorf("resource has neither an id nor a kind")
	}
	var r spec.Resource
	var ok bool
	if r.ID, ok = doc["id"].(string); !ok || r.ID == "" {
		return r, fmt.Errorf("resource id is %v, not a non-empty string", doc["id"])
	}
	if r.Type, ok = doc["type"].(string); !ok || r.Type == "" {
		return r, fmt.Errorf("resource %s: type is %v, not a non-empty string", r.ID, doc["type"])
	}
	switch a := doc["attributes"].(type) {
	case map[string]any:
		r.Attributes = a
	case nil:
	default:
		return r, fmt.Errorf("resource %s: attributes is a %T, not a mapping", r.ID, a)
	}
	switch d := doc["dependsOn"].(type) {
	case []any:
		for _, e := range d {
			s, ok := e.(string)
			if !ok {
				return r, fmt.Errorf("resource %s: dependsOn holds a %T, not a resource id", r.ID, e)
			}
			r.DependsOn = append(r.DependsOn, s)
		}
	case nil:
	default:
		return r, fmt.Errorf("resource %s: dependsOn is a %T, not a list", r.ID, d)
	}
	switch e := doc["extensions"].(type) {
	case map[string]any:
		if len(e) > 0 {
			r.Extensions = e
		}
	case nil:
	default:
		return r, fmt.Errorf("resource %s: extensions is a %T, not a mapping", r.ID, e)
	}
	return r, nil
}

// KubernetesID returns the resource id of a Kubernetes manifest:
// `apiVersion:Kind:namespace:name`, without the namespace segment when the
// manifest has none (cluster-scoped objects).
func KubernetesID(obj map[string]any) (string, error) {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	ns, _ := meta["namespace"].(string)
	if apiVersion == "" || kind == "" || name == "" {
		return "", fmt.Errorf("kubernetes manifest lacks apiVersion, kind or metadata.name (apiVersion %q, kind %q, name %q)", apiVersion, kind, name)
	}
	if ns == "" {
		return apiVersion + ":" + kind + ":" + name, nil
	}
	return apiVersion + ":" + kind + ":" + ns + ":" + name, nil
}

// CRDResources returns a Kubernetes resource for every YAML document of
// every .yaml/.yml file below dir (walked in lexical order), as Kusion adds
// a project's `crd/` directory to each of its stacks. A missing dir gives
// no resources.
func CRDResources(dir string) ([]spec.Resource, error) {
	fsys, err := sandbox.Open(dir, sandbox.Policy{DenyReason: "CRD files are only read"})
	if err != nil {
		return nil, fmt.Errorf("list CRDs in %s: %w", dir, err)
	}
	defer fsys.Close()
	return CRDResourcesFS(fsys, dir)
}

// CRDResourcesFS is CRDResources with the directory walked and the files
// read through the sandbox fsys: a link out of its root is an error.
func CRDResourcesFS(fsys *sandbox.FS, dir string) ([]spec.Resource, error) {
	var paths []string
	var walk func(d string, depth int) error
	walk = func(d string, depth int) error {
		if depth > 64 {
			return fmt.Errorf("%s: directories nested too deep", d)
		}
		ents, err := fsys.ReadDir(d)
		if err != nil {
			return err
		}
		for _, e := range ents {
			p := filepath.Join(d, e.Name())
			if e.IsDir() {
				if err := walk(p, depth+1); err != nil {
					return err
				}
				continue
			}
			if strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml") {
				paths = append(paths, p)
			}
		}
		return nil
	}
	err := walk(dir, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list CRDs in %s: %w", dir, err)
	}
	sort.Strings(paths)
	var out []spec.Resource
	for _, p := range paths {
		data, err := fsys.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read CRD: %w", err)
		}
		docs, err := decodeDocuments(data)
		if err != nil {
			return nil, fmt.Errorf("CRD file %s: %w", p, err)
		}
		for _, doc := range docs {
			id, err := KubernetesID(doc)
			if err != nil {
				return nil, fmt.Errorf("CRD file %s: %w", p, err)
			}
			out = append(out, spec.Resource{ID: id, Type: spec.Kubernetes, Attributes: doc})
		}
	}
	return out, nil
}

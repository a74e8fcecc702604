package kubernetes

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// mapping is the REST mapper's mapping of gvk, kept until resetMapper: the
// deferred discovery mapper searches every group on each call, and a
// resource is mapped two or three times per apply (prefetch, dry-run,
// apply) — a tenth of the engine's CPU on 200 resources.
func (rt *Runtime) mapping(gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	rt.mu.Lock()
	m := rt.mapped[gvk]
	rt.mu.Unlock()
	if m != nil {
		return m, nil
	}
	m, err := rt.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, err
	}
	rt.mu.Lock()
	if rt.mapped == nil {
		rt.mapped = map[schema.GroupVersionKind]*meta.RESTMapping{}
	}
	rt.mapped[gvk] = m
	rt.mu.Unlock()
	return m, nil
}

// resetMapper forgets the discovered kinds and their mappings (a CRD was
// just created, or a kind was not found).
func (rt *Runtime) resetMapper() {
	rt.mapper.Reset()
	rt.mu.Lock()
	rt.mapped = nil
	rt.mu.Unlock()
}

// Package kubernetes is the engine's runtime for Kubernetes resources, built
// on k8s.io/client-go: the kubeconfig from a path, $KUBECONFIG or
// ~/.kube/config and a context; discovery with a deferred REST mapper; the
// dynamic client; server-side apply with field manager "konfig-lsp" (and
// server-side dry-run for previews). Namespaced and cluster-scoped kinds are
// both handled; a CustomResourceDefinition applied by the engine is waited for
// (Established) before its custom resources are mapped. Readiness (ready.go)
// judges workloads by their status (Deployments, StatefulSets, DaemonSets,
// Jobs, Pods, PVCs) and Services by their EndpointSlices; WaitReady watches
// until a resource is ready, has failed, or time is up.
//
// Construct it with New:
//
//	rt, err := kubernetes.New(kubernetes.Config{Kubeconfig: path, Context: ""})
//	live, err := rt.Read(ctx, res)
package kubernetes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// FieldManager is the server-side apply field manager of the engine.
const FieldManager = "konfig-lsp"

// Config selects the cluster.
type Config struct {
	// Kubeconfig is an explicit kubeconfig path; empty means $KUBECONFIG or
	// ~/.kube/config.
	Kubeconfig string
	// Context is the kubeconfig context; empty means the current one.
	Context string
	// Logger receives debug logs; nil means slog.Default().
	Logger *slog.Logger
}

// Runtime is the Kubernetes runtime. It is safe for concurrent use.
type Runtime struct {
	rest    *rest.Config
	dyn     dynamic.Interface
	disc    discovery.CachedDiscoveryInterface
	mapper  *restmapper.DeferredDiscoveryRESTMapper
	log     *slog.Logger
	mu      sync.Mutex
	fetched map[string]map[string]any                     // id -> live object (nil entry: known absent), from Prefetch
	mapped  map[schema.GroupVersionKind]*meta.RESTMapping // mapping.go
}

var _ runtime.Runtime = (*Runtime)(nil)
var _ runtime.Prefetcher = (*Runtime)(nil)

// RESTConfig loads the client configuration that cfg selects.
func RESTConfig(cfg Config) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if cfg.Kubeconfig != "" {
		rules.ExplicitPath = cfg.Kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: cfg.Context}
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	// The engine runs bounded parallel work of its own; client-side rate
	// limiting would only serialise it.
	rc.QPS = 1000
	rc.Burst = 2000
	rc.UserAgent = "konfig-lsp"
	return rc, nil
}

// New connects to the cluster that cfg selects (no request is sent yet).
func New(cfg Config) (*Runtime, error) {
	rc, err := RESTConfig(cfg)
	if err != nil {
		return nil, err
	}
	return NewForConfig(rc, cfg.Logger)
}

// NewForConfig builds the runtime on a ready client configuration.
func NewForConfig(rc *rest.Config, log *slog.Logger) (*Runtime, error) {
	if log == nil {
		log = slog.Default()
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	cached := memory.NewMemCacheClient(dc)
	return &Runtime{
		rest:   rc,
		dyn:    dyn,
		disc:   cached,
		mapper: restmapper.NewDeferredDiscoveryRESTMapper(cached),
		log:    log,
	}, nil
}

// Dynamic returns the dynamic client (for tests and tools).
func (rt *Runtime) Dynamic() dynamic.Interface { return rt.dyn }

// Mapper returns the REST mapper.
func (rt *Runtime) Mapper() meta.RESTMapper { return rt.mapper }

// target is a resolved resource: its mapping and object identity.
type target struct {
	gvk       schema.GroupVersionKind
	mapping   *meta.RESTMapping
	namespace string
	name      string
}

func (t target) client(dyn dynamic.Interface) dynamic.ResourceInterface {
	nri := dyn.Resource(t.mapping.Resource)
	if t.mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		return nri.Namespace(t.namespace)
	}
	return nri
}

// errNoMapping wraps a kind the cluster does not serve.
var errNoMapping = errors.New("kind not served by the cluster")

// identity reads apiVersion, kind, namespace and name from attributes.
func identity(r spec.Resource) (schema.GroupVersionKind, string, string, error) {
	a := r.Attributes
	apiVersion, _ := a["apiVersion"].(string)
	kind, _ := a["kind"].(string)
	if apiVersion == "" || kind == "" {
		return schema.GroupVersionKind{}, "", "", fmt.Errorf("resource %s: attributes need apiVersion and kind", r.ID)
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return schema.GroupVersionKind{}, "", "", fmt.Errorf("resource %s: apiVersion %q: %w", r.ID, apiVersion, err)
	}
	md, _ := a["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	ns, _ := md["namespace"].(string)
	if name == "" {
		return schema.GroupVersionKind{}, "", "", fmt.Errorf("resource %s: attributes need metadata.name", r.ID)
	}
	return gv.WithKind(kind), ns, name, nil
}

// resolve maps r to its REST resource; with refresh, an unknown kind resets
// the discovery cache once (a CRD may just have been created).
func (rt *Runtime) resolve(r spec.Resource, refresh bool) (target, error) {
	gvk, ns, name, err := identity(r)
	if err != nil {
		return target{}, err
	}
	m, err := rt.mapping(gvk)
	if err != nil && meta.IsNoMatchError(err) && refresh {
		rt.resetMapper()
		m, err = rt.mapping(gvk)
	}
	if err != nil {
		if meta.IsNoMatchError(err) {
			return target{}, fmt.Errorf("resource %s: %w: %w", r.ID, errNoMapping, err)
		}
		return target{}, fmt.Errorf("resource %s: map %s: %w", r.ID, gvk, err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if ns == "" {
			ns = "default"
		}
	} else {
		ns = ""
	}
	return target{gvk: gvk, mapping: m, namespace: ns, name: name}, nil
}

// Prefetch lists, once per kind and namespace, the objects of the kinds that
// several resources share, so that the Reads that follow need no request.
func (rt *Runtime) Prefetch(ctx context.Context, rs []spec.Resource) error {
	type key struct {
		gvr schema.GroupVersionResource
		ns  string
	}
	groups := map[key][]target{}
	ids := map[key][]string{}
	for _, r := range rs {
		if r.Type != spec.Kubernetes {
			continue
		}
		t, err := rt.resolve(r, false)
		if err != nil {
			continue // Read will report it
		}
		k := key{t.mapping.Resource, t.namespace}
		groups[k] = append(groups[k], t)
		ids[k] = append(ids[k], r.ID)
	}
	fetched := map[string]map[string]any{}
	// Objects in a namespace that does not exist do not exist either: one
	// list of the namespaces saves a list (or reads) per namespace and kind,
	// which is most of the work of a first apply.
	nsGVR := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	nsList, err := rt.dyn.Resource(nsGVR).List(ctx, metav1.ListOptions{})
	nsObjects := map[string]map[string]any{}
	if err == nil {
		for i := range nsList.Items {
			nsObjects[nsList.Items[i].GetName()] = nsList.Items[i].Object
		}
	}
	var fmu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 10)
	for k, ts := range groups {
		if err == nil && k.ns == "" && k.gvr == nsGVR {
			// The namespaces themselves: listed just now.
			fmu.Lock()
			for i, t := range ts {
				fetched[ids[k][i]] = nsObjects[t.name] // nil: absent
			}
			fmu.Unlock()
			continue
		}
		if _, exists := nsObjects[k.ns]; err == nil && k.ns != "" && !exists {
			fmu.Lock()
			for _, id := range ids[k] {
				fetched[id] = nil // absent
			}
			fmu.Unlock()
			continue
		}
		if len(ts) < 3 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var list *unstructured.UnstructuredList
			var err error
			if k.ns == "" {
				list, err = rt.dyn.Resource(k.gvr).List(ctx, metav1.ListOptions{})
			} else {
				list, err = rt.dyn.Resource(k.gvr).Namespace(k.ns).List(ctx, metav1.ListOptions{})
			}
			if err != nil {
				rt.log.Debug("prefetch list failed", "resource", k.gvr, "namespace", k.ns, "err", err)
				return
			}
			byName := make(map[string]map[string]any, len(list.Items))
			for i := range list.Items {
				byName[list.Items[i].GetName()] = list.Items[i].Object
			}
			fmu.Lock()
			for i, t := range ts {
				fetched[ids[k][i]] = byName[t.name] // nil: absent
			}
			fmu.Unlock()
		}()
	}
	wg.Wait()
	rt.mu.Lock()
	rt.fetched = fetched
	rt.mu.Unlock()
	return nil
}

// Read returns the live object, nil when absent or of a kind not served yet.
func (rt *Runtime) Read(ctx context.Context, r spec.Resource) (map[string]any, error) {
	rt.mu.Lock()
	obj, ok := rt.fetched[r.ID]
	if ok {
		delete(rt.fetched, r.ID) // one use: later reads go to the server
	}
	rt.mu.Unlock()
	if ok {
		return obj, nil
	}
	t, err := rt.resolve(r, false)
	if errors.Is(err, errNoMapping) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u, err := t.client(rt.dyn).Get(ctx, t.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", r.ID, err)
	}
	return u.Object, nil
}

// Apply server-side applies r (or dry-runs it) and returns the result.
func (rt *Runtime) Apply(ctx context.Context, r spec.Resource, opts runtime.ApplyOptions) (map[string]any, error) {
	t, err := rt.resolve(r, true)
	if err != nil {
		return nil, err
	}
	obj := make(map[string]any, len(r.Attributes))
	for k, v := range r.Attributes {
		obj[k] = v
	}
	if t.mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		md, _ := obj["metadata"].(map[string]any)
		if _, has := md["namespace"]; !has {
			nmd := make(map[string]any, len(md)+1)
			for k, v := range md {
				nmd[k] = v
			}
			nmd["namespace"] = t.namespace
			obj["metadata"] = nmd
		}
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", r.ID, err)
	}
	force := opts.Force
	po := metav1.PatchOptions{FieldManager: FieldManager, Force: &force}
	if opts.DryRun {
		po.DryRun = []string{metav1.DryRunAll}
	}
	u, err := t.client(rt.dyn).Patch(ctx, t.name, types.ApplyPatchType, data, po)
	if err != nil {
		if apierrors.IsConflict(err) {
			return nil, &runtime.ConflictError{ID: r.ID, Message: conflictMessage(err), Err: err}
		}
		return nil, fmt.Errorf("apply %s: %w", r.ID, err)
	}
	if !opts.DryRun && t.gvk.Group == "apiextensions.k8s.io" && t.gvk.Kind == "CustomResourceDefinition" {
		est, err := rt.waitEstablished(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("apply %s: %w", r.ID, err)
		}
		rt.resetMapper()
		return est, nil
	}
	return u.Object, nil
}

func conflictMessage(err error) string {
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		st := se.Status()
		if st.Details != nil && len(st.Details.Causes) > 0 {
			var parts []string
			for _, c := range st.Details.Causes {
				parts = append(parts, strings.TrimSpace(c.Message+" "+c.Field))
			}
			return strings.Join(parts, "; ")
		}
		return st.Message
	}
	return err.Error()
}

// waitEstablished polls a CRD until its Established condition is True.
func (rt *Runtime) waitEstablished(ctx context.Context, t target) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		u, err := t.client(rt.dyn).Get(ctx, t.name, metav1.GetOptions{})
		if err == nil && conditionTrue(u.Object, "Established") {
			return u.Object, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for CRD %s to be established: %w", t.name, ctx.Err())
		case <-tick.C:
		}
	}
}

// Delete deletes r in the background (dependents go through garbage
// collection); a missing object or kind is not an error.
func (rt *Runtime) Delete(ctx context.Context, r spec.Resource) error {
	t, err := rt.resolve(r, false)
	if errors.Is(err, errNoMapping) {
		return nil
	}
	if err != nil {
		return err
	}
	prop := metav1.DeletePropagationBackground
	err = t.client(rt.dyn).Delete(ctx, t.name, metav1.DeleteOptions{PropagationPolicy: &prop})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete %s: %w", r.ID, err)
	}
	return nil
}

// serverManagedMetadata lists metadata fields the API server sets itself.
var serverManagedMetadata = []string{
	"managedFields", "resourceVersion", "uid", "creationTimestamp", "generation",
	"selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
}

// serverManagedAnnotations lists annotations set by servers or controllers.
var serverManagedAnnotations = []string{
	"kubectl.kubernetes.io/last-applied-configuration",
	"deployment.kubernetes.io/revision",
}

// Comparable drops server-managed fields (see serverManagedMetadata, status)
// from a copy of obj.
func (rt *Runtime) Comparable(obj map[string]any) map[string]any { return Comparable(obj) }

// Comparable is the rule of Runtime.Comparable.
func Comparable(obj map[string]any) map[string]any {
	if obj == nil {
		return nil
	}
	out := runtimeDeepCopy(obj).(map[string]any)
	delete(out, "status")
	if md, ok := out["metadata"].(map[string]any); ok {
		for _, f := range serverManagedMetadata {
			delete(md, f)
		}
		if ann, ok := md["annotations"].(map[string]any); ok {
			for _, a := range serverManagedAnnotations {
				delete(ann, a)
			}
			if len(ann) == 0 {
				delete(md, "annotations")
			}
		}
	}
	return out
}

func runtimeDeepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = runtimeDeepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = runtimeDeepCopy(e)
		}
		return l
	default:
		return v
	}
}

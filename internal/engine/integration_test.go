package engine_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"

	"github.com/konfig-lsp/konfig-lsp/internal/engine"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/graph"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/k8stest"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime/kubernetes"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/state"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

var cluster k8stest.Cluster

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childApply())
	}
	// Controllers, a scheduler and kwok's fake nodes, so that --watch sees
	// Deployments become available, Services get endpoints and Jobs end.
	cluster.Controllers = true
	os.Exit(k8stest.Main(m, &cluster))
}

// secretValue must never appear in any output.
const secretValue = "s3cr3t-Pa55w0rd"

// stackParams describe a generated test stack.
type stackParams struct {
	ns        string
	image     string
	configs   int  // number of plain ConfigMaps
	crd       bool // a CRD and a custom resource of it
	secretVal string
}

func obj(apiVersion, kind, ns, name string, extra map[string]any) map[string]any {
	md := map[string]any{"name": name}
	if ns != "" {
		md["namespace"] = ns
	}
	o := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": md}
	for k, v := range extra {
		o[k] = v
	}
	return o
}

func id(apiVersion, kind, ns, name string) string {
	if ns == "" {
		return apiVersion + ":" + kind + ":" + name
	}
	return apiVersion + ":" + kind + ":" + ns + ":" + name
}

// makeSpec builds a stack: a Namespace, ConfigMaps, a Secret, a Service, a
// ConfigMap referring to the Service's cluster IP, a Deployment, a
// cluster-scoped ClusterRole, and optionally a CRD with a custom resource.
func makeSpec(p stackParams) *spec.Spec {
	ns := p.ns
	nsID := id("v1", "Namespace", "", ns)
	var rs []spec.Resource
	add := func(apiVersion, kind, rns, name string, extra map[string]any, deps ...string) string {
		rid := id(apiVersion, kind, rns, name)
		rs = append(rs, spec.Resource{ID: rid, Type: spec.Kubernetes, Attributes: obj(apiVersion, kind, rns, name, extra), DependsOn: deps})
		return rid
	}
	add("v1", "Namespace", "", ns, nil)
	for i := 0; i < p.configs; i++ {
		add("v1", "ConfigMap", ns, fmt.Sprintf("cfg-%d", i), map[string]any{"data": map[string]any{"index": fmt.Sprint(i)}}, nsID)
	}
	add("v1", "Secret", ns, "creds", map[string]any{"type": "Opaque", "stringData": map[string]any{"password": p.secretVal}}, nsID)
	svc := add("v1", "Service", ns, "web", map[string]any{"spec": map[string]any{
		"selector": map[string]any{"app": "web"},
		"ports":    []any{map[string]any{"port": 80, "targetPort": 8080}},
	}}, nsID)
	add("v1", "ConfigMap", ns, "endpoint", map[string]any{"data": map[string]any{
		"ip": "$kusion_path." + svc + ".spec.clusterIP",
	}}, nsID)
	add("apps/v1", "Deployment", ns, "web", map[string]any{"spec": map[string]any{
		"replicas": 2,
		"selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
		"template": map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"app": "web"}},
			"spec": map[string]any{"containers": []any{map[string]any{
				"name": "main", "image": p.image, "ports": []any{map[string]any{"containerPort": 8080}},
			}}},
		},
	}}, nsID)
	add("rbac.authorization.k8s.io/v1", "ClusterRole", "", "konfig-test-"+ns, map[string]any{"rules": []any{map[string]any{
		"apiGroups": []any{""}, "resources": []any{"configmaps"}, "verbs": []any{"get"},
	}}})
	if p.crd {
		group := ns + ".konfig.test"
		crdID := add("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "widgets."+group, map[string]any{"spec": map[string]any{
			"group": group,
			"names": map[string]any{"kind": "Widget", "plural": "widgets", "singular": "widget"},
			"scope": "Namespaced",
			"versions": []any{map[string]any{
				"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{
					"type": "object",
					"properties": map[string]any{"spec": map[string]any{
						"type": "object", "properties": map[string]any{"size": map[string]any{"type": "integer"}},
					}},
				}},
			}},
		}})
		add(group+"/v1", "Widget", ns, "w1", map[string]any{"spec": map[string]any{"size": 3}}, nsID, crdID)
	}
	return &spec.Spec{Resources: rs}
}

// without returns sp minus the resource with id.
func without(sp *spec.Spec, rid string) *spec.Spec {
	out := &spec.Spec{}
	for _, r := range sp.Resources {
		if r.ID != rid {
			out.Resources = append(out.Resources, r)
		}
	}
	return out
}

type fixture struct {
	t   *testing.T
	rt  *kubernetes.Runtime
	eng *engine.Engine
	dir string
}

func newFixture(t *testing.T, dir string) *fixture {
	t.Helper()
	c := cluster.Need(t)
	rt, err := kubernetes.New(kubernetes.Config{Kubeconfig: c.Kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Config{StackDir: dir, Runtimes: runtime.Registry{spec.Kubernetes: rt}})
	return &fixture{t: t, rt: rt, eng: eng, dir: dir}
}

// actions maps each id to its action in a preview.
func (f *fixture) preview(sp *spec.Spec, opts engine.PreviewOptions) (*engine.Changes, map[string]engine.Action) {
	f.t.Helper()
	ch, err := f.eng.Preview(context.Background(), sp, opts)
	if err != nil {
		f.t.Fatalf("preview: %v", err)
	}
	acts := map[string]engine.Action{}
	for _, s := range ch.Steps() {
		acts[s.ID] = s.Action
	}
	return ch, acts
}

func (f *fixture) apply(sp *spec.Spec, opts engine.ApplyOptions) *engine.Result {
	f.t.Helper()
	res, err := f.eng.Apply(context.Background(), sp, nil, opts)
	if err != nil {
		f.t.Fatalf("apply: %v", err)
	}
	return res
}

func (f *fixture) get(apiVersion, kind, ns, name string) (*unstructured.Unstructured, error) {
	gv, _ := schema.ParseGroupVersion(apiVersion)
	m, err := f.rt.Mapper().RESTMapping(gv.WithKind(kind).GroupKind(), gv.Version)
	if err != nil {
		return nil, err
	}
	ri := f.rt.Dynamic().Resource(m.Resource)
	if ns != "" {
		return ri.Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	}
	return ri.Get(context.Background(), name, metav1.GetOptions{})
}

func allActions(sp *spec.Spec, a engine.Action) map[string]engine.Action {
	m := map[string]engine.Action{}
	for _, r := range sp.Resources {
		m[r.ID] = a
	}
	return m
}

func summary(created, updated, deleted, unchanged int) string {
	return fmt.Sprintf("%d created, %d updated, %d deleted, %d unchanged", created, updated, deleted, unchanged)
}

func TestLifecycle(t *testing.T) {
	f := newFixture(t, t.TempDir())
	ns := fmt.Sprintf("life-%d", time.Now().UnixNano()%1_000_000)
	p := stackParams{ns: ns, image: "nginx:1.27", configs: 3, crd: true, secretVal: secretValue}
	sp := makeSpec(p)
	n := len(sp.Resources)

	// First apply: everything is created.
	_, acts := f.preview(sp, engine.PreviewOptions{})
	if diff := cmp.Diff(allActions(sp, engine.Create), acts); diff != "" {
		t.Fatalf("first preview (-want +got):\n%s", diff)
	}
	var events []engine.Event
	res := f.apply(sp, engine.ApplyOptions{OnEvent: func(e engine.Event) { events = append(events, e) }})
	if got, want := res.Summary(), summary(n, 0, 0, 0); got != want {
		t.Fatalf("first apply summary %q, want %q", got, want)
	}
	if last := events[len(events)-1]; last.Done != n || last.Total != n {
		t.Errorf("last event %d/%d, want %d/%d", last.Done, last.Total, n, n)
	}

	// The objects are there, the reference was resolved from the live Service.
	svc, err := f.get("v1", "Service", ns, "web")
	if err != nil {
		t.Fatalf("service: %v", err)
	}
	ep, err := f.get("v1", "ConfigMap", ns, "endpoint")
	if err != nil {
		t.Fatalf("endpoint configmap: %v", err)
	}
	ip, _, _ := unstructured.NestedString(svc.Object, "spec", "clusterIP")
	got, _, _ := unstructured.NestedString(ep.Object, "data", "ip")
	if ip == "" || got != ip {
		t.Errorf("endpoint ip = %q, want the service's cluster IP %q", got, ip)
	}
	if _, err := f.get(ns+".konfig.test/v1", "Widget", ns, "w1"); err != nil {
		t.Errorf("custom resource after its CRD: %v", err)
	}
	if _, err := f.get("rbac.authorization.k8s.io/v1", "ClusterRole", "", "konfig-test-"+ns); err != nil {
		t.Errorf("cluster-scoped role: %v", err)
	}
	sec, err := f.get("v1", "Secret", ns, "creds")
	if err != nil {
		t.Fatal(err)
	}
	if v, _, _ := unstructured.NestedString(sec.Object, "data", "password"); v != base64.StdEncoding.EncodeToString([]byte(secretValue)) {
		t.Errorf("secret data = %q", v)
	}
	st, err := f.eng.Store().Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Resources) != n || st.Serial < 1 {
		t.Errorf("state: %d resources serial %d, want %d resources", len(st.Resources), st.Serial, n)
	}
	if data, _ := os.ReadFile(f.eng.Store().Path()); bytes.Contains(data, []byte(secretValue)) {
		t.Errorf("the state file holds the secret value")
	}

	// Re-apply: nothing changes.
	_, acts = f.preview(sp, engine.PreviewOptions{})
	if diff := cmp.Diff(allActions(sp, engine.UnChanged), acts); diff != "" {
		t.Fatalf("preview after apply (-want +got):\n%s", diff)
	}
	if got, want := f.apply(sp, engine.ApplyOptions{}).Summary(), summary(0, 0, 0, n); got != want {
		t.Errorf("re-apply summary %q, want %q", got, want)
	}

	// Change the image: one Update.
	p2 := p
	p2.image = "nginx:1.28"
	sp2 := makeSpec(p2)
	depID := id("apps/v1", "Deployment", ns, "web")
	ch, acts := f.preview(sp2, engine.PreviewOptions{})
	want := allActions(sp2, engine.UnChanged)
	want[depID] = engine.Update
	if diff := cmp.Diff(want, acts); diff != "" {
		t.Fatalf("preview after an image change (-want +got):\n%s", diff)
	}
	d, err := engine.StepDiff(ch.ChangeSteps[depID], false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d, "-        - image: nginx:1.27") || !strings.Contains(d, "+        - image: nginx:1.28") {
		t.Errorf("diff of the image change:\n%s", d)
	}
	if got, want := f.apply(sp2, engine.ApplyOptions{}).Summary(), summary(0, 1, 0, n-1); got != want {
		t.Errorf("apply of the image change: %q, want %q", got, want)
	}
	dep, err := f.get("apps/v1", "Deployment", ns, "web")
	if err != nil {
		t.Fatal(err)
	}
	ctrs, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	if img := ctrs[0].(map[string]any)["image"]; img != "nginx:1.28" {
		t.Errorf("live image %v, want nginx:1.28", img)
	}

	// --ignore-fields hides a difference.
	p3 := p2
	p3.image = "nginx:1.29"
	_, acts = f.preview(makeSpec(p3), engine.PreviewOptions{IgnoreFields: []string{"spec.template.spec.containers.image"}})
	if acts[depID] != engine.UnChanged {
		t.Errorf("image change with the image ignored: %s, want UnChanged", acts[depID])
	}

	// Remove a ConfigMap: one Delete.
	cfgID := id("v1", "ConfigMap", ns, "cfg-1")
	sp3 := without(sp2, cfgID)
	_, acts = f.preview(sp3, engine.PreviewOptions{})
	want = allActions(sp3, engine.UnChanged)
	want[cfgID] = engine.Delete
	if diff := cmp.Diff(want, acts); diff != "" {
		t.Fatalf("preview after removing a resource (-want +got):\n%s", diff)
	}
	if got, want := f.apply(sp3, engine.ApplyOptions{}).Summary(), summary(0, 0, 1, n-1); got != want {
		t.Errorf("apply after removing a resource: %q, want %q", got, want)
	}
	if _, err := f.get("v1", "ConfigMap", ns, "cfg-1"); !apierrors.IsNotFound(err) {
		t.Errorf("removed ConfigMap still there: %v", err)
	}

	// Drift: a hand edit (as kubectl edit does: an update by another field
	// manager) shows as an Update with a conflict; apply needs
	// --force-conflicts and then converges.
	// With controllers running, the Deployment controller writes the
	// object too (the revision annotation): like kubectl edit, read again
	// and retry on a conflict.
	m, _ := f.rt.Mapper().RESTMapping(schema.GroupKind{Group: "apps", Kind: "Deployment"}, "v1")
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		dep, err := f.get("apps/v1", "Deployment", ns, "web")
		if err != nil {
			return err
		}
		unstructured.SetNestedField(dep.Object, int64(5), "spec", "replicas")
		_, err = f.rt.Dynamic().Resource(m.Resource).Namespace(ns).Update(context.Background(), dep, metav1.UpdateOptions{FieldManager: "kubectl-edit"})
		return err
	})
	if err != nil {
		t.Fatalf("hand edit: %v", err)
	}
	ch, acts = f.preview(sp3, engine.PreviewOptions{})
	want = allActions(sp3, engine.UnChanged)
	want[depID] = engine.Update
	if diff := cmp.Diff(want, acts); diff != "" {
		t.Fatalf("preview after a hand edit (-want +got):\n%s", diff)
	}
	if note := ch.ChangeSteps[depID].Note; !strings.Contains(note, "conflict") {
		t.Errorf("drift step note %q, want a conflict", note)
	}
	d, _ = engine.StepDiff(ch.ChangeSteps[depID], false)
	if !strings.Contains(d, "-  replicas: 5") || !strings.Contains(d, "+  replicas: 2") {
		t.Errorf("drift diff:\n%s", d)
	}
	_, err = f.eng.Apply(context.Background(), sp3, nil, engine.ApplyOptions{})
	var ce *runtime.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("apply over a hand edit without --force-conflicts: err = %v, want a conflict", err)
	}
	if got, want := f.apply(sp3, engine.ApplyOptions{PreviewOptions: engine.PreviewOptions{ForceConflicts: true}}).Summary(), summary(0, 1, 0, n-2); got != want {
		t.Errorf("forced apply: %q, want %q", got, want)
	}
	_, acts = f.preview(sp3, engine.PreviewOptions{})
	if diff := cmp.Diff(allActions(sp3, engine.UnChanged), acts); diff != "" {
		t.Errorf("preview after the forced apply (-want +got):\n%s", diff)
	}

	// A changed Secret value shows masked, in every output.
	p4 := p2
	p4.secretVal = "n3w-" + secretValue
	sp4 := without(makeSpec(p4), cfgID)
	ch, acts = f.preview(sp4, engine.PreviewOptions{})
	secID := id("v1", "Secret", ns, "creds")
	if acts[secID] != engine.Update {
		t.Errorf("secret change: %s, want Update", acts[secID])
	}
	var out bytes.Buffer
	js, err := ch.JSON()
	if err != nil {
		t.Fatal(err)
	}
	out.Write(js)
	engine.WriteTable(&out, "s", ch)
	engine.WriteDiff(&out, ch, true)
	for _, v := range []string{secretValue, p4.secretVal} {
		for _, enc := range []string{v, base64.StdEncoding.EncodeToString([]byte(v))} {
			if strings.Contains(out.String(), enc) {
				t.Errorf("a secret value appears in the output:\n%s", out.String())
			}
		}
	}
	if !strings.Contains(out.String(), spec.MaskedChanged) {
		t.Errorf("the changed secret value is not marked %q", spec.MaskedChanged)
	}

	// The lock stops a concurrent operation and names the holder.
	lock, err := f.eng.Store().Lock("apply", false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.eng.Apply(context.Background(), sp3, nil, engine.ApplyOptions{})
	var le *state.LockedError
	if !errors.As(err, &le) || le.Holder.PID != os.Getpid() {
		t.Errorf("apply under a held lock: err = %v, want a LockedError naming this process", err)
	}
	lock.Release()

	// Destroy: nothing left.
	dch, err := f.eng.DestroyPreview(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(dch.StepKeys) != n-1 {
		t.Errorf("destroy preview has %d steps, want %d", len(dch.StepKeys), n-1)
	}
	pos := map[string]int{}
	for i, k := range dch.StepKeys {
		pos[k] = i
	}
	for _, r := range sp3.Resources {
		deps := append([]string(nil), r.DependsOn...)
		for _, ref := range graph.Refs(r.Attributes) {
			deps = append(deps, ref.ID)
		}
		for _, d := range deps {
			if pos[d] < pos[r.ID] {
				t.Errorf("destroy order deletes %s before its dependent %s: %v", d, r.ID, dch.StepKeys)
			}
		}
	}
	dres, err := f.eng.Destroy(context.Background(), engine.DestroyOptions{})
	if err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if got, want := dres.Summary(), summary(0, 0, n-1, 0); got != want {
		t.Errorf("destroy summary %q, want %q", got, want)
	}
	if cluster.Controllers {
		// The namespace controller empties and removes the Namespace; the
		// CRD's custom resources are cleaned up before it goes.
		for _, r := range sp3.Resources {
			f.waitGoneResource(t, r, 3*time.Minute)
		}
	}
	for _, r := range sp3.Resources {
		live, err := f.rt.Read(context.Background(), r)
		if err != nil {
			t.Errorf("read %s after destroy: %v", r.ID, err)
			continue
		}
		if live != nil {
			// Without controllers, Namespaces (and what is in them) stay
			// Terminating: being deleted is enough then.
			if ts, _, _ := unstructured.NestedString(live, "metadata", "deletionTimestamp"); ts == "" || cluster.Controllers {
				t.Errorf("%s still there after destroy (deletionTimestamp %q)", r.ID, ts)
			}
		}
	}
	st, _ = f.eng.Store().Load()
	if len(st.Resources) != 0 {
		t.Errorf("state after destroy holds %d resources", len(st.Resources))
	}
}

// --- kill -9 in the middle of an apply --------------------------------------

const childEnv = "KONFIG_ENGINE_TEST_CHILD"

// childApply is the re-executed test binary: it applies the stack named by
// the environment one resource at a time, printing a line per resource.
func childApply() int {
	p := stackParams{ns: os.Getenv("CHILD_NS"), image: "nginx:1.27", configs: 60, secretVal: secretValue}
	rt, err := kubernetes.New(kubernetes.Config{Kubeconfig: os.Getenv("CHILD_KUBECONFIG")})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	cfg := engine.Config{StackDir: os.Getenv("CHILD_DIR"), Runtimes: runtime.Registry{spec.Kubernetes: rt}}
	if ns := os.Getenv("CHILD_STATE_NS"); ns != "" {
		if cfg.Backend, err = kubeBackend(os.Getenv("CHILD_KUBECONFIG"), ns); err != nil {
			fmt.Println("error:", err)
			return 1
		}
	}
	eng := engine.New(cfg)
	_, err = eng.Apply(context.Background(), makeSpec(p), nil, engine.ApplyOptions{
		PreviewOptions: engine.PreviewOptions{MaxConcurrent: 1},
		OnEvent: func(e engine.Event) {
			if e.Type == engine.EventDone {
				fmt.Printf("done %d\n", e.Done)
			}
		},
	})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	return 0
}

// kubeBackend is the kubernetes state backend of the test stack, its Lease
// lasting 3 s.
func kubeBackend(kubeconfig, ns string) (state.Backend, error) {
	rc, err := kubernetes.RESTConfig(kubernetes.Config{Kubeconfig: kubeconfig})
	if err != nil {
		return nil, err
	}
	return engine.OpenBackend(engine.BackendConfig{Type: engine.BackendKubernetes, Namespace: ns, Stack: "kill/test", LeaseSeconds: 3}, "", "", rc)
}

func TestKilledApplyConverges(t *testing.T) { testKilledApplyConverges(t, "") }

// TestKilledApplyConvergesKubernetesBackend: with the state in the cluster,
// the killed apply's Lease refuses the rerun until it lapses, then the rerun
// converges.
func TestKilledApplyConvergesKubernetesBackend(t *testing.T) {
	testKilledApplyConverges(t, fmt.Sprintf("kill-state-%d", time.Now().UnixNano()%1_000_000))
}

func testKilledApplyConverges(t *testing.T, stateNS string) {
	dir := t.TempDir()
	f := newFixture(t, dir)
	if stateNS != "" {
		backend, err := kubeBackend(cluster.Kubeconfig, stateNS)
		if err != nil {
			t.Fatal(err)
		}
		f.eng = engine.New(engine.Config{StackDir: dir, Runtimes: runtime.Registry{spec.Kubernetes: f.rt}, Backend: backend})
	}
	ns := fmt.Sprintf("kill-%d", time.Now().UnixNano()%1_000_000)
	sp := makeSpec(stackParams{ns: ns, image: "nginx:1.27", configs: 60, secretVal: secretValue})
	n := len(sp.Resources)

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "CHILD_NS="+ns, "CHILD_DIR="+dir, "CHILD_KUBECONFIG="+cluster.Kubeconfig, "CHILD_STATE_NS="+stateNS)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	killedAt := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "error:") {
			t.Fatalf("child: %s", line)
		}
		var k int
		if _, err := fmt.Sscanf(line, "done %d", &k); err == nil && k >= 20 {
			killedAt = k
			cmd.Process.Kill() // SIGKILL
			break
		}
	}
	cmd.Wait()
	if killedAt == 0 {
		t.Fatalf("the child finished or died before 20 resources")
	}
	// The state is valid and holds part of the stack.
	st, err := f.eng.Backend().Load()
	if err != nil {
		t.Fatalf("state after kill -9: %v", err)
	}
	if len(st.Resources) == 0 || len(st.Resources) >= n {
		t.Errorf("state after kill -9 at %d/%d holds %d resources; want part of the stack", killedAt, n, len(st.Resources))
	}
	t.Logf("killed at %d/%d; state holds %d resources (serial %d)", killedAt, n, len(st.Resources), st.Serial)

	// Rerun (the dead process's lock is stale; a Lease lapses): converges.
	if stateNS != "" {
		_, err := f.eng.Apply(context.Background(), sp, nil, engine.ApplyOptions{})
		var le *state.LockedError
		if !errors.As(err, &le) {
			t.Errorf("rerun right after kill -9 with the state in the cluster: %v; want the dead holder's Lease to refuse it", err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for errors.As(err, &le) && time.Now().Before(deadline) {
			var l *state.Lock
			if l, err = f.eng.Backend().Lock("probe", false); err == nil {
				l.Release()
			}
		}
	}
	res := f.apply(sp, engine.ApplyOptions{})
	if res.Created+res.UnChanged != n || res.Failed != 0 {
		t.Errorf("rerun: %s; want %d resources created or unchanged", res.Summary(), n)
	}
	_, acts := f.preview(sp, engine.PreviewOptions{})
	if diff := cmp.Diff(allActions(sp, engine.UnChanged), acts); diff != "" {
		t.Errorf("preview after the rerun (-want +got):\n%s", diff)
	}
	st, _ = f.eng.Backend().Load()
	if len(st.Resources) != n {
		t.Errorf("state after the rerun holds %d resources, want %d", len(st.Resources), n)
	}
	if _, err := f.eng.Destroy(context.Background(), engine.DestroyOptions{}); err != nil {
		t.Errorf("destroy: %v", err)
	}
}

// workloads returns a stack of a Namespace, a ConfigMap, a Deployment "web"
// of two replicas, a Service "web" that selects its pods, a Job "migrate",
// a StatefulSet "db" of two replicas and a DaemonSet "agent" (a pod on each
// fake node), plus extra resources built by the functions given. As in the
// Konfig stacks, the Deployment depends on the Service (whose endpoints
// come from the Deployment's pods).
func workloads(ns string, extra ...func(ns, nsID string) spec.Resource) *spec.Spec {
	nsID := id("v1", "Namespace", "", ns)
	web := deployment(ns, nsID, "web", 2, nil)
	web.DependsOn = append(web.DependsOn, id("v1", "Service", ns, "web"))
	rs := []spec.Resource{
		{ID: nsID, Type: spec.Kubernetes, Attributes: obj("v1", "Namespace", "", ns, nil)},
		{ID: id("v1", "ConfigMap", ns, "settings"), Type: spec.Kubernetes, DependsOn: []string{nsID},
			Attributes: obj("v1", "ConfigMap", ns, "settings", map[string]any{"data": map[string]any{"mode": "test"}})},
		web,
		{ID: id("v1", "Service", ns, "web"), Type: spec.Kubernetes, DependsOn: []string{nsID},
			Attributes: obj("v1", "Service", ns, "web", map[string]any{"spec": map[string]any{
				"selector": map[string]any{"app": "web"},
				"ports":    []any{map[string]any{"port": 80, "targetPort": 8080}},
			}})},
		job(ns, nsID, "migrate", nil),
		{ID: id("apps/v1", "StatefulSet", ns, "db"), Type: spec.Kubernetes, DependsOn: []string{nsID},
			Attributes: obj("apps/v1", "StatefulSet", ns, "db", map[string]any{"spec": map[string]any{
				"replicas": 2, "serviceName": "db",
				"selector": map[string]any{"matchLabels": map[string]any{"app": "db"}},
				"template": podTemplate("db", "postgres:17"),
			}})},
		{ID: id("apps/v1", "DaemonSet", ns, "agent"), Type: spec.Kubernetes, DependsOn: []string{nsID},
			Attributes: obj("apps/v1", "DaemonSet", ns, "agent", map[string]any{"spec": map[string]any{
				"selector": map[string]any{"matchLabels": map[string]any{"app": "agent"}},
				"template": podTemplate("agent", "busybox:1.37"),
			}})},
	}
	for _, e := range extra {
		rs = append(rs, e(ns, nsID))
	}
	return &spec.Spec{Resources: rs}
}

func podTemplate(app, image string) map[string]any {
	return map[string]any{
		"metadata": map[string]any{"labels": map[string]any{"app": app}},
		"spec":     map[string]any{"containers": []any{map[string]any{"name": "main", "image": image}}},
	}
}

func deployment(ns, nsID, name string, replicas int, nodeSelector map[string]any) spec.Resource {
	podSpec := map[string]any{"containers": []any{map[string]any{
		"name": "main", "image": "nginx:1.27", "ports": []any{map[string]any{"containerPort": 8080}},
	}}}
	if nodeSelector != nil {
		podSpec["nodeSelector"] = nodeSelector
	}
	return spec.Resource{ID: id("apps/v1", "Deployment", ns, name), Type: spec.Kubernetes, DependsOn: []string{nsID},
		Attributes: obj("apps/v1", "Deployment", ns, name, map[string]any{"spec": map[string]any{
			"replicas": replicas,
			"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": name}},
				"spec":     podSpec,
			},
		}})}
}

// job is a Job of one pod; podLabels go on its pod (kwok's stages in
// hack/k8s/kwok-stages.yaml fail a pod labelled konfig-lsp.test/exit=1).
func job(ns, nsID, name string, podLabels map[string]any) spec.Resource {
	return spec.Resource{ID: id("batch/v1", "Job", ns, name), Type: spec.Kubernetes, DependsOn: []string{nsID},
		Attributes: obj("batch/v1", "Job", ns, name, map[string]any{"spec": map[string]any{
			"backoffLimit": 0,
			"template": map[string]any{
				"metadata": map[string]any{"labels": podLabels},
				"spec": map[string]any{
					"restartPolicy": "Never",
					"containers":    []any{map[string]any{"name": "main", "image": "busybox:1.37", "command": []any{"true"}}},
				},
			},
		}})}
}

// watchEvents records, per resource, the types of the events of an apply.
type watchEvents struct {
	mu    sync.Mutex
	types map[string][]engine.EventType
	errs  map[string]error
}

func (w *watchEvents) on(e engine.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.types == nil {
		w.types, w.errs = map[string][]engine.EventType{}, map[string]error{}
	}
	w.types[e.ID] = append(w.types[e.ID], e.Type)
	if e.Err != nil {
		w.errs[e.ID] = e.Err
	}
}

// TestWatch applies with --watch on the cluster with controllers and fake
// nodes: apply waits until the Deployment is available, the Service has a
// ready endpoint (the Deployment that depends on it is applied once it has
// a cluster IP) and the Job is complete, and reports each (waiting, then
// done); a Deployment whose pods no node can take times out naming it; a
// Job whose pod fails is an error at once (not a wait); destroy leaves
// nothing, the Namespace included (it goes through Terminating).
func TestWatch(t *testing.T) {
	cluster.NeedControllers(t)
	f := newFixture(t, t.TempDir())
	ns := fmt.Sprintf("watch-%d", time.Now().UnixNano()%1_000_000)
	sp := workloads(ns)
	depID := id("apps/v1", "Deployment", ns, "web")
	svcID := id("v1", "Service", ns, "web")
	jobID := id("batch/v1", "Job", ns, "migrate")

	// At each "done" event, what the cluster holds: the object and, for the
	// Service, its EndpointSlices (checked below by their raw status, not by
	// the readiness rules under test).
	byID := map[string]spec.Resource{}
	for _, r := range sp.Resources {
		byID[r.ID] = r
	}
	atDone := map[string]*unstructured.Unstructured{}
	var slicesAtDone []map[string]any
	var ev watchEvents
	onEvent := func(e engine.Event) {
		ev.on(e)
		if e.Type != engine.EventDone {
			return
		}
		a := byID[e.ID].Attributes
		md, _ := a["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		rns, _ := md["namespace"].(string)
		o, err := f.get(a["apiVersion"].(string), a["kind"].(string), rns, name)
		if err != nil {
			t.Errorf("read %s when it was reported done: %v", e.ID, err)
			return
		}
		atDone[e.ID] = o
		if e.ID == svcID {
			list, err := f.rt.Dynamic().Resource(schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}).
				Namespace(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=web"})
			if err != nil {
				t.Errorf("endpoint slices of %s: %v", svcID, err)
				return
			}
			for i := range list.Items {
				slicesAtDone = append(slicesAtDone, list.Items[i].Object)
			}
		}
	}
	res, err := f.eng.Apply(context.Background(), sp, nil, engine.ApplyOptions{Watch: true, WatchTimeout: 3 * time.Minute, OnEvent: onEvent})
	if err != nil {
		t.Fatalf("apply --watch: %v", err)
	}
	if got, want := res.Summary(), summary(len(sp.Resources), 0, 0, 0); got != want {
		t.Errorf("apply --watch: %q, want %q", got, want)
	}
	for _, r := range sp.Resources {
		want := []engine.EventType{engine.EventStart, engine.EventWaiting, engine.EventDone}
		if diff := cmp.Diff(want, ev.types[r.ID]); diff != "" {
			t.Errorf("events of %s (-want +got):\n%s", r.ID, diff)
		}
	}
	// Each was ready when apply reported it done.
	statusInt := func(id string, field ...string) int64 {
		o := atDone[id]
		if o == nil {
			return -1
		}
		n, _, _ := unstructured.NestedInt64(o.Object, append([]string{"status"}, field...)...)
		return n
	}
	for _, c := range []struct {
		id, field string
		want      int64
	}{
		{depID, "availableReplicas", 2},
		{depID, "updatedReplicas", 2},
		{id("apps/v1", "StatefulSet", ns, "db"), "readyReplicas", 2},
		{id("apps/v1", "DaemonSet", ns, "agent"), "numberAvailable", 2},
		{jobID, "succeeded", 1},
	} {
		if got := statusInt(c.id, c.field); got != c.want {
			t.Errorf("%s when reported done: status.%s = %d, want %d", c.id, c.field, got, c.want)
		}
	}
	readyEndpoints := 0
	for _, sl := range slicesAtDone {
		eps, _, _ := unstructured.NestedSlice(sl, "endpoints")
		for _, e := range eps {
			if ready, found, _ := unstructured.NestedBool(e.(map[string]any), "conditions", "ready"); ready || !found {
				readyEndpoints++
			}
		}
	}
	if readyEndpoints == 0 {
		t.Errorf("%s when reported done: no ready endpoint in %d EndpointSlices", svcID, len(slicesAtDone))
	}
	if o := atDone[jobID]; o == nil || !hasCondition(o.Object, "Complete") {
		t.Errorf("%s when reported done: no Complete condition", jobID)
	}

	// A Deployment no node can run times out, named with its reason (the
	// scheduler's message on its pod).
	stuckID := id("apps/v1", "Deployment", ns, "stuck")
	stuck := workloads(ns, func(ns, nsID string) spec.Resource {
		return deployment(ns, nsID, "stuck", 1, map[string]any{"konfig-lsp.test/no-such-node": "true"})
	})
	_, err = f.eng.Apply(context.Background(), stuck, nil, engine.ApplyOptions{Watch: true, WatchTimeout: 10 * time.Second})
	if err == nil || !strings.Contains(err.Error(), stuckID) || !strings.Contains(err.Error(), "not ready after 10s") ||
		!strings.Contains(err.Error(), "0/1 replicas available") || !strings.Contains(err.Error(), "unschedulable: 0/2 nodes are available") {
		t.Errorf("apply --watch of a Deployment no node can run: err = %v, want a readiness timeout naming %s", err, stuckID)
	}
	t.Logf("stuck Deployment: %v", err)
	// WaitReady stops on its context (an interrupted apply), not at its
	// timeout.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = f.rt.WaitReady(ctx, stuck.Resources[len(stuck.Resources)-1], time.Hour)
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "not ready after") {
		t.Errorf("WaitReady on a cancelled context: err = %v, want context.Canceled", err)
	}

	// A failing Job is an error as soon as it fails, not a timeout (the
	// stuck Deployment goes: apply deletes what left the stack only after a
	// successful walk, so it stays until the destroy). It depends on a
	// Service that selects no pod, whose endpoints are still awaited when
	// the Job fails: that wait stops with the failure instead of running to
	// its timeout.
	failID := id("batch/v1", "Job", ns, "fails")
	probeID := id("v1", "Service", ns, "probe")
	failing := workloads(ns, func(ns, nsID string) spec.Resource {
		return spec.Resource{ID: probeID, Type: spec.Kubernetes, DependsOn: []string{nsID},
			Attributes: obj("v1", "Service", ns, "probe", map[string]any{"spec": map[string]any{
				"selector": map[string]any{"app": "nobody"},
				"ports":    []any{map[string]any{"port": 80}},
			}})}
	}, func(ns, nsID string) spec.Resource {
		j := job(ns, nsID, "fails", map[string]any{"konfig-lsp.test/exit": "1"})
		j.DependsOn = append(j.DependsOn, probeID)
		return j
	})
	var fev watchEvents
	_, err = f.eng.Apply(context.Background(), failing, nil, engine.ApplyOptions{Watch: true, WatchTimeout: 3 * time.Minute, OnEvent: fev.on})
	if err == nil || !strings.Contains(err.Error(), failID) || !strings.Contains(err.Error(), "job failed") ||
		strings.Contains(err.Error(), "not ready after") || strings.Contains(err.Error(), probeID) {
		t.Errorf("apply --watch of a failing Job: err = %v, want the failure of %s at once", err, failID)
	}
	want := []engine.EventType{engine.EventStart, engine.EventWaiting, engine.EventSkipped}
	if diff := cmp.Diff(want, fev.types[probeID]); diff != "" {
		t.Errorf("events of %s, whose endpoints were awaited when the apply failed (-want +got):\n%s", probeID, diff)
	}

	// Destroy: everything goes, the Namespace through Terminating.
	dres, err := f.eng.Destroy(context.Background(), engine.DestroyOptions{})
	if err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if got, want := dres.Summary(), summary(0, 0, len(failing.Resources)+1, 0); got != want {
		t.Errorf("destroy: %q, want %q", got, want)
	}
	all := append(append([]spec.Resource{}, failing.Resources...), stuck.Resources...)
	for _, r := range all {
		f.waitGoneResource(t, r, 3*time.Minute)
	}
	for _, r := range all {
		if live, err := f.rt.Read(context.Background(), r); err != nil || live != nil {
			t.Errorf("%s after destroy: live=%v err=%v, want gone", r.ID, live != nil, err)
		}
	}
}

// hasCondition reports whether obj has the status condition typ, True.
func hasCondition(obj map[string]any, typ string) bool {
	conds, _, _ := unstructured.NestedSlice(obj, "status", "conditions")
	for _, c := range conds {
		if m, _ := c.(map[string]any); m["type"] == typ && m["status"] == "True" {
			return true
		}
	}
	return false
}

// waitGoneResource is waitGone for a resource of a spec.
func (f *fixture) waitGoneResource(t *testing.T, r spec.Resource, timeout time.Duration) {
	t.Helper()
	apiVersion, _ := r.Attributes["apiVersion"].(string)
	kind, _ := r.Attributes["kind"].(string)
	md, _ := r.Attributes["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	ns, _ := md["namespace"].(string)
	f.waitGone(t, apiVersion, kind, ns, name, timeout)
}

// waitGone waits, by a watch, until the object is deleted (not merely being
// deleted), and fails t when timeout passes first.
func (f *fixture) waitGone(t *testing.T, apiVersion, kind, ns, name string, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	gv, _ := schema.ParseGroupVersion(apiVersion)
	m, err := f.rt.Mapper().RESTMapping(gv.WithKind(kind).GroupKind(), gv.Version)
	if meta.IsNoMatchError(err) {
		return // the kind itself is gone (its CRD was deleted)
	}
	if err != nil {
		t.Fatal(err)
	}
	var ri dynamic.ResourceInterface = f.rt.Dynamic().Resource(m.Resource)
	if ns != "" {
		ri = f.rt.Dynamic().Resource(m.Resource).Namespace(ns)
	}
	for {
		u, err := ri.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return
		}
		if err != nil {
			t.Fatalf("%s %s not gone after %s: %v", kind, name, timeout, err)
		}
		w, err := ri.Watch(ctx, metav1.ListOptions{
			FieldSelector:   fields.OneTermEqualSelector("metadata.name", name).String(),
			ResourceVersion: u.GetResourceVersion(),
		})
		if err != nil {
			t.Fatalf("watch %s %s: %v", kind, name, err)
		}
		for e := range w.ResultChan() {
			if e.Type == watch.Deleted {
				w.Stop()
				return
			}
		}
		w.Stop()
		if ctx.Err() != nil {
			phase, _, _ := unstructured.NestedString(u.Object, "status", "phase")
			t.Fatalf("%s %s not gone after %s (phase %q)", kind, name, timeout, phase)
		}
	}
}

// TestWatchKonfigStack applies a stack of the Konfig corpus (guestbook: three
// Deployments that depend on three Services selecting their pods) with
// --watch, in a namespace of its own: every Deployment becomes available and
// every Service gets a ready endpoint before apply returns; then destroy
// leaves nothing.
func TestWatchKonfigStack(t *testing.T) {
	cluster.NeedControllers(t)
	root, err := k8stest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join(root, "..", "shared", "corpus", "konfig", "appops", "guestbook", "dev", "ci-test", "stdout.golden.yaml")
	data, err := os.ReadFile(golden)
	if err != nil {
		t.Skipf("Konfig corpus stack not found (%v): the corpus lives beside the repository", err)
	}
	var rs []spec.Resource
	if err := yaml.Unmarshal(data, &rs); err != nil {
		t.Fatalf("%s: %v", golden, err)
	}
	ns := fmt.Sprintf("guestbook-watch-%d", time.Now().UnixNano()%1_000_000)
	sp := renameNamespace(&spec.Spec{Resources: rs}, "guestbook", ns)
	f := newFixture(t, t.TempDir())
	// At each "done" event, the raw evidence: a Deployment's available
	// replicas, the ready endpoints of a Service.
	byID := map[string]spec.Resource{}
	for _, r := range sp.Resources {
		byID[r.ID] = r
	}
	var ev watchEvents
	evidence := map[string]int64{}
	onEvent := func(e engine.Event) {
		ev.on(e)
		if e.Type != engine.EventDone {
			return
		}
		a := byID[e.ID].Attributes
		md, _ := a["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		switch a["kind"] {
		case "Deployment":
			o, err := f.get("apps/v1", "Deployment", ns, name)
			if err != nil {
				t.Errorf("read %s: %v", e.ID, err)
				return
			}
			evidence[e.ID], _, _ = unstructured.NestedInt64(o.Object, "status", "availableReplicas")
		case "Service":
			list, err := f.rt.Dynamic().Resource(schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}).
				Namespace(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=" + name})
			if err != nil {
				t.Errorf("endpoint slices of %s: %v", e.ID, err)
				return
			}
			for i := range list.Items {
				eps, _, _ := unstructured.NestedSlice(list.Items[i].Object, "endpoints")
				for _, ep := range eps {
					if ready, found, _ := unstructured.NestedBool(ep.(map[string]any), "conditions", "ready"); ready || !found {
						evidence[e.ID]++
					}
				}
			}
		}
	}
	res, err := f.eng.Apply(context.Background(), sp, nil, engine.ApplyOptions{Watch: true, WatchTimeout: 3 * time.Minute, OnEvent: onEvent})
	if err != nil {
		t.Fatalf("apply --watch of guestbook: %v", err)
	}
	if got, want := res.Summary(), summary(len(sp.Resources), 0, 0, 0); got != want {
		t.Errorf("apply --watch: %q, want %q", got, want)
	}
	waited := 0
	for _, r := range sp.Resources {
		want := []engine.EventType{engine.EventStart, engine.EventWaiting, engine.EventDone}
		if diff := cmp.Diff(want, ev.types[r.ID]); diff != "" {
			t.Errorf("events of %s (-want +got):\n%s", r.ID, diff)
		}
		if k := r.Attributes["kind"]; k == "Deployment" || k == "Service" {
			waited++
			// Each Deployment has one replica; each Service selects one.
			if evidence[r.ID] != 1 {
				t.Errorf("%s when reported done: %d available replicas or ready endpoints, want 1", r.ID, evidence[r.ID])
			}
		}
	}
	if waited != 6 {
		t.Errorf("the stack has %d Deployments and Services, want 6", waited)
	}
	if _, err := f.eng.Destroy(context.Background(), engine.DestroyOptions{}); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	for _, r := range sp.Resources {
		f.waitGoneResource(t, r, 3*time.Minute)
	}
}

// renameNamespace moves the resources of namespace from to namespace to (the
// Namespace itself, namespaced objects, ids and dependsOn).
func renameNamespace(sp *spec.Spec, from, to string) *spec.Spec {
	rename := func(rid string) string {
		parts := strings.Split(rid, ":")
		switch {
		case len(parts) == 3 && parts[1] == "Namespace" && parts[2] == from:
			parts[2] = to
		case len(parts) == 4 && parts[2] == from:
			parts[2] = to
		}
		return strings.Join(parts, ":")
	}
	out := &spec.Spec{}
	for _, r := range sp.Resources {
		r.ID = rename(r.ID)
		var deps []string
		for _, d := range r.DependsOn {
			deps = append(deps, rename(d))
		}
		r.DependsOn = deps
		attrs := make(map[string]any, len(r.Attributes))
		for k, v := range r.Attributes {
			attrs[k] = v
		}
		md, _ := attrs["metadata"].(map[string]any)
		nmd := make(map[string]any, len(md))
		for k, v := range md {
			nmd[k] = v
		}
		if nmd["namespace"] == from {
			nmd["namespace"] = to
		}
		if attrs["kind"] == "Namespace" && nmd["name"] == from {
			nmd["name"] = to
		}
		attrs["metadata"] = nmd
		r.Attributes = attrs
		out.Resources = append(out.Resources, r)
	}
	return out
}

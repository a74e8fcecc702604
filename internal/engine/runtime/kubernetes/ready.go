package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// Readiness is what the live state of a resource says about waiting for it.
type Readiness struct {
	// Ready: nothing left to wait for.
	Ready bool
	// Failed: it will not become ready by waiting (a failed Job, a
	// Deployment past its progress deadline); Reason says why.
	Failed bool
	// Reason is why it is not ready (empty when it is).
	Reason string
}

func (r Readiness) String() string {
	switch {
	case r.Ready:
		return "ready"
	case r.Failed:
		return "failed: " + r.Reason
	}
	return "waiting: " + r.Reason
}

var ready = Readiness{Ready: true}

func waiting(format string, a ...any) Readiness {
	return Readiness{Reason: fmt.Sprintf(format, a...)}
}

func failed(format string, a ...any) Readiness {
	return Readiness{Failed: true, Reason: fmt.Sprintf(format, a...)}
}

// ObjectReadiness judges a live object alone:
//
//   - Deployment: the controller observed the current generation, and the
//     updated and available replicas equal the desired ones with no old
//     replicas left; past its progress deadline it has failed.
//   - StatefulSet: current generation observed; ready replicas (and, under a
//     rolling update, updated replicas above the partition) equal the
//     desired ones.
//   - DaemonSet: current generation observed; every node that should run it
//     runs an updated, available pod.
//   - ReplicaSet: current generation observed; available = desired replicas.
//   - Job: the Complete condition; the Failed condition is a failure.
//   - Pod: Ready, or Succeeded; Failed is a failure.
//   - Service: ExternalName and selector-less Services at once; LoadBalancer
//     once an ingress address is assigned; others once they have a cluster
//     IP — their endpoints are judged by EndpointsReadiness (see
//     NeedsEndpoints), which needs the EndpointSlices.
//   - PersistentVolumeClaim: phase Bound; Lost is a failure.
//   - CustomResourceDefinition: Established. Namespace: not Terminating.
//   - Anything else: ready once it exists.
//
// A nil object (not found) is waited for.
func ObjectReadiness(obj map[string]any) Readiness {
	if obj == nil {
		return waiting("not found")
	}
	kind, _ := obj["kind"].(string)
	switch kind {
	case "Deployment":
		return deploymentReadiness(obj)
	case "StatefulSet":
		return statefulSetReadiness(obj)
	case "DaemonSet":
		return daemonSetReadiness(obj)
	case "ReplicaSet":
		if r, ok := generationObserved(obj); !ok {
			return r
		}
		want := desiredReplicas(obj)
		if have := statusInt(obj, "availableReplicas"); have < want {
			return waiting("%d/%d replicas available", have, want)
		}
		return ready
	case "Job":
		if c := condition(obj, "Failed"); c != nil && c["status"] == "True" {
			return failed("job failed%s", conditionDetail(c))
		}
		if conditionTrue(obj, "Complete") {
			return ready
		}
		want, ok, _ := unstructured.NestedInt64(obj, "spec", "completions")
		if !ok {
			want = 1
		}
		return waiting("%d/%d completions", statusInt(obj, "succeeded"), want)
	case "Pod":
		phase, _, _ := unstructured.NestedString(obj, "status", "phase")
		switch {
		case phase == "Succeeded":
			return ready
		case phase == "Failed":
			reason, _, _ := unstructured.NestedString(obj, "status", "reason")
			return failed("pod failed%s", paren(reason))
		case conditionTrue(obj, "Ready"):
			return ready
		case phase == "":
			return waiting("pod not scheduled")
		}
		return waiting("pod %s, not ready", phase)
	case "Service":
		return serviceReadiness(obj)
	case "PersistentVolumeClaim":
		phase, _, _ := unstructured.NestedString(obj, "status", "phase")
		switch phase {
		case "Bound":
			return ready
		case "Lost":
			return failed("claim lost its volume")
		case "":
			phase = "Pending"
		}
		return waiting("claim %s, not bound", phase)
	case "CustomResourceDefinition":
		if conditionTrue(obj, "Established") {
			return ready
		}
		return waiting("not established")
	case "Namespace":
		phase, _, _ := unstructured.NestedString(obj, "status", "phase")
		if phase != "" && phase != "Active" {
			return waiting("phase %s", phase)
		}
		return ready
	}
	return ready
}

// Ready is ObjectReadiness as (ready, reason), the shape of
// runtime.Runtime.Ready.
func Ready(obj map[string]any) (bool, string) {
	r := ObjectReadiness(obj)
	if r.Failed {
		return false, "failed: " + r.Reason
	}
	return r.Ready, r.Reason
}

func deploymentReadiness(obj map[string]any) Readiness {
	if c := condition(obj, "Progressing"); c != nil && c["reason"] == "ProgressDeadlineExceeded" {
		return failed("deployment exceeded its progress deadline%s", conditionDetail(c))
	}
	if r, ok := generationObserved(obj); !ok {
		return r
	}
	want := desiredReplicas(obj)
	updated := statusInt(obj, "updatedReplicas")
	total := statusInt(obj, "replicas")
	available := statusInt(obj, "availableReplicas")
	switch {
	case updated < want:
		return waiting("%d/%d replicas updated", updated, want)
	case total > updated:
		return waiting("%d old replicas pending termination", total-updated)
	case available < want:
		return waiting("%d/%d replicas available", available, want)
	}
	return ready
}

func statefulSetReadiness(obj map[string]any) Readiness {
	if r, ok := generationObserved(obj); !ok {
		return r
	}
	want := desiredReplicas(obj)
	if have := statusInt(obj, "readyReplicas"); have < want {
		return waiting("%d/%d replicas ready", have, want)
	}
	strategy, _, _ := unstructured.NestedString(obj, "spec", "updateStrategy", "type")
	if strategy == "OnDelete" {
		return ready
	}
	partition, _, _ := unstructured.NestedInt64(obj, "spec", "updateStrategy", "rollingUpdate", "partition")
	if partition > 0 {
		if updated := statusInt(obj, "updatedReplicas"); updated < want-partition {
			return waiting("%d/%d replicas updated above partition %d", updated, want-partition, partition)
		}
		return ready
	}
	cur, _, _ := unstructured.NestedString(obj, "status", "currentRevision")
	upd, _, _ := unstructured.NestedString(obj, "status", "updateRevision")
	if updated := statusInt(obj, "updatedReplicas"); updated < want || (upd != "" && cur != upd) {
		return waiting("%d/%d replicas updated", updated, want)
	}
	return ready
}

func daemonSetReadiness(obj map[string]any) Readiness {
	if r, ok := generationObserved(obj); !ok {
		return r
	}
	want := statusInt(obj, "desiredNumberScheduled")
	strategy, _, _ := unstructured.NestedString(obj, "spec", "updateStrategy", "type")
	if strategy != "OnDelete" {
		if updated := statusInt(obj, "updatedNumberScheduled"); updated < want {
			return waiting("%d/%d pods updated", updated, want)
		}
	}
	if available := statusInt(obj, "numberAvailable"); available < want {
		return waiting("%d/%d pods available", available, want)
	}
	return ready
}

func serviceReadiness(obj map[string]any) Readiness {
	typ, _, _ := unstructured.NestedString(obj, "spec", "type")
	switch typ {
	case "ExternalName":
		return ready
	case "LoadBalancer":
		ing, _, _ := unstructured.NestedSlice(obj, "status", "loadBalancer", "ingress")
		if len(ing) == 0 {
			return waiting("waiting for a load balancer address")
		}
		return ready
	}
	if ip, _, _ := unstructured.NestedString(obj, "spec", "clusterIP"); ip == "" {
		return waiting("no cluster IP yet")
	}
	return ready
}

// NeedsEndpoints reports whether obj is a Service whose readiness also needs
// a ready endpoint: a ClusterIP (headless too) or NodePort Service with a
// selector.
func NeedsEndpoints(obj map[string]any) bool {
	if obj == nil || obj["kind"] != "Service" {
		return false
	}
	typ, _, _ := unstructured.NestedString(obj, "spec", "type")
	if typ != "" && typ != "ClusterIP" && typ != "NodePort" {
		return false
	}
	sel, _, _ := unstructured.NestedMap(obj, "spec", "selector")
	return len(sel) > 0
}

// EndpointsReadiness judges the EndpointSlices of a Service: ready once one
// endpoint is ready (an endpoint without a ready condition counts as ready,
// as the API defines).
func EndpointsReadiness(slices []map[string]any) Readiness {
	total := 0
	for _, s := range slices {
		eps, _, _ := unstructured.NestedSlice(s, "endpoints")
		for _, e := range eps {
			em, _ := e.(map[string]any)
			total++
			r, found, _ := unstructured.NestedBool(em, "conditions", "ready")
			if !found || r {
				return ready
			}
		}
	}
	if total == 0 {
		return waiting("no endpoints")
	}
	return waiting("0/%d endpoints ready", total)
}

func generationObserved(obj map[string]any) (Readiness, bool) {
	gen, _, _ := unstructured.NestedInt64(obj, "metadata", "generation")
	obs, has, _ := unstructured.NestedInt64(obj, "status", "observedGeneration")
	if !has || obs < gen {
		return waiting("the controller has not observed generation %d yet", gen), false
	}
	return ready, true
}

func desiredReplicas(obj map[string]any) int64 {
	want, ok, _ := unstructured.NestedInt64(obj, "spec", "replicas")
	if !ok {
		return 1
	}
	return want
}

func statusInt(obj map[string]any, field string) int64 {
	v, _, _ := unstructured.NestedInt64(obj, "status", field)
	return v
}

// condition returns the status condition of type typ, or nil.
func condition(obj map[string]any, typ string) map[string]any {
	conds, _, _ := unstructured.NestedSlice(obj, "status", "conditions")
	for _, c := range conds {
		if m, _ := c.(map[string]any); m["type"] == typ {
			return m
		}
	}
	return nil
}

func conditionTrue(obj map[string]any, typ string) bool {
	c := condition(obj, typ)
	return c != nil && c["status"] == "True"
}

// conditionDetail is " (reason: message)" of a condition, or "".
func conditionDetail(c map[string]any) string {
	reason, _ := c["reason"].(string)
	msg, _ := c["message"].(string)
	switch {
	case reason != "" && msg != "":
		return " (" + reason + ": " + msg + ")"
	case reason != "" || msg != "":
		return paren(reason + msg)
	}
	return ""
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// Ready implements runtime.Runtime.Ready by ObjectReadiness: it judges the
// object alone, so a Service with a selector is ready here once it has a
// cluster IP; WaitReady also waits for its ready endpoints.
func (rt *Runtime) Ready(r spec.Resource, obj map[string]any) (bool, string) {
	return Ready(obj)
}

var _ runtime.DependableWaiter = (*Runtime)(nil)

// DefaultWaitTimeout bounds WaitReady when it is given no timeout.
const DefaultWaitTimeout = 5 * time.Minute

var endpointSlicesGVR = schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}

// serviceNameLabel is the label that ties an EndpointSlice to its Service.
const serviceNameLabel = "kubernetes.io/service-name"

// readiness judges t's live object; unless objectOnly, a Service that needs
// endpoints also by its EndpointSlices.
func (rt *Runtime) readiness(ctx context.Context, t target, objectOnly bool) (Readiness, error) {
	u, err := t.client(rt.dyn).Get(ctx, t.name, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return waiting("not found"), nil
		}
		return Readiness{}, fmt.Errorf("read %s %s: %w", t.gvk.Kind, t.name, err)
	}
	st := ObjectReadiness(u.Object)
	if objectOnly || !st.Ready || !NeedsEndpoints(u.Object) {
		return st, nil
	}
	list, err := rt.dyn.Resource(endpointSlicesGVR).Namespace(t.namespace).List(ctx, metav1.ListOptions{
		LabelSelector: serviceNameLabel + "=" + t.name,
	})
	if err != nil {
		return Readiness{}, fmt.Errorf("list the endpoint slices of service %s/%s: %w", t.namespace, t.name, err)
	}
	slices := make([]map[string]any, len(list.Items))
	for i := range list.Items {
		slices[i] = list.Items[i].Object
	}
	return EndpointsReadiness(slices), nil
}

// WaitReady waits until r is ready by Readiness, it fails (a failed Job is an
// error at once, not a wait), ctx ends or timeout (DefaultWaitTimeout when
// not positive) passes. Its errors say why r is not ready, not which
// resource it is: the engine names it. It watches the object (and a Service's
// EndpointSlices) to look again as soon as something changes, and also
// looks again on a backoff from 100 ms to 2 s in case a watch is slow or
// broken.
func (rt *Runtime) WaitReady(ctx context.Context, r spec.Resource, timeout time.Duration) error {
	return rt.wait(ctx, r, timeout, false)
}

// WaitDependable implements runtime.DependableWaiter: a Service that needs
// endpoints (NeedsEndpoints) can be depended on once the object is ready (it
// has its cluster IP), since the workloads that give it endpoints often
// depend on it; later is then true and WaitReady awaits the endpoints.
// Anything else is waited for by WaitReady at once.
func (rt *Runtime) WaitDependable(ctx context.Context, r spec.Resource, timeout time.Duration) (bool, error) {
	if !NeedsEndpoints(r.Attributes) {
		return false, rt.wait(ctx, r, timeout, false)
	}
	return true, rt.wait(ctx, r, timeout, true)
}

func (rt *Runtime) wait(ctx context.Context, r spec.Resource, timeout time.Duration, objectOnly bool) error {
	if timeout <= 0 {
		timeout = DefaultWaitTimeout
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t, err := rt.resolve(r, true)
	if err != nil {
		return fmt.Errorf("wait for readiness: %w", err)
	}
	wake := make(chan struct{}, 1)
	go rt.notify(ctx, t.client(rt.dyn), metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", t.name).String()}, wake)
	watchingSlices := false
	const maxDelay = 2 * time.Second
	delay := 100 * time.Millisecond
	st := waiting("not read yet")
	for {
		cur, err := rt.readiness(ctx, t, objectOnly)
		switch {
		case err != nil && ctx.Err() == nil:
			rt.log.Debug("readiness check failed", "id", r.ID, "err", err)
			st = waiting("%v", err)
		case err == nil:
			st = cur
		}
		if st.Ready {
			return nil
		}
		if st.Failed {
			return errors.New(st.Reason)
		}
		if !objectOnly && !watchingSlices && t.gvk.Kind == "Service" && t.gvk.Group == "" {
			watchingSlices = true
			go rt.notify(ctx, rt.dyn.Resource(endpointSlicesGVR).Namespace(t.namespace),
				metav1.ListOptions{LabelSelector: serviceNameLabel + "=" + t.name}, wake)
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			if parent.Err() != nil {
				return fmt.Errorf("waiting for readiness (%s): %w", st.Reason, parent.Err())
			}
			reason := st.Reason
			hctx, hcancel := context.WithTimeout(context.WithoutCancel(parent), 5*time.Second)
			if hint := rt.podHint(hctx, t); hint != "" {
				reason += "; " + hint
			}
			hcancel()
			return fmt.Errorf("not ready after %s: %s: %w", timeout, reason, ctx.Err())
		case <-wake:
			timer.Stop()
		case <-timer.C:
			delay = min(2*delay, maxDelay)
		}
	}
}

var podsGVR = schema.GroupVersionResource{Version: "v1", Resource: "pods"}

// podHint tells why the pods of a workload (apps/v1 kinds, Jobs) are not
// ready, from the first of its pods that the scheduler could not place (its
// message names what no node offers) or whose container waits (an image
// pull back-off, a crash loop); "" when it finds nothing to tell.
func (rt *Runtime) podHint(ctx context.Context, t target) string {
	if t.gvk.Group != "apps" && (t.gvk.Group != "batch" || t.gvk.Kind != "Job") {
		return ""
	}
	u, err := t.client(rt.dyn).Get(ctx, t.name, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	ml, _, _ := unstructured.NestedStringMap(u.Object, "spec", "selector", "matchLabels")
	if len(ml) == 0 {
		return ""
	}
	pods, err := rt.dyn.Resource(podsGVR).Namespace(t.namespace).List(ctx, metav1.ListOptions{
		LabelSelector: labels.SelectorFromSet(ml).String(), Limit: 50,
	})
	if err != nil {
		return ""
	}
	for i := range pods.Items {
		p := pods.Items[i].Object
		if c := condition(p, "PodScheduled"); c != nil && c["status"] == "False" {
			msg, _ := c["message"].(string)
			return fmt.Sprintf("pod %s unschedulable: %s", pods.Items[i].GetName(), msg)
		}
		css, _, _ := unstructured.NestedSlice(p, "status", "containerStatuses")
		for _, cs := range css {
			csm, _ := cs.(map[string]any)
			w, found, _ := unstructured.NestedMap(csm, "state", "waiting")
			if !found {
				continue
			}
			reason, _ := w["reason"].(string)
			msg, _ := w["message"].(string)
			if reason != "" && reason != "ContainerCreating" && reason != "PodInitializing" {
				return fmt.Sprintf("pod %s container %v: %s%s", pods.Items[i].GetName(), csm["name"], reason, paren(msg))
			}
		}
	}
	return ""
}

// notify watches ri with opts until ctx ends and signals wake (without
// blocking) on every event; a watch that ends or cannot start is reopened
// after a backoff.
func (rt *Runtime) notify(ctx context.Context, ri dynamic.ResourceInterface, opts metav1.ListOptions, wake chan<- struct{}) {
	backoff := 200 * time.Millisecond
	for ctx.Err() == nil {
		w, err := ri.Watch(ctx, opts)
		if err == nil {
			backoff = 200 * time.Millisecond
			func() {
				defer w.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case _, ok := <-w.ResultChan():
						if !ok {
							return
						}
						select {
						case wake <- struct{}{}:
						default:
						}
					}
				}
			}()
		} else {
			rt.log.Debug("watch for readiness failed", "options", opts, "err", err)
		}
		timer := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

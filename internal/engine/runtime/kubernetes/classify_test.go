package kubernetes

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// TestClassify checks how errors of Apply are classified, on the status
// errors the API server answers (wrapped as Apply wraps them).
func TestClassify(t *testing.T) {
	deploy := spec.Resource{ID: "apps/v1:Deployment:demo:web", Type: spec.Kubernetes, Attributes: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web", "namespace": "demo"}}}
	secret := spec.Resource{ID: "v1:Secret:demo:s", Type: spec.Kubernetes, Attributes: map[string]any{
		"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "s", "namespace": "demo"},
		"data": map[string]any{"good": "aGVsbG8=", "bad": "aGVsbG8", "worse": "!!"}}}
	pod := spec.Resource{ID: "monitoring.coreos.com/v1:PodMonitor:demo:m", Type: spec.Kubernetes, Attributes: map[string]any{
		"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor"}}
	wrap := func(r spec.Resource, err error) error { return fmt.Errorf("apply %s: %w", r.ID, err) }
	type out struct {
		Class runtime.ErrorClass
		Msg   string
	}
	for _, tc := range []struct {
		name string
		r    spec.Resource
		err  error
		want out
	}{
		{"invalid names the field", deploy,
			wrap(deploy, apierrors.NewInvalid(schema.GroupKind{Group: "apps", Kind: "Deployment"}, "web", field.ErrorList{
				field.Invalid(field.NewPath("spec", "template", "spec", "containers").Index(0).Child("startupProbe", "successThreshold"), 2, "must be 1")})),
			out{runtime.ErrRejected, `Deployment.apps "web" is invalid: spec.template.spec.containers[0].startupProbe.successThreshold: Invalid value: 2: must be 1`}},
		{"forbidden by admission", deploy,
			wrap(deploy, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web", errors.New("quota exceeded"))),
			out{runtime.ErrRejected, `deployments.apps "web" is forbidden: quota exceeded`}},
		{"missing namespace is a prerequisite", deploy,
			wrap(deploy, apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "demo")),
			out{runtime.ErrPrerequisite, `namespace "demo" does not exist`}},
		{"kind not served is a prerequisite", pod,
			fmt.Errorf("resource %s: %w: no matches", pod.ID, errNoMapping),
			out{runtime.ErrPrerequisite, "kind monitoring.coreos.com/v1 PodMonitor is not served by the cluster (its CRD is not installed)"}},
		{"undecodable Secret data names the keys", secret,
			wrap(secret, apierrors.NewInternalError(errors.New("failed to convert new object (demo/s; /v1, Kind=Secret) to proper version: unable to convert unstructured object to /v1, Kind=Secret: error decoding from json: illegal base64 data at input byte 4"))),
			out{runtime.ErrRejected, "data[bad], data[worse]: not valid base64 (Secret data values are base64; plain text goes in stringData): Internal error occurred: failed to convert new object (demo/s; /v1, Kind=Secret) to proper version: unable to convert unstructured object to /v1, Kind=Secret: error decoding from json: illegal base64 data at input byte 4"}},
		{"other internal errors stop the operation", deploy,
			wrap(deploy, apierrors.NewInternalError(errors.New("etcdserver: request timed out"))),
			out{runtime.ErrOther, "apply apps/v1:Deployment:demo:web: Internal error occurred: etcdserver: request timed out"}},
		{"a connection error stops the operation", deploy,
			errors.New("dial tcp 127.0.0.1:1: connect: connection refused"),
			out{runtime.ErrOther, "dial tcp 127.0.0.1:1: connect: connection refused"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			class, msg := (&Runtime{}).Classify(tc.r, tc.err)
			if d := cmp.Diff(tc.want, out{class, msg}); d != "" {
				t.Errorf("Classify (-want +got):\n%s", d)
			}
		})
	}
}

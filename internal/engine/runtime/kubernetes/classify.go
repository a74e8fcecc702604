package kubernetes

import (
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// Classify implements runtime.Classifier: err is an error of Apply(r) (or of
// its dry-run).
//
//   - a kind the cluster does not serve, or a namespace that does not exist,
//     is runtime.ErrPrerequisite (the CRD or Namespace may be applied first);
//   - the API server refusing the object (422 Invalid, 400 Bad Request, 403
//     Forbidden by admission, 413, 415, and the 500 it answers for an object it
//     cannot decode, such as Secret data that is not base64) is
//     runtime.ErrRejected, with the server's message; for undecodable Secret
//     data the message names the keys (the server does not);
//   - anything else (connection, timeouts, throttling) is runtime.ErrOther.
func (rt *Runtime) Classify(r spec.Resource, err error) (runtime.ErrorClass, string) {
	if err == nil {
		return runtime.ErrOther, ""
	}
	if errors.Is(err, errNoMapping) {
		apiVersion, _ := r.Attributes["apiVersion"].(string)
		kind, _ := r.Attributes["kind"].(string)
		return runtime.ErrPrerequisite, fmt.Sprintf("kind %s %s is not served by the cluster (its CRD is not installed)", apiVersion, kind)
	}
	var se apierrors.APIStatus
	if !errors.As(err, &se) {
		return runtime.ErrOther, err.Error()
	}
	st := se.Status()
	switch {
	case apierrors.IsNotFound(err) && st.Details != nil && st.Details.Kind == "namespaces":
		return runtime.ErrPrerequisite, fmt.Sprintf("namespace %q does not exist", st.Details.Name)
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err), apierrors.IsForbidden(err),
		apierrors.IsUnsupportedMediaType(err), st.Code == 413:
		return runtime.ErrRejected, st.Message
	case apierrors.IsInternalError(err) && strings.Contains(st.Message, "unable to convert unstructured object"):
		if keys := badBase64Keys(r.Attributes); len(keys) > 0 {
			return runtime.ErrRejected, fmt.Sprintf("%s: not valid base64 (Secret data values are base64; plain text goes in stringData): %s",
				strings.Join(keys, ", "), st.Message)
		}
		return runtime.ErrRejected, st.Message
	}
	return runtime.ErrOther, err.Error()
}

// badBase64Keys returns the field paths (data[key]) of a Secret's data
// values that are not valid standard base64.
func badBase64Keys(attrs map[string]any) []string {
	if attrs["kind"] != "Secret" || attrs["apiVersion"] != "v1" {
		return nil
	}
	data, _ := attrs["data"].(map[string]any)
	var keys []string
	for k, v := range data {
		s, ok := v.(string)
		if !ok {
			continue
		}
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			keys = append(keys, "data["+k+"]")
		}
	}
	sort.Strings(keys)
	return keys
}

package engine

import (
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime/kubernetes"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// NewKubernetes returns the engine of the stack in stackDir with the
// Kubernetes runtime for the cluster kc selects (kubeconfig path and context;
// empty fields mean $KUBECONFIG or ~/.kube/config and its current context).
// Other resource types have no runtime and are reported as Unsupported.
// sensitive is Config.Sensitive. The state backend is the stack's
// (ReadBackendConfig). This is the constructor the language server uses.
func NewKubernetes(stackDir string, kc kubernetes.Config, sensitive spec.Matcher) (*Engine, error) {
	rc, err := kubernetes.RESTConfig(kc)
	if err != nil {
		return nil, err
	}
	kube, err := kubernetes.NewForConfig(rc, kc.Logger)
	if err != nil {
		return nil, err
	}
	bc, err := ReadBackendConfig(stackDir)
	if err != nil {
		return nil, err
	}
	backend, err := OpenBackend(bc, stackDir, "", rc)
	if err != nil {
		return nil, err
	}
	return New(Config{StackDir: stackDir, Runtimes: runtime.Registry{spec.Kubernetes: kube}, Logger: kc.Logger, Sensitive: sensitive, Backend: backend}), nil
}

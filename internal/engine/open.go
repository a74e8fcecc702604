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
// This is the constructor the CLI and the language server use.
func NewKubernetes(stackDir string, kc kubernetes.Config) (*Engine, error) {
	kube, err := kubernetes.New(kc)
	if err != nil {
		return nil, err
	}
	return New(Config{StackDir: stackDir, Runtimes: runtime.Registry{spec.Kubernetes: kube}, Logger: kc.Logger}), nil
}

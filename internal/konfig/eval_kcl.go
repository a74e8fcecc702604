package konfig

import (
	"context"
	"fmt"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/eval"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// NewKCLEvaluator returns the Evaluator backed by our KCL implementation
// (internal/kcl/eval). It returns the manifests.yaml_stream text when the
// program calls it, and otherwise the program's top-level YAML.
func NewKCLEvaluator() Evaluator {
	return EvaluatorFunc(evalKCL)
}

func evalKCL(ctx context.Context, p *Program) ([]byte, error) {
	opts := make([]eval.Option, len(p.Options))
	for i, o := range p.Options {
		opts[i] = eval.Option{Key: o.Key, Value: o.Value}
	}
	root := p.Root
	if root == "" {
		root = p.ModRoot
	}
	if root == "" {
		root = p.WorkDir
	}
	fsys, err := sandbox.Open(root, p.Policy)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	defer fsys.Close()
	res, err := eval.Run(ctx, eval.Config{
		Files:     p.Files,
		Overlay:   p.Overlay,
		WorkDir:   p.WorkDir,
		ModRoot:   p.ModRoot,
		Options:   opts,
		Cache:     p.Cache,
		Sandbox:   fsys,
		MaxMemory: p.MaxMemory,
	})
	if err != nil {
		return nil, err
	}
	if res.Stream != nil {
		return []byte(*res.Stream), nil
	}
	var v value.Value = res.Value
	if res.Scalar != nil || res.Value == nil {
		v = res.Scalar
	}
	planned := value.Plan(v, value.PlanOptions{DisableNone: p.DisableNone, Budget: res.Budget})
	if err := res.BudgetErr(ctx); err != nil {
		return nil, err
	}
	if planned == value.Undefined {
		return nil, nil
	}
	out := value.EncodeYAML(planned, value.YAMLOptions{IgnoreNone: p.DisableNone, Budget: res.Budget})
	if err := res.BudgetErr(ctx); err != nil {
		return nil, err
	}
	return out, nil
}
